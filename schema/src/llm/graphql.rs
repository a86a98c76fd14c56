//! Models, prices and configurations; `generateText`; usage logging and analytics over GraphQL.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::{llm_models, llm_usage_logs};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::analytics::{self, GroupBy, UsageFilter, UsageTotals};
use super::config::{CostLimits, Fallback, FallbackTrigger, FeatureFlags, ModelConfig, Parameters};
use super::gateway::{self, GenerateRequest};
use super::provider::{ChatMessage, Provider, Role};
use super::usage::{self, ReportedUsage};
use super::{admin, pricing};
use crate::apps::catalog::{self, AppRef};
use crate::auth::{ContextExt, RequireAdmin, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::ledger::graphql::DustTransaction;
use crate::loaders::{Loaders, load_error};
use crate::state::AppState;

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

fn parameters_in(view: ModelParameters) -> ApiResult<Parameters> {
    let max_tokens = u32::try_from(view.max_tokens)
        .map_err(|_| ApiError::bad_input("maxTokens must be between 1 and 8000"))?;
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
    fn into_config(self) -> ApiResult<ModelConfig> {
        Ok(ModelConfig {
            provider: self.provider,
            model: self.model,
            parameters: parameters_in(self.parameters)?,
            fallbacks: self
                .fallbacks
                .into_iter()
                .map(|f| {
                    Ok(Fallback {
                        provider: f.provider,
                        model: f.model,
                        trigger: f.trigger,
                        parameters: parameters_in(f.parameters)?,
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
        .data_unchecked::<Loaders>()
        .model_configs
        .load_one(app_id)
        .await
        .map_err(load_error)?;
    match row {
        None => Ok(None),
        Some(row) => ModelConfig::from_row(&row)
            .map(|c| Some(c.into()))
            .map_err(|e| ApiError::internal(&std::io::Error::other(e))),
    }
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum MessageRole {
    User,
    Assistant,
}

#[derive(InputObject)]
pub struct MessageInput {
    pub role: MessageRole,
    pub content: String,
}

/// Give `prompt` (one user message) or `messages` (a conversation ending with the user's turn).
#[derive(InputObject)]
pub struct GenerateTextInput {
    /// The app's id or slug.
    pub app_id: ID,
    /// The app action whose DUST price is charged on success.
    pub action: String,
    pub prompt: Option<String>,
    pub messages: Option<Vec<MessageInput>>,
    pub system: Option<String>,
    pub idempotency_key: String,
}

#[derive(SimpleObject)]
pub struct LlmCallUsage {
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    /// Computed on the server from the price table.
    pub cost_usd: Decimal,
}

#[derive(SimpleObject)]
pub struct GenerateTextResult {
    pub text: String,
    pub model: String,
    pub provider: Provider,
    pub was_fallback: bool,
    pub usage: LlmCallUsage,
    pub dust_charged: i32,
    pub transaction: DustTransaction,
}

#[derive(InputObject)]
pub struct LogLlmUsageInput {
    pub app_id: ID,
    pub provider: Provider,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// When given, must equal promptTokens + completionTokens.
    pub total_tokens: Option<i64>,
    pub latency_ms: i64,
    pub finish_reason: Option<String>,
    pub fallback_reason: Option<FallbackTrigger>,
    pub action: Option<String>,
}

#[derive(SimpleObject)]
pub struct LlmUsageLog {
    pub id: ID,
    pub model: String,
    pub total_tokens: i32,
    /// Computed on the server; clients never send a cost.
    pub cost_usd: Decimal,
    pub created_at: DateTime<Utc>,
}

impl From<llm_usage_logs::Model> for LlmUsageLog {
    fn from(row: llm_usage_logs::Model) -> Self {
        Self {
            id: ID(row.id.to_string()),
            model: row.model,
            total_tokens: row.total_tokens,
            cost_usd: row.cost_usd.0,
            created_at: row.created_at,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct LlmUsageTotals {
    pub requests: i64,
    pub successes: i64,
    pub fallbacks: i64,
    /// Share of calls answered by a fallback model, 0–1.
    pub fallback_rate: f64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: Decimal,
    pub unique_users: i64,
}

impl From<UsageTotals> for LlmUsageTotals {
    fn from(totals: UsageTotals) -> Self {
        Self {
            requests: totals.requests,
            successes: totals.successes,
            fallbacks: totals.fallbacks,
            fallback_rate: if totals.requests == 0 {
                0.0
            } else {
                totals.fallbacks as f64 / totals.requests as f64
            },
            prompt_tokens: totals.prompt_tokens,
            completion_tokens: totals.completion_tokens,
            cost_usd: pricing::from_micros(totals.cost_micros),
            unique_users: totals.unique_users,
        }
    }
}

#[derive(SimpleObject)]
pub struct LlmUsageGroup {
    /// A day (YYYY-MM-DD), a model id, an app id or an action, depending on the breakdown.
    pub key: String,
    pub totals: LlmUsageTotals,
}

#[derive(SimpleObject)]
pub struct LlmUsageReport {
    pub totals: LlmUsageTotals,
    pub by_day: Vec<LlmUsageGroup>,
}

#[derive(SimpleObject)]
pub struct LlmAnalytics {
    pub totals: LlmUsageTotals,
    pub by_model: Vec<LlmUsageGroup>,
    pub by_app: Vec<LlmUsageGroup>,
    pub by_action: Vec<LlmUsageGroup>,
    pub by_day: Vec<LlmUsageGroup>,
    pub fallback_rate: f64,
}

pub fn window(from: DateTime<Utc>, to: DateTime<Utc>) -> ApiResult<()> {
    if to <= from || to - from > chrono::Duration::days(366) {
        return Err(ApiError::bad_input(
            "to must be after from, at most 366 days later",
        ));
    }
    Ok(())
}

pub async fn groups(
    db: &sea_orm::DatabaseConnection,
    filter: &UsageFilter,
    by: GroupBy,
) -> ApiResult<Vec<LlmUsageGroup>> {
    Ok(analytics::grouped(db, filter, by)
        .await?
        .into_iter()
        .map(|group| LlmUsageGroup {
            key: group.key,
            totals: group.totals.into(),
        })
        .collect())
}

#[derive(Default)]
pub struct LlmQuery;

#[Object]
impl LlmQuery {
    /// The price table every LLM call is billed from.
    async fn llm_models(&self, ctx: &Context<'_>) -> ApiResult<Vec<LlmModel>> {
        let models = pricing::price_table(&ctx.data_unchecked::<AppState>().db).await?;
        Ok(models.into_iter().map(LlmModel::from).collect())
    }

    /// Usage of an app (its builder or an admin), of a user (themself or an admin), or both.
    #[graphql(guard = "RequireUser")]
    async fn llm_usage(
        &self,
        ctx: &Context<'_>,
        app_id: Option<ID>,
        user_id: Option<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<LlmUsageReport> {
        window(from, to)?;
        let state = ctx.data_unchecked::<AppState>();
        let viewer = ctx.principal()?;
        let app = match &app_id {
            Some(app) => Some(
                catalog::find_app(&state.db, &AppRef::parse(app))
                    .await?
                    .ok_or_else(|| ApiError::not_found("App"))?,
            ),
            None => None,
        };
        let user_id = user_id
            .map(|id| Uuid::parse_str(&id).map_err(|_| ApiError::not_found("User")))
            .transpose()?;
        let owns_app = app
            .as_ref()
            .is_some_and(|app| app.builder_id == viewer.user_id);
        let is_self = user_id == Some(viewer.user_id);
        let allowed =
            viewer.roles.admin || owns_app || (is_self && app.is_none()) || (is_self && owns_app);
        if !allowed || (app.is_none() && user_id.is_none() && !viewer.roles.admin) {
            return Err(ApiError::forbidden(
                "Only an app's builder, the user themself or an admin can see this usage",
            ));
        }
        let filter = UsageFilter {
            app_id: app.map(|a| a.id),
            user_id,
            from,
            to,
        };
        Ok(LlmUsageReport {
            totals: analytics::totals(&state.db, &filter).await?.into(),
            by_day: groups(&state.db, &filter, GroupBy::Day).await?,
        })
    }

    /// Platform-wide LLM usage.
    #[graphql(guard = "RequireAdmin")]
    async fn llm_analytics(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<LlmAnalytics> {
        window(from, to)?;
        let db = &ctx.data_unchecked::<AppState>().db;
        let filter = UsageFilter {
            app_id: None,
            user_id: None,
            from,
            to,
        };
        let totals: LlmUsageTotals = analytics::totals(db, &filter).await?.into();
        Ok(LlmAnalytics {
            fallback_rate: totals.fallback_rate,
            totals,
            by_model: groups(db, &filter, GroupBy::Model).await?,
            by_app: groups(db, &filter, GroupBy::App).await?,
            by_action: groups(db, &filter, GroupBy::Action).await?,
            by_day: groups(db, &filter, GroupBy::Day).await?,
        })
    }
}

#[derive(Default)]
pub struct LlmMutation;

#[Object]
impl LlmMutation {
    /// Calls the app's model (falling back as configured) and charges the action's DUST price once, on
    /// success only. Retrying with the same idempotency key returns the first answer.
    #[graphql(guard = "RequireUser")]
    async fn generate_text(
        &self,
        ctx: &Context<'_>,
        input: GenerateTextInput,
    ) -> ApiResult<GenerateTextResult> {
        let state = ctx.data_unchecked::<AppState>();
        let messages = match (input.prompt, input.messages) {
            (Some(prompt), None) => vec![ChatMessage {
                role: Role::User,
                content: prompt,
            }],
            (None, Some(messages)) => messages
                .into_iter()
                .map(|m| ChatMessage {
                    role: if m.role == MessageRole::User {
                        Role::User
                    } else {
                        Role::Assistant
                    },
                    content: m.content,
                })
                .collect(),
            _ => {
                return Err(ApiError::bad_input(
                    "Give exactly one of prompt or messages",
                ));
            }
        };
        let request = GenerateRequest {
            user_id: ctx.principal()?.user_id,
            app: AppRef::parse(&input.app_id),
            action: input.action,
            system: input.system,
            messages,
            idempotency_key: input.idempotency_key,
        };
        let generated = gateway::generate(state, request).await?;
        let generation = generated.generation;
        Ok(GenerateTextResult {
            text: generation.text,
            model: generation.model,
            provider: generation.provider,
            was_fallback: generation.was_fallback,
            usage: LlmCallUsage {
                prompt_tokens: generation.prompt_tokens as i32,
                completion_tokens: generation.completion_tokens as i32,
                cost_usd: generation.cost_usd,
            },
            dust_charged: -generated.transaction.amount,
            transaction: DustTransaction {
                row: generated.transaction,
                replayed: generated.replayed,
            },
        })
    }

    /// Records a call an app made to a model itself; the cost is computed here from the price table.
    #[graphql(guard = "RequireUser")]
    async fn log_llm_usage(
        &self,
        ctx: &Context<'_>,
        input: LogLlmUsageInput,
    ) -> ApiResult<LlmUsageLog> {
        let state = ctx.data_unchecked::<AppState>();
        let reported = ReportedUsage {
            app: AppRef::parse(&input.app_id),
            provider: input.provider,
            model: input.model,
            prompt_tokens: input.prompt_tokens,
            completion_tokens: input.completion_tokens,
            total_tokens: input.total_tokens,
            latency_ms: input.latency_ms,
            finish_reason: input.finish_reason,
            fallback_reason: input.fallback_reason,
            action: input.action,
        };
        Ok(
            usage::record_reported(&state.db, &*state.cache, ctx.principal()?.user_id, reported)
                .await?
                .into(),
        )
    }

    /// Sets the app's models; its builder or an admin.
    #[graphql(guard = "RequireUser")]
    async fn set_app_model_config(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
        input: AppModelConfigInput,
    ) -> ApiResult<AppModelConfig> {
        let state = ctx.data_unchecked::<AppState>();
        let app_id = catalog::resolve_app_id(&state.db, &AppRef::parse(&app_id))
            .await?
            .ok_or_else(|| ApiError::not_found("App"))?;
        let config = admin::set_model_config(
            &state.db,
            &*state.cache,
            ctx.principal()?,
            app_id,
            input.into_config()?,
        )
        .await?;
        Ok(config.into())
    }

    /// Sets a model's USD prices per million tokens; with `provider`, adds a new model.
    #[graphql(guard = "RequireAdmin")]
    async fn set_llm_model_price(
        &self,
        ctx: &Context<'_>,
        model_id: String,
        provider: Option<Provider>,
        input_usd_per_million: Decimal,
        output_usd_per_million: Decimal,
        is_active: Option<bool>,
    ) -> ApiResult<LlmModel> {
        let state = ctx.data_unchecked::<AppState>();
        let admin_id = ctx.principal()?.user_id;
        let model = admin::set_model_price(
            &state.db,
            admin_id,
            &model_id,
            provider,
            input_usd_per_million,
            output_usd_per_million,
            is_active,
        )
        .await?;
        Ok(model.into())
    }
}

/// `app { usageStats }`: one UTC day of an app's LLM and DUST use.
#[derive(SimpleObject)]
pub struct AppUsageDay {
    pub date: NaiveDate,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: Decimal,
    pub dust_consumed: i64,
    pub unique_users: i64,
}
