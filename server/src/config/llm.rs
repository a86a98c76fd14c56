//! Platform bounds on LLM use (`LLM_MAX_*`), read into the domain's `LlmSettings`.

use fairydust_schema::settings::LlmSettings;
use rust_decimal::Decimal;

use super::{ConfigError, Source};

pub(crate) fn from_source(source: &Source<'_>) -> Result<LlmSettings, ConfigError> {
    let defaults = LlmSettings::default();
    let settings = LlmSettings {
        max_prompt_chars: source.parse("LLM_MAX_PROMPT_CHARS", defaults.max_prompt_chars)?,
        max_logged_tokens: source.parse("LLM_MAX_LOGGED_TOKENS", defaults.max_logged_tokens)?,
        max_per_request_usd: source
            .parse("LLM_MAX_PER_REQUEST_USD", defaults.max_per_request_usd)?,
        max_daily_usd: source.parse("LLM_MAX_DAILY_USD", defaults.max_daily_usd)?,
        max_monthly_usd: source.parse("LLM_MAX_MONTHLY_USD", defaults.max_monthly_usd)?,
    };
    if settings.max_prompt_chars == 0 {
        return Err(ConfigError::new(
            "LLM_MAX_PROMPT_CHARS",
            "must be at least 1",
        ));
    }
    if !(1..=100_000_000).contains(&settings.max_logged_tokens) {
        return Err(ConfigError::new(
            "LLM_MAX_LOGGED_TOKENS",
            "must be between 1 and 100 000 000",
        ));
    }
    for (name, value) in [
        ("LLM_MAX_PER_REQUEST_USD", settings.max_per_request_usd),
        ("LLM_MAX_DAILY_USD", settings.max_daily_usd),
        ("LLM_MAX_MONTHLY_USD", settings.max_monthly_usd),
    ] {
        if value <= Decimal::ZERO {
            return Err(ConfigError::new(name, "must be greater than 0"));
        }
    }
    Ok(settings)
}
