//! Sign-in with Google, Apple and Facebook: the server side of `fairydust_schema::identity::oauth::OAuthVerifier`.
//!
//! Google and Apple credentials are OpenID Connect ID tokens (checked against the provider's JWKS) or authorization
//! codes with PKCE (exchanged at the token endpoint for an ID token, then checked the same way). Facebook issues
//! plain access tokens, which only the Graph API can vouch for.
//!
//! Why not the `openidconnect` crate: it drives the whole browser flow (discovery, authorization URL, its own HTTP
//! abstraction) while we only check tokens a mobile SDK already obtained; Apple's hashed nonce and its
//! string-typed `email_verified` also need hand-written claim handling either way. jsonwebtoken (already used for
//! our own access tokens) plus a small JWKS cache covers exactly what is needed.

mod code_exchange;
mod facebook;
mod id_token;
mod jwks;

use async_trait::async_trait;
use fairydust_schema::identity::oauth::{
    OAuthCredential, OAuthError, OAuthProvider, OAuthVerifier, VerifiedIdentity,
};

use self::code_exchange::CodeExchange;
use self::facebook::FacebookClient;
use self::id_token::IdTokenVerifier;
use self::jwks::JwksCache;
use crate::integrations::config::IntegrationsConfig;

const GOOGLE_ISSUERS: &[&str] = &["https://accounts.google.com", "accounts.google.com"];
const APPLE_ISSUERS: &[&str] = &["https://appleid.apple.com"];

/// The real OAuth verifier: one client per provider, all sharing one HTTP connection pool.
pub struct OAuthClients {
    google: OpenIdProvider,
    apple: OpenIdProvider,
    facebook: FacebookClient,
}

/// Google and Apple work alike: ID tokens, or authorization codes that turn into ID tokens.
struct OpenIdProvider {
    id_tokens: IdTokenVerifier,
    code_exchange: CodeExchange,
}

impl OpenIdProvider {
    async fn verify(
        &self,
        credential: OAuthCredential,
        nonce: Option<&str>,
    ) -> Result<VerifiedIdentity, OAuthError> {
        match credential {
            OAuthCredential::IdToken(token) => self.id_tokens.verify(&token, nonce).await,
            OAuthCredential::AuthorizationCode {
                code,
                code_verifier,
                redirect_uri,
            } => {
                // Refuse before calling the token endpoint when the tokens it returns could not be checked.
                self.id_tokens.ensure_configured()?;
                let id_token = self
                    .code_exchange
                    .id_token_for(&code, &code_verifier, &redirect_uri)
                    .await?;
                self.id_tokens.verify(&id_token, nonce).await
            }
            OAuthCredential::AccessToken(_) => Err(rejected(
                self.id_tokens.provider(),
                "expected an ID token or an authorization code, not an access token",
            )),
        }
    }
}

impl OAuthClients {
    pub fn new(config: &IntegrationsConfig, http: reqwest::Client) -> Self {
        let google = OpenIdProvider {
            id_tokens: IdTokenVerifier::new(
                OAuthProvider::Google,
                GOOGLE_ISSUERS,
                config.google_client_ids.clone(),
                JwksCache::new(
                    OAuthProvider::Google,
                    config.google_jwks_url.clone(),
                    http.clone(),
                ),
            ),
            code_exchange: CodeExchange {
                provider: OAuthProvider::Google,
                token_url: config.google_token_url.clone(),
                client_id: config.google_client_ids.first().cloned(),
                client_secret: config.google_client_secret.clone(),
                http: http.clone(),
            },
        };
        let apple = OpenIdProvider {
            id_tokens: IdTokenVerifier::new(
                OAuthProvider::Apple,
                APPLE_ISSUERS,
                config.apple_client_ids.clone(),
                JwksCache::new(
                    OAuthProvider::Apple,
                    config.apple_jwks_url.clone(),
                    http.clone(),
                ),
            ),
            code_exchange: CodeExchange {
                provider: OAuthProvider::Apple,
                token_url: config.apple_token_url.clone(),
                client_id: config.apple_client_ids.first().cloned(),
                client_secret: config.apple_client_secret.clone(),
                http: http.clone(),
            },
        };
        let facebook = FacebookClient {
            graph_url: config.facebook_graph_url.clone(),
            app_id: config.facebook_app_id.clone(),
            app_secret: config.facebook_app_secret.clone(),
            http,
        };
        Self {
            google,
            apple,
            facebook,
        }
    }
}

#[async_trait]
impl OAuthVerifier for OAuthClients {
    async fn verify(
        &self,
        provider: OAuthProvider,
        credential: OAuthCredential,
        nonce: Option<&str>,
    ) -> Result<VerifiedIdentity, OAuthError> {
        let outcome = match provider {
            OAuthProvider::Google => self.google.verify(credential, nonce).await,
            OAuthProvider::Apple => self.apple.verify(credential, nonce).await,
            OAuthProvider::Facebook => match credential {
                OAuthCredential::AccessToken(token) => self.facebook.verify(&token).await,
                _ => Err(rejected(provider, "expected a Facebook user access token")),
            },
        };
        if let Err(error) = &outcome {
            // Reasons never contain tokens or secrets, so they are safe to log.
            tracing::info!(provider = provider.as_str(), %error, "OAuth credential not accepted");
        }
        outcome
    }
}

fn rejected(provider: OAuthProvider, reason: impl Into<String>) -> OAuthError {
    OAuthError::Rejected {
        provider: provider.as_str(),
        reason: reason.into(),
    }
}

fn unavailable(provider: OAuthProvider, reason: impl Into<String>) -> OAuthError {
    OAuthError::Unavailable {
        provider: provider.as_str(),
        reason: reason.into(),
    }
}

fn not_configured(provider: OAuthProvider) -> OAuthError {
    OAuthError::NotConfigured(provider.as_str())
}

#[cfg(test)]
mod tests;
