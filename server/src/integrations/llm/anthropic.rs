//! Anthropic Messages API: `POST {base}/v1/messages`.

use std::time::Duration;

use async_trait::async_trait;
use fairydust_schema::llm::provider::{
    Completion, CompletionRequest, LlmCallError, LlmClient, Provider,
};
use serde::{Deserialize, Serialize};

use super::transport::{WireMessage, role_name, send_json};
use crate::integrations::config::Secret;

/// The API version the request and response shapes below follow.
const ANTHROPIC_VERSION: &str = "2023-06-01";

pub struct AnthropicClient {
    http: reqwest::Client,
    messages_url: String,
    api_key: Secret,
    timeout: Duration,
}

impl AnthropicClient {
    /// `base_url` without a trailing slash, e.g. `https://api.anthropic.com`.
    pub fn new(http: reqwest::Client, base_url: &str, api_key: Secret, timeout: Duration) -> Self {
        Self {
            http,
            messages_url: format!("{base_url}/v1/messages"),
            api_key,
            timeout,
        }
    }
}

#[derive(Serialize)]
struct MessagesRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: Vec<WireMessage<'a>>,
    temperature: f64,
    top_p: f64,
}

#[derive(Deserialize)]
struct MessagesResponse {
    content: Vec<ContentBlock>,
    model: String,
    stop_reason: Option<String>,
    usage: Usage,
}

/// Text blocks carry `text`; other kinds (tool use, thinking) are skipped.
#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: u32,
    output_tokens: u32,
}

#[async_trait]
impl LlmClient for AnthropicClient {
    fn provider(&self) -> Provider {
        Provider::Anthropic
    }

    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmCallError> {
        let body = MessagesRequest {
            model: &request.model,
            max_tokens: request.max_tokens,
            system: request.system.as_deref(),
            messages: request
                .messages
                .iter()
                .map(|message| WireMessage {
                    role: role_name(message.role),
                    content: &message.content,
                })
                .collect(),
            temperature: request.temperature,
            top_p: request.top_p,
        };
        let call = self
            .http
            .post(&self.messages_url)
            .timeout(self.timeout)
            .header("x-api-key", self.api_key.expose())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .json(&body);
        let answer: MessagesResponse = send_json(call, &self.api_key).await?;
        let text = answer
            .content
            .into_iter()
            .filter(|block| block.kind == "text")
            .filter_map(|block| block.text)
            .collect::<String>();
        Ok(Completion {
            text,
            model: answer.model,
            prompt_tokens: answer.usage.input_tokens,
            completion_tokens: answer.usage.output_tokens,
            finish_reason: answer.stop_reason,
        })
    }
}
