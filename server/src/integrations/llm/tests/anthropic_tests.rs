//! Anthropic Messages: the exact request we send and how the answer is read.

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

fn messages_answer() -> serde_json::Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "test-model-1-20250101",
        "content": [
            { "type": "text", "text": "Try a ten-minute " },
            { "type": "tool_use", "id": "toolu_01", "name": "timer", "input": {} },
            { "type": "text", "text": "shrimp stir-fry." }
        ],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": { "input_tokens": 31, "output_tokens": 12 }
    })
}

#[tokio::test]
async fn sends_the_documented_request_and_reads_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", ANTHROPIC_KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "model": "test-model-1",
            "max_tokens": 1000,
            "system": "You are a friendly chef.",
            "messages": [
                { "role": "user", "content": "Suggest a dinner." },
                { "role": "assistant", "content": "How about risotto?" },
                { "role": "user", "content": "Something quicker, please." }
            ],
            "temperature": 0.7,
            "top_p": 0.9
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(messages_answer()))
        .expect(1)
        .mount(&server)
        .await;

    let completion = (ANTHROPIC.build)(&server.uri(), GENEROUS_TIMEOUT)
        .complete(&conversation())
        .await
        .unwrap();
    assert_eq!(completion.text, "Try a ten-minute shrimp stir-fry.");
    assert_eq!(completion.model, "test-model-1-20250101");
    assert_eq!(completion.prompt_tokens, 31);
    assert_eq!(completion.completion_tokens, 12);
    assert_eq!(completion.finish_reason.as_deref(), Some("end_turn"));
}

#[tokio::test]
async fn omits_the_system_field_without_a_system_prompt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(body_json(json!({
            "model": "test-model-1",
            "max_tokens": 1000,
            "messages": [
                { "role": "user", "content": "Suggest a dinner." },
                { "role": "assistant", "content": "How about risotto?" },
                { "role": "user", "content": "Something quicker, please." }
            ],
            "temperature": 0.7,
            "top_p": 0.9
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(messages_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let request = CompletionRequest {
        system: None,
        ..conversation()
    };
    (ANTHROPIC.build)(&server.uri(), GENEROUS_TIMEOUT)
        .complete(&request)
        .await
        .unwrap();
}
