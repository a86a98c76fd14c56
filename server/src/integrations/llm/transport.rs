//! What the Anthropic and OpenAI clients share: sending a JSON request under the per-call timeout, and turning
//! HTTP failures into the `LlmCallError` variants the fallback rules act on.

use std::time::Duration;

use fairydust_schema::llm::provider::{LlmCallError, Role};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::integrations::config::Secret;
use crate::integrations::http::{describe_transport_error, provider_text_excerpt};

/// One chat message as both providers spell it on the wire.
#[derive(Serialize)]
pub(super) struct WireMessage<'a> {
    pub(super) role: &'static str,
    pub(super) content: &'a str,
}

pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// Both providers wrap errors as `{"error": {"message": ...}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

/// Sends `request` and parses a successful answer as `T`. `api_key` is scrubbed from every error text, in case a
/// provider or a proxy echoes it back.
pub(super) async fn send_json<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    api_key: &Secret,
) -> Result<T, LlmCallError> {
    exchange(request)
        .await
        .map_err(|error| redact(error, api_key))
}

async fn exchange<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, LlmCallError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    // The timeout covers the body too, so a provider that stalls mid-answer also ends in `Timeout`.
    let body = response.bytes().await.map_err(transport_error)?;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|error| {
            LlmCallError::ProviderError(format!("unexpected response body: {error}"))
        });
    }
    let message = serde_json::from_slice::<ErrorBody>(&body)
        .map(|body| provider_text_excerpt(&body.error.message))
        .unwrap_or_else(
            |_| match provider_text_excerpt(&String::from_utf8_lossy(&body)) {
                text if text.is_empty() => format!("HTTP {status}"),
                text => text,
            },
        );
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => LlmCallError::RateLimited { retry_after },
        StatusCode::NOT_FOUND => LlmCallError::ModelUnavailable(message),
        status if status.is_client_error() => LlmCallError::Rejected(message),
        status => LlmCallError::ProviderError(format!("HTTP {status}: {message}")),
    })
}

fn transport_error(error: reqwest::Error) -> LlmCallError {
    if error.is_timeout() {
        LlmCallError::Timeout
    } else {
        LlmCallError::ProviderError(format!(
            "request failed: {}",
            describe_transport_error(error)
        ))
    }
}

/// `retry-after` in (possibly fractional) seconds; the HTTP-date form is not used by these providers.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

fn redact(error: LlmCallError, api_key: &Secret) -> LlmCallError {
    let scrub = |text: String| text.replace(api_key.expose(), "[redacted]");
    match error {
        LlmCallError::ProviderError(text) => LlmCallError::ProviderError(scrub(text)),
        LlmCallError::ModelUnavailable(text) => LlmCallError::ModelUnavailable(scrub(text)),
        LlmCallError::Rejected(text) => LlmCallError::Rejected(scrub(text)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds() {
        let header = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            headers
        };
        assert_eq!(retry_after(&header("30")), Some(Duration::from_secs(30)));
        assert_eq!(
            retry_after(&header("1.5")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&header("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(&header("-1")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
