//! A stand-in for Google, Apple and Facebook on 127.0.0.1: it publishes a JWKS, signs ID tokens with the
//! matching private key, and answers the Graph API — so sign-in tests run the server's real verification.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, rand_core::OsRng};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::Overrides;

pub const GOOGLE_CLIENT_ID: &str = "test-client.apps.googleusercontent.com";
pub const APPLE_CLIENT_ID: &str = "fun.fairydust.test";
pub const FACEBOOK_APP_ID: &str = "424242";
/// The nonce the test "app" put in its provider request; the claim helpers carry it.
pub const TEST_NONCE: &str = "test-nonce-0001";

struct Keys {
    provider: EncodingKey,
    attacker: EncodingKey,
    jwk: Value,
}

/// Key generation is slow in debug builds: one pair per test process.
static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let generate = || RsaPrivateKey::new(&mut OsRng, 2048).expect("RSA key generation");
    let (provider, attacker) = (generate(), generate());
    let jwk = json!({
        "kty": "RSA", "kid": "test-key", "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(provider.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(provider.e().to_bytes_be()),
    });
    let encoding = |key: &RsaPrivateKey| {
        EncodingKey::from_rsa_der(key.to_pkcs1_der().expect("PKCS#1").as_bytes())
    };
    Keys {
        provider: encoding(&provider),
        attacker: encoding(&attacker),
        jwk,
    }
});

pub struct MockIdentityProvider {
    pub server: MockServer,
}

impl MockIdentityProvider {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        for jwks in ["/google/jwks", "/apple/jwks"] {
            Mock::given(method("GET"))
                .and(path(jwks))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({ "keys": [KEYS.jwk.clone()] })),
                )
                .mount(&server)
                .await;
        }
        Self { server }
    }

    pub fn overrides(&self) -> Overrides {
        let base = self.server.uri();
        Overrides::default()
            .set("GOOGLE_CLIENT_IDS", GOOGLE_CLIENT_ID)
            .set("GOOGLE_JWKS_URL", format!("{base}/google/jwks"))
            .set("APPLE_CLIENT_IDS", APPLE_CLIENT_ID)
            .set("APPLE_JWKS_URL", format!("{base}/apple/jwks"))
            .set("FACEBOOK_APP_ID", FACEBOOK_APP_ID)
            .set("FACEBOOK_APP_SECRET", "facebook-test-secret")
            .set("FACEBOOK_GRAPH_URL", format!("{base}/graph"))
    }

    /// Claims of a Google ID token that verifies; tests change fields to make it fail.
    pub fn google_claims(subject: &str, email: Option<&str>, email_verified: bool) -> Value {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": "https://accounts.google.com", "aud": GOOGLE_CLIENT_ID, "sub": subject,
            "iat": now, "exp": now + 3600, "email_verified": email_verified, "nonce": TEST_NONCE,
        });
        if let Some(email) = email {
            claims["email"] = json!(email);
        }
        claims
    }

    /// Apple puts the SHA-256 hex of the app's nonce in the token.
    pub fn apple_claims(subject: &str, email: Option<&str>) -> Value {
        use sha2::Digest;
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": "https://appleid.apple.com", "aud": APPLE_CLIENT_ID, "sub": subject,
            "iat": now, "exp": now + 3600,
            "nonce": hex::encode(sha2::Sha256::digest(TEST_NONCE.as_bytes())),
        });
        if let Some(email) = email {
            claims["email"] = json!(email);
            claims["email_verified"] = json!("true");
        }
        claims
    }

    /// An RS256 token signed with the published key.
    pub fn sign(claims: &Value) -> String {
        Self::sign_with(&KEYS.provider, claims)
    }

    /// The same, signed with a key the provider never published.
    pub fn forge(claims: &Value) -> String {
        Self::sign_with(&KEYS.attacker, claims)
    }

    fn sign_with(key: &EncodingKey, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("test-key".to_owned());
        encode(&header, claims, key).expect("signing a test token")
    }

    /// Makes the Graph API vouch for `token` as the Facebook user `id`.
    pub async fn facebook_user(&self, token: &str, id: &str, email: Option<&str>, app_id: &str) {
        Mock::given(method("GET"))
            .and(path("/graph/debug_token"))
            .and(query_param("input_token", token))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": { "app_id": app_id, "is_valid": true, "user_id": id }
            })))
            .mount(&self.server)
            .await;
        let mut me = json!({ "id": id, "name": "Facebook Friend" });
        if let Some(email) = email {
            me["email"] = json!(email);
        }
        Mock::given(method("GET"))
            .and(path("/graph/me"))
            .and(query_param("access_token", token))
            .respond_with(ResponseTemplate::new(200).set_body_json(me))
            .mount(&self.server)
            .await;
    }
}
