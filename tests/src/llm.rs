//! Anthropic and OpenAI on 127.0.0.1: canned answers in each provider's real response shape.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::Overrides;

pub const ANTHROPIC_KEY: &str = "sk-ant-test";
pub const OPENAI_KEY: &str = "sk-openai-test";
pub const ANTHROPIC_PATH: &str = "/v1/messages";
pub const OPENAI_PATH: &str = "/v1/chat/completions";

pub struct MockLlm {
    pub server: MockServer,
}

pub fn anthropic_answer(model: &str, text: &str, input_tokens: u32, output_tokens: u32) -> Value {
    json!({
        "id": "msg_test", "type": "message", "role": "assistant", "model": model,
        "content": [{ "type": "text", "text": text }], "stop_reason": "end_turn",
        "usage": { "input_tokens": input_tokens, "output_tokens": output_tokens },
    })
}

pub fn openai_answer(model: &str, text: &str, prompt_tokens: u32, completion_tokens: u32) -> Value {
    json!({
        "id": "chatcmpl-test", "object": "chat.completion", "model": model,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens },
    })
}

impl MockLlm {
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    pub fn overrides(&self) -> Overrides {
        Overrides::default()
            .set("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
            .set("ANTHROPIC_BASE_URL", self.server.uri())
            .set("OPENAI_API_KEY", OPENAI_KEY)
            .set("OPENAI_BASE_URL", self.server.uri())
    }

    /// Answers calls for `model` (on the provider at `api_path`) with `response`.
    pub async fn respond(&self, api_path: &str, model: &str, response: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path(api_path))
            .and(body_partial_json(json!({ "model": model })))
            .respond_with(response)
            .mount(&self.server)
            .await;
    }

    pub async fn anthropic_ok(
        &self,
        model: &str,
        text: &str,
        input_tokens: u32,
        output_tokens: u32,
    ) {
        let body = anthropic_answer(model, text, input_tokens, output_tokens);
        self.respond(
            ANTHROPIC_PATH,
            model,
            ResponseTemplate::new(200).set_body_json(body),
        )
        .await;
    }

    pub async fn openai_ok(
        &self,
        model: &str,
        text: &str,
        prompt_tokens: u32,
        completion_tokens: u32,
    ) {
        let body = openai_answer(model, text, prompt_tokens, completion_tokens);
        self.respond(
            OPENAI_PATH,
            model,
            ResponseTemplate::new(200).set_body_json(body),
        )
        .await;
    }

    pub async fn fail(&self, api_path: &str, model: &str, status: u16) {
        let body =
            json!({ "type": "error", "error": { "type": "api_error", "message": "test failure" } });
        self.respond(
            api_path,
            model,
            ResponseTemplate::new(status).set_body_json(body),
        )
        .await;
    }

    pub async fn slow(&self, api_path: &str, model: &str, delay: Duration) {
        let body = anthropic_answer(model, "too late", 1, 1);
        self.respond(
            api_path,
            model,
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(delay),
        )
        .await;
    }

    /// Bodies of the calls received at `api_path`, oldest first.
    pub async fn calls(&self, api_path: &str) -> Vec<Value> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|request| request.url.path() == api_path)
            .filter_map(|request| serde_json::from_slice(&request.body).ok())
            .collect()
    }
}
