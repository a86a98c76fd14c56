//! The authorization-code grant with PKCE (RFC 6749 §4.1.3, RFC 7636): the app hands us a code and its verifier,
//! we trade them at the provider's token endpoint for an ID token, which the caller then verifies like any other.

use fairydust_schema::identity::oauth::{OAuthError, OAuthProvider};
use serde::Deserialize;

use super::{not_configured, rejected, unavailable};
use crate::integrations::config::Secret;
use crate::integrations::http::{describe_transport_error, provider_text_excerpt};

pub(super) struct CodeExchange {
    pub(super) provider: OAuthProvider,
    pub(super) token_url: String,
    /// The first configured client id: the one the code was issued to.
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<Secret>,
    pub(super) http: reqwest::Client,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// RFC 6749 §5.2 error body.
#[derive(Deserialize)]
struct TokenErrorResponse {
    error: String,
    error_description: Option<String>,
}

impl CodeExchange {
    /// Exchanges the code and returns the provider's (not yet verified) ID token.
    pub(super) async fn id_token_for(
        &self,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, OAuthError> {
        let provider = self.provider;
        let (Some(client_id), Some(client_secret)) = (&self.client_id, &self.client_secret) else {
            return Err(not_configured(provider));
        };
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", code_verifier),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
        ];
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|error| {
                unavailable(
                    provider,
                    format!(
                        "token endpoint unreachable: {}",
                        describe_transport_error(error)
                    ),
                )
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|error| {
            unavailable(
                provider,
                format!(
                    "token endpoint answer cut short: {}",
                    describe_transport_error(error)
                ),
            )
        })?;

        if status.is_success() {
            let tokens: TokenResponse = serde_json::from_slice(&body).map_err(|_| {
                unavailable(provider, "the token endpoint answered with malformed JSON")
            })?;
            return tokens.id_token.ok_or_else(|| {
                unavailable(provider, "the token endpoint answered without an id_token")
            });
        }
        if status.is_server_error() {
            return Err(unavailable(
                provider,
                format!("the token endpoint answered HTTP {status}"),
            ));
        }
        let Ok(refusal) = serde_json::from_slice::<TokenErrorResponse>(&body) else {
            return Err(rejected(
                provider,
                format!("the token endpoint refused the code with HTTP {status}"),
            ));
        };
        let detail = match refusal
            .error_description
            .as_deref()
            .map(provider_text_excerpt)
        {
            Some(description) if !description.is_empty() => {
                format!("{} ({description})", refusal.error)
            }
            _ => refusal.error.clone(),
        };
        if refusal.error == "invalid_client" || status == reqwest::StatusCode::UNAUTHORIZED {
            // Our client id or secret is wrong (an Apple client-secret JWT expires after at most six months): the
            // user's code may be fine, and only an operator can fix this.
            tracing::error!(
                provider = provider.as_str(),
                detail,
                "the token endpoint refused our client credentials"
            );
            return Err(unavailable(
                provider,
                "the server's client credentials were refused",
            ));
        }
        Err(rejected(
            provider,
            format!("the authorization code was refused: {detail}"),
        ))
    }
}
