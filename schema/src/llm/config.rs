//! An app's model configuration as a typed, validated value (stored as JSON columns of
//! `app_model_configs`).

use fairydust_entities::{app_model_configs, llm_models};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::provider::Provider;

pub const MAX_FALLBACKS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    pub temperature: f64,
    pub max_tokens: u32,
    pub top_p: f64,
}

/// What makes the gateway move on to a fallback model.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FallbackTrigger {
    /// 5xx, timeout, connection failure, malformed answer, or the provider is not configured here.
    ProviderError,
    /// The provider answered 429.
    RateLimit,
    /// The provider does not know the model (404).
    ModelUnavailable,
    /// The projected cost of the call is over the per-request maximum.
    CostThresholdExceeded,
}

impl FallbackTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            FallbackTrigger::ProviderError => "provider_error",
            FallbackTrigger::RateLimit => "rate_limit",
            FallbackTrigger::ModelUnavailable => "model_unavailable",
            FallbackTrigger::CostThresholdExceeded => "cost_threshold_exceeded",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fallback {
    pub provider: Provider,
    pub model: String,
    pub trigger: FallbackTrigger,
    pub parameters: Parameters,
}

/// USD limits; every one > 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostLimits {
    #[serde(with = "rust_decimal::serde::str")]
    pub per_request_max: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub daily_max: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub monthly_max: Decimal,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureFlags {
    pub streaming_enabled: bool,
    pub cache_responses: bool,
    pub log_prompts: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub provider: Provider,
    pub model: String,
    pub parameters: Parameters,
    pub fallbacks: Vec<Fallback>,
    pub cost_limits: CostLimits,
    pub features: FeatureFlags,
}

impl ModelConfig {
    pub fn from_row(row: &app_model_configs::Model) -> Result<Self, String> {
        let parse =
            |what: &str, value: &serde_json::Value| format!("stored {what} is malformed: {value}");
        Ok(Self {
            provider: Provider::parse(&row.primary_provider)
                .ok_or_else(|| format!("unknown provider {}", row.primary_provider))?,
            model: row.primary_model.clone(),
            parameters: serde_json::from_value(row.primary_parameters.clone())
                .map_err(|_| parse("parameters", &row.primary_parameters))?,
            fallbacks: serde_json::from_value(row.fallback_models.clone())
                .map_err(|_| parse("fallbacks", &row.fallback_models))?,
            cost_limits: serde_json::from_value(row.cost_limits.clone())
                .map_err(|_| parse("cost limits", &row.cost_limits))?,
            features: serde_json::from_value(row.feature_flags.clone()).unwrap_or_default(),
        })
    }

    /// Checks every rule; `models` is the price table (a model without a price cannot be configured).
    /// The error names the input field at fault, so a form can show it next to that field.
    pub fn validate(&self, models: &[llm_models::Model]) -> Result<(), ConfigError> {
        validate_model(self.provider, &self.model, models)
            .map_err(|message| ConfigError::new("model", message))?;
        validate_parameters(&self.parameters)
            .map_err(|(field, message)| ConfigError::new(format!("parameters.{field}"), message))?;
        if self.fallbacks.len() > MAX_FALLBACKS {
            return Err(ConfigError::new(
                "fallbacks",
                format!("at most {MAX_FALLBACKS} fallbacks"),
            ));
        }
        for (index, fallback) in self.fallbacks.iter().enumerate() {
            validate_model(fallback.provider, &fallback.model, models)
                .map_err(|message| ConfigError::new(format!("fallbacks.{index}.model"), message))?;
            validate_parameters(&fallback.parameters).map_err(|(field, message)| {
                ConfigError::new(format!("fallbacks.{index}.parameters.{field}"), message)
            })?;
        }
        let limits = &self.cost_limits;
        for (field, limit) in [
            ("perRequestMax", limits.per_request_max),
            ("dailyMax", limits.daily_max),
            ("monthlyMax", limits.monthly_max),
        ] {
            if limit <= Decimal::ZERO {
                return Err(ConfigError::new(
                    format!("costLimits.{field}"),
                    "cost limits must be greater than 0",
                ));
            }
        }
        let order = "cost limits must satisfy per request ≤ daily ≤ monthly";
        if limits.per_request_max > limits.daily_max {
            return Err(ConfigError::new("costLimits.perRequestMax", order));
        }
        if limits.daily_max > limits.monthly_max {
            return Err(ConfigError::new("costLimits.dailyMax", order));
        }
        Ok(())
    }
}

/// A rule a configuration breaks, with the path of the `AppModelConfigInput` field at fault
/// (`model`, `parameters.temperature`, `fallbacks.1.model`, `costLimits.dailyMax`, …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

fn validate_model(
    provider: Provider,
    model: &str,
    models: &[llm_models::Model],
) -> Result<(), String> {
    match models.iter().find(|m| m.model_id == model) {
        None => Err(format!(
            "{model:?} has no price in the model table; pick one from llmModels"
        )),
        Some(priced) if priced.provider != provider.as_str() => Err(format!(
            "{model:?} is a {} model, not {}",
            priced.provider,
            provider.as_str()
        )),
        Some(priced) if !priced.is_active => Err(format!("{model:?} is not active")),
        Some(_) => Ok(()),
    }
}

/// The failing parameter's input name and why.
fn validate_parameters(parameters: &Parameters) -> Result<(), (&'static str, String)> {
    if !(0.0..=2.0).contains(&parameters.temperature) {
        return Err(("temperature", "temperature must be between 0 and 2".into()));
    }
    if !(1..=8000).contains(&parameters.max_tokens) {
        return Err(("maxTokens", "maxTokens must be between 1 and 8000".into()));
    }
    if !(0.0..=1.0).contains(&parameters.top_p) {
        return Err(("topP", "topP must be between 0 and 1".into()));
    }
    Ok(())
}
