//! The one outbound HTTP client every integration shares, so connection pools, TLS set-up and timeouts are
//! decided in one place.

use std::time::Duration;

/// `fairydust/<version>`: providers see who is calling when they investigate traffic.
pub const USER_AGENT: &str = concat!("fairydust/", env!("CARGO_PKG_VERSION"));

/// Time to open a TCP + TLS connection; a provider that cannot accept one in this time is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whole-request limit for calls that do not set their own: JWKS, token exchange, Graph API. LLM calls override it
/// per request with `LLM_TIMEOUT_SECONDS`, since a long completion legitimately takes longer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Builds the shared client. Clone the result: clones share one connection pool.
pub fn build_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .tls_backend_rustls()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(DEFAULT_REQUEST_TIMEOUT)
        // None of the APIs we call redirect; following one could carry a credential-bearing request elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Longest piece of a provider's own text (an error description) we repeat in our errors and logs.
const PROVIDER_TEXT_LIMIT: usize = 200;

/// Describes a failed request without its URL: some URLs carry credentials in the query string (Facebook's
/// `access_token`), and reqwest's `Display` would print them.
pub(crate) fn describe_transport_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut description = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        description.push_str(": ");
        description.push_str(&inner.to_string());
        cause = inner.source();
    }
    description
}

/// A provider's free text, cut to a length fit for an error message.
pub(crate) fn provider_text_excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(PROVIDER_TEXT_LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A base URL on 127.0.0.1 whose port refuses connections: a listener was bound there and closed again.
#[cfg(test)]
pub(crate) fn refusing_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free local port");
    let address = listener.local_addr().expect("the listener's address");
    format!("http://{address}")
}

#[cfg(test)]
mod tests {
    use wiremock::matchers::{header, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    #[tokio::test]
    async fn requests_carry_the_fairydust_user_agent() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(header("user-agent", USER_AGENT))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
        let client = build_http_client().unwrap();
        let response = client.get(server.uri()).send().await.unwrap();
        assert_eq!(response.status(), 204);
        assert!(USER_AGENT.starts_with("fairydust/0."));
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(302)
                    .insert_header("location", "http://127.0.0.1:9/elsewhere"),
            )
            .mount(&server)
            .await;
        let client = build_http_client().unwrap();
        let response = client.get(server.uri()).send().await.unwrap();
        assert_eq!(response.status(), 302);
    }

    #[tokio::test]
    async fn transport_errors_are_described_without_the_url() {
        let client = build_http_client().unwrap();
        let url = format!(
            "{}/debug_token?access_token=app|secret",
            refusing_base_url()
        );
        let error = client.get(url).send().await.unwrap_err();
        let description = describe_transport_error(error);
        assert!(!description.contains("secret"), "{description}");
        assert!(!description.contains("127.0.0.1"), "{description}");
    }

    #[test]
    fn provider_text_is_cut_on_a_character_boundary() {
        assert_eq!(provider_text_excerpt("  short  "), "short");
        let long = "é".repeat(300);
        let excerpt = provider_text_excerpt(&long);
        assert_eq!(excerpt.chars().count(), PROVIDER_TEXT_LIMIT + 1);
        assert!(excerpt.ends_with('…'));
    }
}
