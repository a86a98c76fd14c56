//! Authorization code + PKCE: the form we post to the token endpoint, and how its answers surface.

use std::collections::HashMap;

use fairydust_schema::identity::oauth::{
    OAuthCredential, OAuthError, OAuthProvider, OAuthVerifier,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;

fn code_credential() -> OAuthCredential {
    OAuthCredential::AuthorizationCode {
        code: "4/0AX4XfWh-code".to_owned(),
        code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned(),
        redirect_uri: "com.fairydust.app:/oauth2redirect".to_owned(),
    }
}

fn form_fields(request: &Request) -> HashMap<String, String> {
    let body = String::from_utf8(request.body.clone()).expect("form bodies are UTF-8");
    let url =
        reqwest::Url::parse(&format!("http://form.invalid/?{body}")).expect("form-encoded body");
    url.query_pairs().into_owned().collect()
}

async fn token_endpoint(server: &MockServer, token_path: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(token_path))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn google_code_exchange_posts_the_pkce_form_and_verifies_the_returned_token() {
    let server = MockServer::start().await;
    publish_keys(&server, GOOGLE_JWKS_PATH, &[&PROVIDER_KEY]).await;
    let id_token = PROVIDER_KEY.sign(&google_claims());
    let answer = json!({ "access_token": "ya29.a0", "expires_in": 3599, "token_type": "Bearer", "id_token": id_token });
    token_endpoint(
        &server,
        "/google/token",
        ResponseTemplate::new(200).set_body_json(answer),
    )
    .await;
    let clients = clients(&server, &[]);

    let identity = clients
        .verify(OAuthProvider::Google, code_credential(), None)
        .await
        .unwrap();
    assert_eq!(identity.subject, "110169484474386276334");

    let requests = server.received_requests().await.unwrap();
    let exchange = requests
        .iter()
        .find(|request| request.url.path() == "/google/token")
        .unwrap();
    let expected: HashMap<String, String> = [
        ("grant_type", "authorization_code"),
        ("code", "4/0AX4XfWh-code"),
        (
            "code_verifier",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ),
        ("redirect_uri", "com.fairydust.app:/oauth2redirect"),
        ("client_id", GOOGLE_WEB_CLIENT),
        ("client_secret", GOOGLE_CLIENT_SECRET),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    assert_eq!(form_fields(exchange), expected);
}

#[tokio::test]
async fn apple_code_exchange_uses_the_apple_client_and_checks_the_nonce() {
    let server = MockServer::start().await;
    publish_keys(&server, APPLE_JWKS_PATH, &[&PROVIDER_KEY]).await;
    let hashed_nonce = hex::encode(Sha256::digest(b"raw-nonce"));
    let answer = json!({ "id_token": PROVIDER_KEY.sign(&apple_claims(&hashed_nonce)), "refresh_token": "r.1" });
    token_endpoint(
        &server,
        "/apple/token",
        ResponseTemplate::new(200).set_body_json(answer),
    )
    .await;
    let clients = clients(&server, &[]);

    let identity = clients
        .verify(OAuthProvider::Apple, code_credential(), Some("raw-nonce"))
        .await
        .unwrap();
    assert_eq!(identity.provider, OAuthProvider::Apple);
    let wrong_nonce = clients
        .verify(
            OAuthProvider::Apple,
            code_credential(),
            Some("another-nonce"),
        )
        .await;
    assert_rejected(wrong_nonce, "apple", "nonce");

    let requests = server.received_requests().await.unwrap();
    let fields = form_fields(
        requests
            .iter()
            .find(|request| request.url.path() == "/apple/token")
            .unwrap(),
    );
    assert_eq!(fields["client_id"], APPLE_BUNDLE_ID);
    assert_eq!(fields["client_secret"], APPLE_CLIENT_SECRET);
}

#[tokio::test]
async fn a_refused_code_is_rejected_with_the_providers_reason() {
    let server = MockServer::start().await;
    let refusal = json!({ "error": "invalid_grant", "error_description": "Bad Request" });
    token_endpoint(
        &server,
        "/google/token",
        ResponseTemplate::new(400).set_body_json(refusal),
    )
    .await;
    let result = clients(&server, &[])
        .verify(OAuthProvider::Google, code_credential(), None)
        .await;
    assert_rejected(result, "google", "invalid_grant (Bad Request)");
}

#[tokio::test]
async fn refused_client_credentials_are_our_problem_not_the_users() {
    let server = MockServer::start().await;
    let refusal = json!({ "error": "invalid_client" });
    token_endpoint(
        &server,
        "/apple/token",
        ResponseTemplate::new(400).set_body_json(refusal),
    )
    .await;
    let result = clients(&server, &[])
        .verify(OAuthProvider::Apple, code_credential(), None)
        .await;
    let reason = assert_unavailable(result, "apple");
    assert!(!reason.contains(APPLE_CLIENT_SECRET));
}

#[tokio::test]
async fn a_failing_or_incomplete_token_endpoint_makes_the_provider_unavailable() {
    let server = MockServer::start().await;
    token_endpoint(&server, "/google/token", ResponseTemplate::new(503)).await;
    token_endpoint(
        &server,
        "/apple/token",
        ResponseTemplate::new(200).set_body_json(json!({ "access_token": "a" })),
    )
    .await;
    let clients = clients(&server, &[]);
    let reason = assert_unavailable(
        clients
            .verify(OAuthProvider::Google, code_credential(), None)
            .await,
        "google",
    );
    assert!(reason.contains("503"), "{reason}");
    let reason = assert_unavailable(
        clients
            .verify(OAuthProvider::Apple, code_credential(), None)
            .await,
        "apple",
    );
    assert!(reason.contains("without an id_token"), "{reason}");
}

#[tokio::test]
async fn malformed_json_from_the_token_endpoint_makes_the_provider_unavailable() {
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        "/google/token",
        ResponseTemplate::new(200).set_body_string("{\"id_token\": "),
    )
    .await;
    let result = clients(&server, &[])
        .verify(OAuthProvider::Google, code_credential(), None)
        .await;
    assert_unavailable(result, "google");
}

#[tokio::test]
async fn without_a_client_secret_no_code_is_exchanged() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let clients = clients(&server, &[("GOOGLE_CLIENT_SECRET", "")]);
    let result = clients
        .verify(OAuthProvider::Google, code_credential(), None)
        .await;
    assert_eq!(result, Err(OAuthError::NotConfigured("google")));
}
