//! OpenAI Chat Completions: the exact request we send and how the answer is read.

use fairydust_schema::llm::provider::LlmCallError;
use serde_json::json;
use wiremock::matchers::{bearer_token, body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

fn chat_answer(content: serde_json::Value, finish_reason: &str) -> serde_json::Value {
    json!({
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "test-model-1-2025-01-01",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": null },
            "logprobs": null,
            "finish_reason": finish_reason
        }],
        "usage": { "prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49 }
    })
}

#[tokio::test]
async fn sends_the_documented_request_and_reads_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(bearer_token(OPENAI_KEY))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "model": "test-model-1",
            "messages": [
                { "role": "system", "content": "You are a friendly chef." },
                { "role": "user", "content": "Suggest a dinner." },
                { "role": "assistant", "content": "How about risotto?" },
                { "role": "user", "content": "Something quicker, please." }
            ],
            "temperature": 0.7,
            "top_p": 0.9,
            "max_tokens": 1000
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(chat_answer(json!("A quick omelette."), "stop")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let completion = (OPENAI.build)(&server.uri(), GENEROUS_TIMEOUT)
        .complete(&conversation())
        .await
        .unwrap();
    assert_eq!(completion.text, "A quick omelette.");
    assert_eq!(completion.model, "test-model-1-2025-01-01");
    assert_eq!(completion.prompt_tokens, 40);
    assert_eq!(completion.completion_tokens, 9);
    assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
}

#[tokio::test]
async fn sends_no_system_message_without_a_system_prompt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_json(json!({
            "model": "test-model-1",
            "messages": [
                { "role": "user", "content": "Suggest a dinner." },
                { "role": "assistant", "content": "How about risotto?" },
                { "role": "user", "content": "Something quicker, please." }
            ],
            "temperature": 0.7,
            "top_p": 0.9,
            "max_tokens": 1000
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_answer(json!("Eggs."), "stop")))
        .expect(1)
        .mount(&server)
        .await;
    let request = CompletionRequest {
        system: None,
        ..conversation()
    };
    (OPENAI.build)(&server.uri(), GENEROUS_TIMEOUT)
        .complete(&request)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_filtered_answer_has_empty_text_and_keeps_its_finish_reason() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(chat_answer(json!(null), "content_filter")),
        )
        .mount(&server)
        .await;
    let completion = (OPENAI.build)(&server.uri(), GENEROUS_TIMEOUT)
        .complete(&conversation())
        .await
        .unwrap();
    assert_eq!(completion.text, "");
    assert_eq!(completion.finish_reason.as_deref(), Some("content_filter"));
}

#[tokio::test]
async fn an_answer_without_choices_is_a_provider_error() {
    let server = MockServer::start().await;
    let mut answer = chat_answer(json!("unused"), "stop");
    answer["choices"] = json!([]);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    let error = (OPENAI.build)(&server.uri(), GENEROUS_TIMEOUT)
        .complete(&conversation())
        .await
        .unwrap_err();
    assert!(matches!(error, LlmCallError::ProviderError(_)), "{error:?}");
}
