//! Google and Apple ID tokens through the public `OAuthVerifier` entry point, against a mock JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fairydust_schema::identity::oauth::{
    OAuthCredential, OAuthError, OAuthProvider, OAuthVerifier,
};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

async fn google_with_keys() -> (MockServer, OAuthClients) {
    let server = MockServer::start().await;
    publish_keys(&server, GOOGLE_JWKS_PATH, &[&PROVIDER_KEY]).await;
    let clients = clients(&server, &[]);
    (server, clients)
}

async fn verify_google(
    clients: &OAuthClients,
    token: String,
    nonce: Option<&str>,
) -> Result<fairydust_schema::identity::oauth::VerifiedIdentity, OAuthError> {
    clients
        .verify(
            OAuthProvider::Google,
            OAuthCredential::IdToken(token),
            nonce,
        )
        .await
}

#[tokio::test]
async fn a_valid_google_token_is_accepted_and_mapped() {
    let (_server, clients) = google_with_keys().await;
    let identity = verify_google(&clients, PROVIDER_KEY.sign(&google_claims()), None)
        .await
        .unwrap();
    assert_eq!(identity.provider, OAuthProvider::Google);
    assert_eq!(identity.subject, "110169484474386276334");
    assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    assert!(identity.email_verified);
    assert_eq!(identity.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        identity.picture_url.as_deref(),
        Some("https://lh3.googleusercontent.com/a/ada")
    );
}

#[tokio::test]
async fn every_configured_client_id_and_both_google_issuers_are_accepted() {
    let (_server, clients) = google_with_keys().await;
    let claims = with(
        google_claims(),
        json!({ "aud": GOOGLE_IOS_CLIENT, "iss": "accounts.google.com" }),
    );
    assert!(
        verify_google(&clients, PROVIDER_KEY.sign(&claims), None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_unverified_or_missing_email_is_not_reported_verified() {
    let (_server, clients) = google_with_keys().await;
    let unverified = with(google_claims(), json!({ "email_verified": false }));
    assert!(
        !verify_google(&clients, PROVIDER_KEY.sign(&unverified), None)
            .await
            .unwrap()
            .email_verified
    );
    let mut no_email = google_claims();
    no_email.as_object_mut().unwrap().remove("email");
    let identity = verify_google(&clients, PROVIDER_KEY.sign(&no_email), None)
        .await
        .unwrap();
    assert_eq!((identity.email, identity.email_verified), (None, false));
}

#[tokio::test]
async fn an_apple_token_with_a_hashed_nonce_and_string_booleans_is_accepted() {
    let server = MockServer::start().await;
    publish_keys(&server, APPLE_JWKS_PATH, &[&PROVIDER_KEY]).await;
    let clients = clients(&server, &[]);
    let raw_nonce = "b7c1f0e2-raw-nonce";
    let hashed = hex::encode(Sha256::digest(raw_nonce.as_bytes()));
    let token = PROVIDER_KEY.sign(&apple_claims(&hashed));

    let identity = clients
        .verify(
            OAuthProvider::Apple,
            OAuthCredential::IdToken(token),
            Some(raw_nonce),
        )
        .await
        .unwrap();
    assert_eq!(identity.provider, OAuthProvider::Apple);
    assert_eq!(identity.subject, "001234.5d0b4e4c2a8f4b8e9d1c.0638");
    assert!(identity.email_verified);
}

#[tokio::test]
async fn a_raw_nonce_in_the_token_is_accepted_and_a_different_one_rejected() {
    let (_server, clients) = google_with_keys().await;
    let token = PROVIDER_KEY.sign(&with(google_claims(), json!({ "nonce": "nonce-123" })));
    assert!(
        verify_google(&clients, token.clone(), Some("nonce-123"))
            .await
            .is_ok()
    );
    assert_rejected(
        verify_google(&clients, token, Some("nonce-456")).await,
        "google",
        "nonce does not match",
    );
}

#[tokio::test]
async fn a_token_without_a_nonce_is_rejected_when_one_was_expected() {
    let (_server, clients) = google_with_keys().await;
    let result = verify_google(
        &clients,
        PROVIDER_KEY.sign(&google_claims()),
        Some("nonce-123"),
    )
    .await;
    assert_rejected(result, "google", "no nonce");
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_rejected() {
    let (_server, clients) = google_with_keys().await;
    let forged = ATTACKER_KEY.sign_as(PROVIDER_KEY.kid, &google_claims());
    assert_rejected(
        verify_google(&clients, forged, None).await,
        "google",
        "signature does not match",
    );
}

#[tokio::test]
async fn a_token_for_another_app_is_rejected() {
    let (_server, clients) = google_with_keys().await;
    let claims = with(
        google_claims(),
        json!({ "aud": "someone-else.apps.googleusercontent.com" }),
    );
    assert_rejected(
        verify_google(&clients, PROVIDER_KEY.sign(&claims), None).await,
        "google",
        "another app (aud)",
    );
}

#[tokio::test]
async fn a_token_from_another_issuer_is_rejected() {
    let (_server, clients) = google_with_keys().await;
    // An Apple-issued token must not pass as a Google one even when signed by a key Google publishes.
    let claims = with(
        google_claims(),
        json!({ "iss": "https://appleid.apple.com" }),
    );
    assert_rejected(
        verify_google(&clients, PROVIDER_KEY.sign(&claims), None).await,
        "google",
        "(iss)",
    );
}

#[tokio::test]
async fn an_expired_token_is_rejected_beyond_the_leeway() {
    let (_server, clients) = google_with_keys().await;
    let claims = with(
        google_claims(),
        json!({ "iat": now() - 7200, "exp": now() - 600 }),
    );
    assert_rejected(
        verify_google(&clients, PROVIDER_KEY.sign(&claims), None).await,
        "google",
        "expired",
    );
}

#[tokio::test]
async fn a_token_signed_with_an_unpublished_key_is_rejected() {
    let (_server, clients) = google_with_keys().await;
    let token = ATTACKER_KEY.sign(&google_claims());
    assert_rejected(
        verify_google(&clients, token, None).await,
        "google",
        "unknown kid",
    );
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_rejected() {
    let (_server, clients) = google_with_keys().await;
    let encode_part = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let unsigned = format!(
        "{}.{}.",
        encode_part(json!({ "alg": "none", "typ": "JWT", "kid": PROVIDER_KEY.kid })),
        encode_part(google_claims())
    );
    assert_rejected(
        verify_google(&clients, unsigned, None).await,
        "google",
        "unsupported algorithm",
    );
}

#[tokio::test]
async fn an_hs256_token_is_rejected_whatever_its_secret() {
    let (_server, clients) = google_with_keys().await;
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(PROVIDER_KEY.kid.to_owned());
    // The classic confusion attack uses the provider's public key, which anyone can fetch, as the HMAC secret.
    let public_modulus = PROVIDER_KEY.jwk["n"].as_str().unwrap();
    let token = encode(
        &header,
        &google_claims(),
        &EncodingKey::from_secret(public_modulus.as_bytes()),
    )
    .unwrap();
    assert_rejected(
        verify_google(&clients, token, None).await,
        "google",
        "only RS256 is accepted",
    );
}

#[tokio::test]
async fn garbage_is_rejected_without_calling_the_provider() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let clients = clients(&server, &[]);
    assert_rejected(
        verify_google(&clients, "not-a-jwt".to_owned(), None).await,
        "google",
        "well-formed",
    );
}

#[tokio::test]
async fn a_provider_without_client_ids_is_not_configured() {
    let (server, _) = google_with_keys().await;
    let clients = clients(&server, &[("GOOGLE_CLIENT_IDS", "")]);
    let result = verify_google(&clients, PROVIDER_KEY.sign(&google_claims()), None).await;
    assert_eq!(result, Err(OAuthError::NotConfigured("google")));
}

#[tokio::test]
async fn an_access_token_is_not_a_google_credential() {
    let (_server, clients) = google_with_keys().await;
    let result = clients
        .verify(
            OAuthProvider::Google,
            OAuthCredential::AccessToken("ya29.token".into()),
            None,
        )
        .await;
    assert_rejected(result, "google", "not an access token");
}
