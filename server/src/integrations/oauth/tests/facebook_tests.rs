//! Facebook access tokens against a mock Graph API.

use fairydust_schema::identity::oauth::{
    OAuthCredential, OAuthError, OAuthProvider, OAuthVerifier,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::integrations::http::refusing_base_url;

const USER_TOKEN: &str = "EAAGm0PX4ZCpsBA-user-token";
const USER_ID: &str = "10158012345678901";

async fn debug_token_answers(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/graph/debug_token"))
        .and(query_param("input_token", USER_TOKEN))
        .and(query_param(
            "access_token",
            format!("{FACEBOOK_APP_ID}|{FACEBOOK_APP_SECRET}"),
        ))
        .respond_with(response)
        .mount(server)
        .await;
}

fn valid_debug_token() -> Value {
    json!({ "data": {
        "app_id": FACEBOOK_APP_ID, "type": "USER", "application": "fairydust", "expires_at": 1_900_000_000,
        "is_valid": true, "scopes": ["email", "public_profile"], "user_id": USER_ID,
    }})
}

async fn me_answers(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/graph/me"))
        .and(query_param("fields", "id,name,email,picture"))
        .and(query_param("access_token", USER_TOKEN))
        .and(query_param("appsecret_proof", facebook_proof()))
        .respond_with(response)
        .mount(server)
        .await;
}

fn facebook_proof() -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(FACEBOOK_APP_SECRET.as_bytes()).unwrap();
    mac.update(USER_TOKEN.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn profile(email: Option<&str>) -> Value {
    let mut profile = json!({
        "id": USER_ID,
        "name": "Grace Hopper",
        "picture": { "data": { "height": 50, "width": 50, "is_silhouette": false, "url": "https://platform-lookaside.fbsbx.com/p" } },
    });
    if let Some(email) = email {
        profile["email"] = email.into();
    }
    profile
}

async fn verify(
    server: &MockServer,
) -> Result<fairydust_schema::identity::oauth::VerifiedIdentity, OAuthError> {
    clients(server, &[])
        .verify(
            OAuthProvider::Facebook,
            OAuthCredential::AccessToken(USER_TOKEN.to_owned()),
            None,
        )
        .await
}

#[tokio::test]
async fn a_valid_token_for_our_app_yields_the_profile() {
    let server = MockServer::start().await;
    debug_token_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(valid_debug_token()),
    )
    .await;
    me_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(profile(Some("grace@example.com"))),
    )
    .await;

    let identity = verify(&server).await.unwrap();
    assert_eq!(identity.provider, OAuthProvider::Facebook);
    assert_eq!(identity.subject, USER_ID);
    assert_eq!(identity.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(identity.email.as_deref(), Some("grace@example.com"));
    assert!(
        !identity.email_verified,
        "Facebook does not assert that an email is verified"
    );
    assert_eq!(
        identity.picture_url.as_deref(),
        Some("https://platform-lookaside.fbsbx.com/p")
    );
}

#[tokio::test]
async fn without_an_email_nothing_is_verified() {
    let server = MockServer::start().await;
    debug_token_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(valid_debug_token()),
    )
    .await;
    me_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(profile(None)),
    )
    .await;
    let identity = verify(&server).await.unwrap();
    assert_eq!((identity.email, identity.email_verified), (None, false));
}

#[tokio::test]
async fn a_token_issued_to_another_app_is_rejected() {
    let server = MockServer::start().await;
    let mut other_app = valid_debug_token();
    other_app["data"]["app_id"] = "999999".into();
    debug_token_answers(&server, ResponseTemplate::new(200).set_body_json(other_app)).await;
    me_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(profile(None)),
    )
    .await;
    assert_rejected(verify(&server).await, "facebook", "another Facebook app");
}

#[tokio::test]
async fn an_invalid_token_is_rejected_with_facebooks_reason() {
    let server = MockServer::start().await;
    let invalid = json!({ "data": {
        "error": { "code": 190, "message": "Error validating access token: Session has expired." },
        "is_valid": false, "scopes": [],
    }});
    debug_token_answers(&server, ResponseTemplate::new(200).set_body_json(invalid)).await;
    assert_rejected(verify(&server).await, "facebook", "Session has expired");
}

#[tokio::test]
async fn a_token_of_another_user_than_the_profile_is_rejected() {
    let server = MockServer::start().await;
    debug_token_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(valid_debug_token()),
    )
    .await;
    let mut someone_else = profile(None);
    someone_else["id"] = "42".into();
    me_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(someone_else),
    )
    .await;
    assert_rejected(verify(&server).await, "facebook", "another user");
}

#[tokio::test]
async fn graph_api_failures_make_facebook_unavailable() {
    let server = MockServer::start().await;
    debug_token_answers(&server, ResponseTemplate::new(500)).await;
    assert_unavailable(verify(&server).await, "facebook");

    let server = MockServer::start().await;
    debug_token_answers(
        &server,
        ResponseTemplate::new(200).set_body_json(valid_debug_token()),
    )
    .await;
    me_answers(&server, ResponseTemplate::new(502)).await;
    assert_unavailable(verify(&server).await, "facebook");

    let server = MockServer::start().await;
    debug_token_answers(
        &server,
        ResponseTemplate::new(200).set_body_string("{\"data\": ["),
    )
    .await;
    assert_unavailable(verify(&server).await, "facebook");
}

#[tokio::test]
async fn the_app_secret_never_appears_in_errors() {
    let server = MockServer::start().await;
    // The request carrying the app secret in its query string fails to connect.
    let clients = clients(&server, &[("FACEBOOK_GRAPH_URL", &refusing_base_url())]);
    let result = clients
        .verify(
            OAuthProvider::Facebook,
            OAuthCredential::AccessToken(USER_TOKEN.into()),
            None,
        )
        .await;
    let reason = assert_unavailable(result, "facebook");
    assert!(!reason.contains(FACEBOOK_APP_SECRET), "{reason}");
    assert!(!reason.contains(USER_TOKEN), "{reason}");

    let refused =
        json!({ "error": { "message": "Invalid OAuth access token signature.", "code": 190 } });
    debug_token_answers(&server, ResponseTemplate::new(400).set_body_json(refused)).await;
    let reason = assert_unavailable(verify(&server).await, "facebook");
    assert!(!reason.contains(FACEBOOK_APP_SECRET), "{reason}");
}

#[tokio::test]
async fn facebook_needs_app_id_and_secret_and_an_access_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let unconfigured = clients(&server, &[("FACEBOOK_APP_SECRET", "")]);
    let result = unconfigured
        .verify(
            OAuthProvider::Facebook,
            OAuthCredential::AccessToken(USER_TOKEN.into()),
            None,
        )
        .await;
    assert_eq!(result, Err(OAuthError::NotConfigured("facebook")));

    let result = clients(&server, &[])
        .verify(
            OAuthProvider::Facebook,
            OAuthCredential::IdToken("x.y.z".into()),
            None,
        )
        .await;
    assert_rejected(result, "facebook", "user access token");
}
