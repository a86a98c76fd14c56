//! OpenAI Chat Completions API: `POST {base}/v1/chat/completions`.

use std::time::Duration;

use async_trait::async_trait;
use fairydust_schema::llm::provider::{
    Completion, CompletionRequest, LlmCallError, LlmClient, Provider,
};
use serde::{Deserialize, Serialize};

use super::transport::{WireMessage, role_name, send_json};
use crate::integrations::config::Secret;

pub struct OpenAiClient {
    http: reqwest::Client,
    completions_url: String,
    api_key: Secret,
    timeout: Duration,
}

impl OpenAiClient {
    /// `base_url` without a trailing slash, e.g. `https://api.openai.com`.
    pub fn new(http: reqwest::Client, base_url: &str, api_key: Secret, timeout: Duration) -> Self {
        Self {
            http,
            completions_url: format!("{base_url}/v1/chat/completions"),
            api_key,
            timeout,
        }
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    temperature: f64,
    top_p: f64,
    max_tokens: u32,
}

#[derive(Deserialize)]
struct ChatResponse {
    model: String,
    choices: Vec<Choice>,
    usage: Usage,
}

#[derive(Deserialize)]
struct Choice {
    message: AssistantMessage,
    finish_reason: Option<String>,
}

/// `content` is null when the model produced none (a refusal or a content-filter stop); that is an empty text.
#[derive(Deserialize)]
struct AssistantMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
}

#[async_trait]
impl LlmClient for OpenAiClient {
    fn provider(&self) -> Provider {
        Provider::OpenAi
    }

    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmCallError> {
        let system = request.system.as_deref().map(|content| WireMessage {
            role: "system",
            content,
        });
        let conversation = request.messages.iter().map(|message| WireMessage {
            role: role_name(message.role),
            content: &message.content,
        });
        let body = ChatRequest {
            model: &request.model,
            messages: system.into_iter().chain(conversation).collect(),
            temperature: request.temperature,
            top_p: request.top_p,
            max_tokens: request.max_tokens,
        };
        let call = self
            .http
            .post(&self.completions_url)
            .timeout(self.timeout)
            .bearer_auth(self.api_key.expose())
            .json(&body);
        let answer: ChatResponse = send_json(call, &self.api_key).await?;
        let Some(choice) = answer.choices.into_iter().next() else {
            return Err(LlmCallError::ProviderError(
                "the response has no choices".to_owned(),
            ));
        };
        Ok(Completion {
            text: choice.message.content.unwrap_or_default(),
            model: answer.model,
            prompt_tokens: answer.usage.prompt_tokens,
            completion_tokens: answer.usage.completion_tokens,
            finish_reason: choice.finish_reason,
        })
    }
}
