//! Model providers behind `fairydust_schema::llm::provider::LlmClient`: Anthropic Messages, OpenAI Chat
//! Completions, and the offline development generator that stands in for both with `LLM_PROVIDER=dev`.

mod anthropic;
mod dev;
mod openai;
mod transport;

use std::sync::Arc;

use fairydust_schema::llm::provider::{LlmClient, LlmProviders, Provider};

pub use self::anthropic::AnthropicClient;
pub use self::dev::{DEV_MARKER, DevLlmClient};
pub use self::openai::OpenAiClient;
use crate::integrations::config::{IntegrationsConfig, LlmProviderMode};

/// Real clients for the providers with an API key; with `LLM_PROVIDER=dev`, the development generator
/// stands in for both.
pub fn providers(config: &IntegrationsConfig, http: reqwest::Client) -> LlmProviders {
    if config.llm_provider == LlmProviderMode::Dev {
        tracing::warn!(
            "LLM_PROVIDER=dev: LLM calls are answered by the offline development generator"
        );
        return LlmProviders {
            anthropic: Some(Arc::new(DevLlmClient::standing_in_for(Provider::Anthropic))),
            openai: Some(Arc::new(DevLlmClient::standing_in_for(Provider::OpenAi))),
        };
    }
    let anthropic = config
        .anthropic_api_key
        .clone()
        .map(|key| -> Arc<dyn LlmClient> {
            Arc::new(AnthropicClient::new(
                http.clone(),
                &config.anthropic_base_url,
                key,
                config.llm_timeout,
            ))
        });
    let openai = config
        .openai_api_key
        .clone()
        .map(|key| -> Arc<dyn LlmClient> {
            Arc::new(OpenAiClient::new(
                http.clone(),
                &config.openai_base_url,
                key,
                config.llm_timeout,
            ))
        });
    LlmProviders { anthropic, openai }
}

#[cfg(test)]
mod tests;
