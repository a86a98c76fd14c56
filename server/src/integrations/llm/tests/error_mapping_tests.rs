//! How provider failures surface, the same for Anthropic and OpenAI (each test runs against both).

use std::time::Duration;

use fairydust_schema::llm::provider::LlmCallError;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::integrations::http::refusing_base_url;

/// Runs one call against a fresh mock that answers the target's endpoint with `response`.
async fn call_answered_by(
    target: Target,
    response: ResponseTemplate,
    timeout: Duration,
) -> LlmCallError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(target.endpoint))
        .respond_with(response)
        .mount(&server)
        .await;
    let error = (target.build)(&server.uri(), timeout)
        .complete(&conversation())
        .await
        .err();
    let error = error.unwrap_or_else(|| panic!("{}: the call should have failed", target.name));
    assert_key_absent(&error, target);
    error
}

async fn call_failing_with(target: Target, status: u16, message: &str) -> LlmCallError {
    let body = json!({ "type": "error", "error": { "type": "some_error", "message": message } });
    call_answered_by(
        target,
        ResponseTemplate::new(status).set_body_json(body),
        GENEROUS_TIMEOUT,
    )
    .await
}

#[track_caller]
fn assert_key_absent(error: &LlmCallError, target: Target) {
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(
            !text.contains(target.api_key),
            "{}: the API key leaked into {text}",
            target.name
        );
    }
}

#[tokio::test]
async fn status_429_is_rate_limiting_with_the_retry_after_when_given() {
    for target in TARGETS {
        let with_hint = ResponseTemplate::new(429).insert_header("retry-after", "20");
        let error = call_answered_by(target, with_hint, GENEROUS_TIMEOUT).await;
        assert_eq!(
            error,
            LlmCallError::RateLimited {
                retry_after: Some(Duration::from_secs(20))
            },
            "{}",
            target.name
        );

        let error = call_failing_with(
            target,
            429,
            "Number of request tokens has exceeded your rate limit",
        )
        .await;
        assert_eq!(
            error,
            LlmCallError::RateLimited { retry_after: None },
            "{}",
            target.name
        );
    }
}

#[tokio::test]
async fn status_404_means_the_model_is_unavailable() {
    for target in TARGETS {
        let error = call_failing_with(target, 404, "model: test-model-1").await;
        assert_eq!(
            error,
            LlmCallError::ModelUnavailable("model: test-model-1".to_owned()),
            "{}",
            target.name
        );
    }
}

#[tokio::test]
async fn other_4xx_are_rejections_carrying_the_providers_message() {
    for target in TARGETS {
        let error = call_failing_with(
            target,
            400,
            "max_tokens: 100000 > 8192, the maximum for this model",
        )
        .await;
        let expected = "max_tokens: 100000 > 8192, the maximum for this model".to_owned();
        assert_eq!(error, LlmCallError::Rejected(expected), "{}", target.name);

        let bare = call_answered_by(target, ResponseTemplate::new(413), GENEROUS_TIMEOUT).await;
        assert_eq!(
            bare,
            LlmCallError::Rejected("HTTP 413 Payload Too Large".to_owned()),
            "{}",
            target.name
        );
    }
}

#[tokio::test]
async fn server_errors_are_provider_errors() {
    for target in TARGETS {
        for status in [500, 503, 529] {
            let error = call_failing_with(target, status, "Overloaded").await;
            match error {
                LlmCallError::ProviderError(text) => {
                    assert!(text.contains(&status.to_string()), "{text}")
                }
                other => panic!("{}: HTTP {status} gave {other:?}", target.name),
            }
        }
    }
}

#[tokio::test]
async fn malformed_or_unexpected_json_is_a_provider_error() {
    for target in TARGETS {
        for body in [
            "{\"content\": [",
            "{\"unexpected\": true}",
            "<html>bad gateway</html>",
        ] {
            let answer = ResponseTemplate::new(200).set_body_raw(body, "application/json");
            let error = call_answered_by(target, answer, GENEROUS_TIMEOUT).await;
            assert!(
                matches!(error, LlmCallError::ProviderError(_)),
                "{}: {body} gave {error:?}",
                target.name
            );
        }
    }
}

#[tokio::test]
async fn a_slow_provider_times_out() {
    for target in TARGETS {
        let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(5));
        let error = call_answered_by(target, slow, Duration::from_millis(200)).await;
        assert_eq!(error, LlmCallError::Timeout, "{}", target.name);
    }
}

#[tokio::test]
async fn an_unreachable_provider_is_a_provider_error() {
    for target in TARGETS {
        let client = (target.build)(&refusing_base_url(), GENEROUS_TIMEOUT);
        let error = client.complete(&conversation()).await.unwrap_err();
        assert!(
            matches!(error, LlmCallError::ProviderError(_)),
            "{}: {error:?}",
            target.name
        );
        assert_key_absent(&error, target);
    }
}

#[tokio::test]
async fn an_api_key_echoed_by_the_provider_is_redacted() {
    for target in TARGETS {
        let echo = format!("Incorrect API key provided: {}", target.api_key);
        for status in [401, 404, 500] {
            // call_failing_with already asserts the key is absent; also check what replaced it.
            let error = call_failing_with(target, status, &echo).await;
            assert!(
                error.to_string().contains("[redacted]"),
                "{}: {error}",
                target.name
            );
        }
    }
}
