//! Settings of the third-party integrations (OAuth providers, LLM providers), read from the environment the same
//! way as `crate::config::Config`: an empty variable counts as unset, and a bad value names its variable.

use std::time::Duration;

pub use crate::config::Secret;
use crate::config::{ConfigError, Source};

/// Which generator answers LLM calls when no real provider should be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlmProviderMode {
    /// Real providers, each one only when its API key is set.
    Configured,
    /// The offline development generator stands in for every provider (`LLM_PROVIDER=dev`).
    Dev,
}

#[derive(Clone, Debug)]
pub struct IntegrationsConfig {
    /// `GOOGLE_CLIENT_IDS`: every accepted `aud` of a Google ID token (iOS, Android and web client ids). The first
    /// one is also the `client_id` of the authorization-code exchange. Empty: Google sign-in is off.
    pub google_client_ids: Vec<String>,
    /// `GOOGLE_CLIENT_SECRET`: the web client's secret, needed only for the authorization-code exchange.
    pub google_client_secret: Option<Secret>,
    /// `GOOGLE_JWKS_URL`: Google's signing keys (default `https://www.googleapis.com/oauth2/v3/certs`).
    pub google_jwks_url: String,
    /// `GOOGLE_TOKEN_URL`: where authorization codes are exchanged (default `https://oauth2.googleapis.com/token`).
    pub google_token_url: String,
    /// `APPLE_CLIENT_IDS`: every accepted `aud` of an Apple ID token (the app's bundle id, the web services id).
    /// The first one is also the `client_id` of the authorization-code exchange. Empty: Apple sign-in is off.
    pub apple_client_ids: Vec<String>,
    /// `APPLE_CLIENT_SECRET`: a pre-generated client-secret JWT (ES256, at most six months valid) for the
    /// authorization-code exchange.
    pub apple_client_secret: Option<Secret>,
    /// `APPLE_JWKS_URL`: Apple's signing keys (default `https://appleid.apple.com/auth/keys`).
    pub apple_jwks_url: String,
    /// `APPLE_TOKEN_URL`: where authorization codes are exchanged (default `https://appleid.apple.com/auth/token`).
    pub apple_token_url: String,
    /// `FACEBOOK_APP_ID`: the app that user access tokens must have been issued to.
    pub facebook_app_id: Option<String>,
    /// `FACEBOOK_APP_SECRET`: authenticates our `debug_token` calls and signs `appsecret_proof`.
    pub facebook_app_secret: Option<Secret>,
    /// `FACEBOOK_GRAPH_URL`: the Graph API (default `https://graph.facebook.com`).
    pub facebook_graph_url: String,
    /// `ANTHROPIC_API_KEY`: enables the Anthropic Messages client.
    pub anthropic_api_key: Option<Secret>,
    /// `ANTHROPIC_BASE_URL`: default `https://api.anthropic.com`.
    pub anthropic_base_url: String,
    /// `OPENAI_API_KEY`: enables the OpenAI Chat Completions client.
    pub openai_api_key: Option<Secret>,
    /// `OPENAI_BASE_URL`: default `https://api.openai.com`.
    pub openai_base_url: String,
    /// `LLM_PROVIDER`: unset for the real providers, `dev` for the offline development generator (refused with
    /// `ENVIRONMENT=production`).
    pub llm_provider: LlmProviderMode,
    /// `LLM_TIMEOUT_SECONDS`: the longest one LLM call may take, body included (default 60).
    pub llm_timeout: Duration,
}

impl IntegrationsConfig {
    pub(crate) fn from_source(
        source: &Source<'_>,
        production: bool,
    ) -> Result<IntegrationsConfig, ConfigError> {
        let secret = |name: &'static str| source.text(name).map(Secret::new);
        let llm_provider = match source
            .text("LLM_PROVIDER")
            .map(|raw| raw.to_ascii_lowercase())
            .as_deref()
        {
            None => LlmProviderMode::Configured,
            Some("dev") if production => {
                return Err(ConfigError::new(
                    "LLM_PROVIDER",
                    "the offline dev generator is refused in production",
                ));
            }
            Some("dev") => LlmProviderMode::Dev,
            Some(other) => {
                return Err(ConfigError::new(
                    "LLM_PROVIDER",
                    format!("expected dev or nothing, got {other:?}"),
                ));
            }
        };
        let llm_timeout_seconds: u64 = source.parse("LLM_TIMEOUT_SECONDS", 60)?;
        if llm_timeout_seconds == 0 {
            return Err(ConfigError::new(
                "LLM_TIMEOUT_SECONDS",
                "must be at least 1",
            ));
        }

        Ok(IntegrationsConfig {
            google_client_ids: source.list("GOOGLE_CLIENT_IDS"),
            google_client_secret: secret("GOOGLE_CLIENT_SECRET"),
            google_jwks_url: source.url(
                "GOOGLE_JWKS_URL",
                "https://www.googleapis.com/oauth2/v3/certs",
            )?,
            google_token_url: source
                .url("GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")?,
            apple_client_ids: source.list("APPLE_CLIENT_IDS"),
            apple_client_secret: secret("APPLE_CLIENT_SECRET"),
            apple_jwks_url: source.url("APPLE_JWKS_URL", "https://appleid.apple.com/auth/keys")?,
            apple_token_url: source
                .url("APPLE_TOKEN_URL", "https://appleid.apple.com/auth/token")?,
            facebook_app_id: source.text("FACEBOOK_APP_ID"),
            facebook_app_secret: secret("FACEBOOK_APP_SECRET"),
            facebook_graph_url: source.url("FACEBOOK_GRAPH_URL", "https://graph.facebook.com")?,
            anthropic_api_key: secret("ANTHROPIC_API_KEY"),
            anthropic_base_url: source.url("ANTHROPIC_BASE_URL", "https://api.anthropic.com")?,
            openai_api_key: secret("OPENAI_API_KEY"),
            openai_base_url: source.url("OPENAI_BASE_URL", "https://api.openai.com")?,
            llm_provider,
            llm_timeout: Duration::from_secs(llm_timeout_seconds),
        })
    }
}

#[cfg(test)]
impl IntegrationsConfig {
    /// The integrations part of a whole configuration read through `lookup`.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        crate::config::Config::from_lookup(lookup).map(|config| config.integrations)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<IntegrationsConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        crate::config::Config::from_map(&map).map(|config| config.integrations)
    }

    #[test]
    fn production_refuses_the_dev_generator() {
        let error = config(&[
            ("ENVIRONMENT", "production"),
            ("JWT_SECRET", "a-very-long-production-secret-of-44-bytes!!"),
            ("RESEND_API_KEY", "re_1"),
            ("LLM_PROVIDER", "dev"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "LLM_PROVIDER");
    }

    #[test]
    fn defaults_point_at_the_real_providers_with_nothing_enabled() {
        let config = config(&[]).unwrap();
        assert!(config.google_client_ids.is_empty());
        assert!(config.apple_client_ids.is_empty());
        assert_eq!(
            config.google_jwks_url,
            "https://www.googleapis.com/oauth2/v3/certs"
        );
        assert_eq!(
            config.google_token_url,
            "https://oauth2.googleapis.com/token"
        );
        assert_eq!(config.apple_jwks_url, "https://appleid.apple.com/auth/keys");
        assert_eq!(
            config.apple_token_url,
            "https://appleid.apple.com/auth/token"
        );
        assert_eq!(config.facebook_graph_url, "https://graph.facebook.com");
        assert_eq!(config.anthropic_base_url, "https://api.anthropic.com");
        assert_eq!(config.openai_base_url, "https://api.openai.com");
        assert_eq!(config.facebook_app_id, None);
        assert_eq!(config.anthropic_api_key, None);
        assert_eq!(config.openai_api_key, None);
        assert_eq!(config.llm_provider, LlmProviderMode::Configured);
        assert_eq!(config.llm_timeout, Duration::from_secs(60));
    }

    #[test]
    fn lists_urls_and_empty_values_are_normalised() {
        let config = config(&[
            (
                "GOOGLE_CLIENT_IDS",
                " ios.apps.googleusercontent.com, ,web.apps.googleusercontent.com ",
            ),
            ("OPENAI_BASE_URL", "http://127.0.0.1:9000/"),
            ("ANTHROPIC_API_KEY", "   "),
            ("LLM_PROVIDER", "DEV"),
        ])
        .unwrap();
        assert_eq!(
            config.google_client_ids,
            [
                "ios.apps.googleusercontent.com",
                "web.apps.googleusercontent.com"
            ]
        );
        assert_eq!(config.openai_base_url, "http://127.0.0.1:9000");
        assert_eq!(config.anthropic_api_key, None);
        assert_eq!(config.llm_provider, LlmProviderMode::Dev);
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(
            config(&[("LLM_TIMEOUT_SECONDS", "soon")])
                .unwrap_err()
                .variable,
            "LLM_TIMEOUT_SECONDS"
        );
        assert_eq!(
            config(&[("LLM_TIMEOUT_SECONDS", "0")])
                .unwrap_err()
                .variable,
            "LLM_TIMEOUT_SECONDS"
        );
        assert_eq!(
            config(&[("LLM_PROVIDER", "mock")]).unwrap_err().variable,
            "LLM_PROVIDER"
        );
        assert_eq!(
            config(&[("APPLE_JWKS_URL", "ftp://keys")])
                .unwrap_err()
                .variable,
            "APPLE_JWKS_URL"
        );
        assert_eq!(
            config(&[("FACEBOOK_GRAPH_URL", "graph")])
                .unwrap_err()
                .variable,
            "FACEBOOK_GRAPH_URL"
        );
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let config = config(&[
            ("OPENAI_API_KEY", "sk-very-secret"),
            ("APPLE_CLIENT_SECRET", "eyJ.secret.jwt"),
        ])
        .unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("sk-very-secret"));
        assert!(!printed.contains("eyJ.secret.jwt"));
    }
}
