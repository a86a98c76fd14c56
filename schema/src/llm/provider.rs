//! What the LLM gateway needs from a model provider. The HTTP clients (Anthropic Messages, OpenAI Chat
//! Completions) and the offline development generator live in the server crate.

use std::time::Duration;

use async_graphql::Enum;
use async_trait::async_trait;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Anthropic,
    #[graphql(name = "OPENAI")]
    #[serde(rename = "openai")]
    OpenAi,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::OpenAi => "openai",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "anthropic" => Some(Provider::Anthropic),
            "openai" => Some(Provider::OpenAi),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompletionRequest {
    pub model: String,
    /// Anthropic takes it as `system`; OpenAI as a leading system message.
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub temperature: f64,
    pub max_tokens: u32,
    pub top_p: f64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    /// The model that answered, as the provider reports it.
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub finish_reason: Option<String>,
}

/// Why a call failed, in the terms the fallback rules use.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LlmCallError {
    /// 429 from the provider.
    #[error("the provider is rate limiting us")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, a connection failure, or a body that is not the documented shape.
    #[error("provider error: {0}")]
    ProviderError(String),
    #[error("the provider did not answer in time")]
    Timeout,
    /// 404 for the model (retired or misspelled).
    #[error("model unavailable: {0}")]
    ModelUnavailable(String),
    /// Another 4xx: our request was wrong (too long a prompt, a bad parameter); falling back will not help.
    #[error("the provider refused the request: {0}")]
    Rejected(String),
    /// No API key for this provider.
    #[error("{0} is not configured on this server")]
    NotConfigured(&'static str),
}

#[async_trait]
pub trait LlmClient: Send + Sync {
    fn provider(&self) -> Provider;
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmCallError>;
}

/// The configured client of each provider; `None` where the provider has no API key.
#[derive(Clone, Default)]
pub struct LlmProviders {
    pub anthropic: Option<std::sync::Arc<dyn LlmClient>>,
    pub openai: Option<std::sync::Arc<dyn LlmClient>>,
}

impl LlmProviders {
    pub fn client(
        &self,
        provider: Provider,
    ) -> Result<std::sync::Arc<dyn LlmClient>, LlmCallError> {
        let client = match provider {
            Provider::Anthropic => &self.anthropic,
            Provider::OpenAi => &self.openai,
        };
        client
            .clone()
            .ok_or(LlmCallError::NotConfigured(provider.as_str()))
    }
}
