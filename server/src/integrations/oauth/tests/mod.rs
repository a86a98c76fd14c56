//! Shared fixtures: RSA signing keys made at test time, a wiremock server standing in for every provider, and
//! ID-token claims that pass verification unless a test changes them.

mod code_exchange_tests;
mod facebook_tests;
mod id_token_tests;
mod jwks_tests;

use std::collections::HashMap;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fairydust_schema::identity::oauth::OAuthError;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, rand_core::OsRng};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::OAuthClients;
use crate::integrations::config::IntegrationsConfig;
use crate::integrations::http::build_http_client;

pub(super) const GOOGLE_WEB_CLIENT: &str = "web-client.apps.googleusercontent.com";
pub(super) const GOOGLE_IOS_CLIENT: &str = "ios-client.apps.googleusercontent.com";
pub(super) const GOOGLE_CLIENT_SECRET: &str = "google-client-secret";
pub(super) const APPLE_BUNDLE_ID: &str = "com.fairydust.app";
pub(super) const APPLE_CLIENT_SECRET: &str = "apple-client-secret-jwt";
pub(super) const FACEBOOK_APP_ID: &str = "1234567890";
pub(super) const FACEBOOK_APP_SECRET: &str = "facebook-app-secret";

pub(super) const GOOGLE_JWKS_PATH: &str = "/google/jwks";
pub(super) const APPLE_JWKS_PATH: &str = "/apple/jwks";

/// A key pair as a provider holds it: the private half signs tokens, the public half is published as a JWK.
pub(super) struct SigningKey {
    pub(super) kid: &'static str,
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    fn generate(kid: &'static str) -> Self {
        let private = RsaPrivateKey::new(&mut OsRng, 2048).expect("RSA key generation");
        let der = private.to_pkcs1_der().expect("PKCS#1 encoding");
        let base64url = |bytes: Vec<u8>| URL_SAFE_NO_PAD.encode(bytes);
        let jwk = json!({
            "kty": "RSA",
            "kid": kid,
            "use": "sig",
            "alg": "RS256",
            "n": base64url(private.n().to_bytes_be()),
            "e": base64url(private.e().to_bytes_be()),
        });
        Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk,
        }
    }

    /// An RS256 token with this key's own `kid`.
    pub(super) fn sign(&self, claims: &Value) -> String {
        self.sign_as(self.kid, claims)
    }

    /// An RS256 token claiming to be signed by the key `kid` (a forgery when `kid` is another key's).
    pub(super) fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        encode(&header, claims, &self.encoding).expect("signing a test token")
    }
}

pub(super) static PROVIDER_KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::generate("provider-key-1"));
pub(super) static ROTATED_KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::generate("provider-key-2"));
pub(super) static ATTACKER_KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::generate("attacker-key"));

pub(super) fn jwk_set(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>() })
}

/// Publishes `keys` at `jwks_path` the way Google does, with a cache lifetime.
pub(super) async fn publish_keys(server: &MockServer, jwks_path: &str, keys: &[&SigningKey]) {
    Mock::given(method("GET"))
        .and(path(jwks_path))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "public, max-age=3600, must-revalidate")
                .set_body_json(jwk_set(keys)),
        )
        .mount(server)
        .await;
}

/// Every provider pointed at `server`, with all of them configured; `overrides` replace or blank variables.
pub(super) fn test_config(server: &MockServer, overrides: &[(&str, &str)]) -> IntegrationsConfig {
    let base = server.uri();
    let mut variables: HashMap<String, String> = [
        (
            "GOOGLE_CLIENT_IDS",
            format!("{GOOGLE_WEB_CLIENT},{GOOGLE_IOS_CLIENT}"),
        ),
        ("GOOGLE_CLIENT_SECRET", GOOGLE_CLIENT_SECRET.to_owned()),
        ("GOOGLE_JWKS_URL", format!("{base}{GOOGLE_JWKS_PATH}")),
        ("GOOGLE_TOKEN_URL", format!("{base}/google/token")),
        ("APPLE_CLIENT_IDS", APPLE_BUNDLE_ID.to_owned()),
        ("APPLE_CLIENT_SECRET", APPLE_CLIENT_SECRET.to_owned()),
        ("APPLE_JWKS_URL", format!("{base}{APPLE_JWKS_PATH}")),
        ("APPLE_TOKEN_URL", format!("{base}/apple/token")),
        ("FACEBOOK_APP_ID", FACEBOOK_APP_ID.to_owned()),
        ("FACEBOOK_APP_SECRET", FACEBOOK_APP_SECRET.to_owned()),
        ("FACEBOOK_GRAPH_URL", format!("{base}/graph")),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    for (name, value) in overrides {
        variables.insert((*name).to_owned(), (*value).to_owned());
    }
    IntegrationsConfig::from_lookup(&|name| variables.get(name).cloned())
        .expect("test configuration")
}

pub(super) fn clients(server: &MockServer, overrides: &[(&str, &str)]) -> OAuthClients {
    OAuthClients::new(
        &test_config(server, overrides),
        build_http_client().expect("HTTP client"),
    )
}

pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a valid Google ID token for the web client.
pub(super) fn google_claims() -> Value {
    json!({
        "iss": "https://accounts.google.com",
        "aud": GOOGLE_WEB_CLIENT,
        "sub": "110169484474386276334",
        "email": "ada@example.com",
        "email_verified": true,
        "name": "Ada Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/ada",
        "iat": now(),
        "exp": now() + 3600,
    })
}

/// Claims of a valid Apple ID token: Apple sends booleans as strings and the nonce hashed.
pub(super) fn apple_claims(hashed_nonce: &str) -> Value {
    json!({
        "iss": "https://appleid.apple.com",
        "aud": APPLE_BUNDLE_ID,
        "sub": "001234.5d0b4e4c2a8f4b8e9d1c.0638",
        "email": "x7k2@privaterelay.appleid.com",
        "email_verified": "true",
        "is_private_email": "true",
        "nonce": hashed_nonce,
        "nonce_supported": true,
        "iat": now(),
        "exp": now() + 600,
    })
}

/// `claims` with `changes` merged over it (a `null` removes nothing; it sets the claim to null).
pub(super) fn with(mut claims: Value, changes: Value) -> Value {
    if let (Some(target), Some(changes)) = (claims.as_object_mut(), changes.as_object()) {
        target.extend(changes.clone());
    }
    claims
}

#[track_caller]
pub(super) fn assert_rejected(
    result: Result<impl std::fmt::Debug, OAuthError>,
    provider: &str,
    reason_part: &str,
) {
    match result {
        Err(OAuthError::Rejected {
            provider: actual,
            reason,
        }) => {
            assert_eq!(actual, provider);
            assert!(
                reason.contains(reason_part),
                "reason {reason:?} should mention {reason_part:?}"
            );
        }
        other => panic!("expected a rejection mentioning {reason_part:?}, got {other:?}"),
    }
}

#[track_caller]
pub(super) fn assert_unavailable(
    result: Result<impl std::fmt::Debug, OAuthError>,
    provider: &str,
) -> String {
    match result {
        Err(OAuthError::Unavailable {
            provider: actual,
            reason,
        }) => {
            assert_eq!(actual, provider);
            reason
        }
        other => panic!("expected {provider} to be unavailable, got {other:?}"),
    }
}
