//! Caching, key rotation and failures of the JWKS, through `JwksCache` and through the verifier.

use std::time::Duration;

use fairydust_schema::identity::oauth::{OAuthCredential, OAuthProvider, OAuthVerifier};
use futures_util::future::join_all;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::super::jwks::JwksCache;
use super::*;

fn key_set_response(keys: &[&SigningKey], cache_control: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("cache-control", cache_control)
        .set_body_json(jwk_set(keys))
}

fn cache(server: &MockServer, unknown_kid_cooldown: Option<Duration>) -> JwksCache {
    let url = format!("{}{GOOGLE_JWKS_PATH}", server.uri());
    let http = build_http_client().unwrap();
    match unknown_kid_cooldown {
        Some(cooldown) => {
            JwksCache::with_unknown_kid_cooldown(OAuthProvider::Google, url, http, cooldown)
        }
        None => JwksCache::new(OAuthProvider::Google, url, http),
    }
}

#[tokio::test]
async fn concurrent_lookups_share_one_fetch() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(
            key_set_response(&[&PROVIDER_KEY], "max-age=3600")
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cache = cache(&server, None);
    let lookups = join_all((0..5).map(|_| cache.key(PROVIDER_KEY.kid))).await;
    assert!(lookups.iter().all(Result::is_ok));
}

#[tokio::test]
async fn max_age_zero_means_every_lookup_refetches() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(key_set_response(&[&PROVIDER_KEY], "max-age=0"))
        .expect(2)
        .mount(&server)
        .await;
    let cache = cache(&server, None);
    cache.key(PROVIDER_KEY.kid).await.unwrap();
    cache.key(PROVIDER_KEY.kid).await.unwrap();
}

#[tokio::test]
async fn an_unknown_kid_refetches_once_and_finds_a_rotated_key() {
    let server = MockServer::start().await;
    // The first answer predates the rotation; every later one also publishes the new key.
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(key_set_response(&[&PROVIDER_KEY], "max-age=3600"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(key_set_response(
            &[&PROVIDER_KEY, &ROTATED_KEY],
            "max-age=3600",
        ))
        .mount(&server)
        .await;
    let cache = cache(&server, Some(Duration::ZERO));

    cache.key(PROVIDER_KEY.kid).await.unwrap();
    cache.key(ROTATED_KEY.kid).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    assert_rejected(cache.key("never-published").await, "google", "unknown kid");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "exactly one refetch per unknown kid"
    );
}

#[tokio::test]
async fn unknown_kids_right_after_a_fetch_do_not_refetch() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(key_set_response(&[&PROVIDER_KEY], "max-age=3600"))
        .expect(1)
        .mount(&server)
        .await;
    let cache = cache(&server, None);
    cache.key(PROVIDER_KEY.kid).await.unwrap();
    for forged_kid in ["forged-1", "forged-2", "forged-3"] {
        assert_rejected(cache.key(forged_kid).await, "google", "unknown kid");
    }
}

#[tokio::test]
async fn keys_that_are_not_rs256_signing_keys_are_ignored() {
    let server = MockServer::start().await;
    let mut encryption_key = PROVIDER_KEY.jwk.clone();
    encryption_key["use"] = "enc".into();
    encryption_key["kid"] = "encryption-key".into();
    let body = serde_json::json!({ "keys": [
        { "kty": "EC", "kid": "ec-key", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
        encryption_key,
        PROVIDER_KEY.jwk.clone(),
    ]});
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let cache = cache(&server, None);
    assert!(cache.key(PROVIDER_KEY.kid).await.is_ok());
    assert_rejected(cache.key("ec-key").await, "google", "unknown kid");
    assert_rejected(cache.key("encryption-key").await, "google", "unknown kid");
}

fn google_id_token() -> OAuthCredential {
    OAuthCredential::IdToken(PROVIDER_KEY.sign(&google_claims()))
}

#[tokio::test]
async fn the_jwks_is_fetched_once_and_cached() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cache-control", "max-age=600")
                .set_body_json(jwk_set(&[&PROVIDER_KEY])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let clients = clients(&server, &[]);
    for _ in 0..3 {
        clients
            .verify(OAuthProvider::Google, google_id_token(), None)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_failing_or_malformed_jwks_makes_the_provider_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GOOGLE_JWKS_PATH))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(APPLE_JWKS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .mount(&server)
        .await;
    let clients = clients(&server, &[]);

    let reason = assert_unavailable(
        clients
            .verify(OAuthProvider::Google, google_id_token(), None)
            .await,
        "google",
    );
    assert!(reason.contains("500"), "{reason}");
    let apple = clients
        .verify(
            OAuthProvider::Apple,
            OAuthCredential::IdToken(PROVIDER_KEY.sign(&apple_claims("n"))),
            None,
        )
        .await;
    assert_unavailable(apple, "apple");
}
