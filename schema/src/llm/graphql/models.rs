//! Models and configurations over GraphQL: the price-table entry `LlmModel`, an app's
//! `AppModelConfig` (parameters, fallbacks, cost limits, feature flags) and its input, and the
//! conversions to and from the domain's `ModelConfig`.

use async_graphql::{Context, InputObject, SimpleObject};
use fairydust_entities::llm_models;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::llm::config::{
    CostLimits, Fallback, FallbackTrigger, FeatureFlags, ModelConfig, Parameters,
};
use crate::llm::provider::Provider;
use crate::loaders::load_error;

#[derive(SimpleObject, Clone)]
pub struct LlmModel {
    pub provider: Provider,
    pub model_id: String,
    pub input_usd_per_million: Decimal,
    pub output_usd_per_million: Decimal,
    pub is_active: bool,
}

impl From<llm_models::Model> for LlmModel {
    fn from(model: llm_models::Model) -> Self {
        Self {
            provider: Provider::parse(&model.provider).unwrap_or(Provider::Anthropic),
            model_id: model.model_id,
            input_usd_per_million: model.input_usd_per_million.0,
            output_usd_per_million: model.output_usd_per_million.0,
            is_active: model.is_active,
        }
    }
}

#[derive(SimpleObject, InputObject, Clone, Copy)]
#[graphql(input_name = "ModelParametersInput")]
pub struct ModelParameters {
    /// 0–2.
    pub temperature: f64,
    /// 1–8000.
    pub max_tokens: i32,
    /// 0–1.
    pub top_p: f64,
}

#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "FallbackModelInput")]
pub struct FallbackModel {
    pub provider: Provider,
    pub model: String,
    pub trigger: FallbackTrigger,
    pub parameters: ModelParameters,
}

#[derive(SimpleObject, InputObject, Clone, Copy)]
#[graphql(input_name = "CostLimitsInput")]
pub struct CostLimitsView {
    pub per_request_max: Decimal,
    pub daily_max: Decimal,
    pub monthly_max: Decimal,
}

#[derive(SimpleObject, InputObject, Clone, Copy, Default)]
#[graphql(input_name = "FeatureFlagsInput")]
pub struct FeatureFlagsView {
    #[graphql(default)]
    pub streaming_enabled: bool,
    #[graphql(default)]
    pub cache_responses: bool,
    #[graphql(default)]
    pub log_prompts: bool,
}

/// An app's models: the primary and its fallbacks in order, with cost limits in USD.
#[derive(SimpleObject, Clone)]
pub struct AppModelConfig {
    pub provider: Provider,
    pub model: String,
    pub parameters: ModelParameters,
    pub fallbacks: Vec<FallbackModel>,
    pub cost_limits: CostLimitsView,
    pub features: FeatureFlagsView,
}

#[derive(InputObject)]
pub struct AppModelConfigInput {
    pub provider: Provider,
    pub model: String,
    pub parameters: ModelParameters,
    #[graphql(default)]
    pub fallbacks: Vec<FallbackModel>,
    pub cost_limits: CostLimitsView,
    #[graphql(default)]
    pub features: FeatureFlagsView,
}

/// `prefix` leads to these parameters in the input (`parameters`, `fallbacks.0.parameters`).
fn parameters_in(view: ModelParameters, prefix: &str) -> ApiResult<Parameters> {
    let max_tokens = u32::try_from(view.max_tokens).map_err(|_| {
        ApiError::bad_input("maxTokens must be between 1 and 8000")
            .with("field", format!("{prefix}.maxTokens"))
    })?;
    Ok(Parameters {
        temperature: view.temperature,
        max_tokens,
        top_p: view.top_p,
    })
}

fn parameters_out(parameters: Parameters) -> ModelParameters {
    ModelParameters {
        temperature: parameters.temperature,
        max_tokens: parameters.max_tokens as i32,
        top_p: parameters.top_p,
    }
}

impl From<ModelConfig> for AppModelConfig {
    fn from(config: ModelConfig) -> Self {
        Self {
            provider: config.provider,
            model: config.model,
            parameters: parameters_out(config.parameters),
            fallbacks: config
                .fallbacks
                .into_iter()
                .map(|f| FallbackModel {
                    provider: f.provider,
                    model: f.model,
                    trigger: f.trigger,
                    parameters: parameters_out(f.parameters),
                })
                .collect(),
            cost_limits: CostLimitsView {
                per_request_max: config.cost_limits.per_request_max,
                daily_max: config.cost_limits.daily_max,
                monthly_max: config.cost_limits.monthly_max,
            },
            features: FeatureFlagsView {
                streaming_enabled: config.features.streaming_enabled,
                cache_responses: config.features.cache_responses,
                log_prompts: config.features.log_prompts,
            },
        }
    }
}

impl AppModelConfigInput {
    pub(super) fn into_config(self) -> ApiResult<ModelConfig> {
        Ok(ModelConfig {
            provider: self.provider,
            model: self.model,
            parameters: parameters_in(self.parameters, "parameters")?,
            fallbacks: self
                .fallbacks
                .into_iter()
                .enumerate()
                .map(|(index, f)| {
                    Ok(Fallback {
                        provider: f.provider,
                        model: f.model,
                        trigger: f.trigger,
                        parameters: parameters_in(
                            f.parameters,
                            &format!("fallbacks.{index}.parameters"),
                        )?,
                    })
                })
                .collect::<ApiResult<_>>()?,
            cost_limits: CostLimits {
                per_request_max: self.cost_limits.per_request_max,
                daily_max: self.cost_limits.daily_max,
                monthly_max: self.cost_limits.monthly_max,
            },
            features: FeatureFlags {
                streaming_enabled: self.features.streaming_enabled,
                cache_responses: self.features.cache_responses,
                log_prompts: self.features.log_prompts,
            },
        })
    }
}

/// `app { modelConfig }` through the per-request loader.
pub async fn model_config_of(ctx: &Context<'_>, app_id: Uuid) -> ApiResult<Option<AppModelConfig>> {
    let row = ctx
        .loaders()
        .model_configs
        .load_one(app_id)
        .await
        .map_err(load_error)?
        .flatten();
    match row {
        None => Ok(None),
        Some(row) => ModelConfig::from_row(&row)
            .map(|c| Some(c.into()))
            .map_err(|e| ApiError::internal(&std::io::Error::other(e))),
    }
}

/// `estimateLlmCost`: the most one request can cost, from the price table.
#[derive(SimpleObject, Clone)]
pub struct LlmCostEstimate {
    pub model: LlmModel,
    pub prompt_tokens: i32,
    pub max_tokens: i32,
    /// promptTokens × the input price per million tokens / 1 000 000, exact.
    pub input_cost_usd: Decimal,
    /// maxTokens × the output price per million tokens / 1 000 000, exact.
    pub output_cost_usd: Decimal,
    /// The sum: the worst case, as the answer may use every one of maxTokens. Exact, not rounded.
    pub total_cost_usd: Decimal,
    /// The smallest DUST price that covers the total at 1 DUST = 1 US cent.
    pub break_even_dust: i64,
}

impl From<crate::llm::estimate::Estimate> for LlmCostEstimate {
    fn from(estimate: crate::llm::estimate::Estimate) -> Self {
        Self {
            model: estimate.model.into(),
            prompt_tokens: estimate.prompt_tokens as i32,
            max_tokens: estimate.max_tokens as i32,
            input_cost_usd: estimate.input_cost_usd,
            output_cost_usd: estimate.output_cost_usd,
            total_cost_usd: estimate.total_cost_usd,
            break_even_dust: estimate.break_even_dust,
        }
    }
}
