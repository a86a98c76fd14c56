//! The verification path every request takes: any token that is not a live access token is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use fairydust_entities::{auth_sessions, now, users};
use fairydust_schema::auth::TokenKeys;
use fairydust_tests::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

const QUERY: &str = "{ version }";

#[tokio::test]
async fn a_live_access_token_is_accepted() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.gql_as(&user.token, QUERY, json!({})).await.data();
}

#[tokio::test]
async fn garbage_and_malformed_headers_are_unauthenticated() {
    let app = TestApp::spawn().await;
    app.gql_as("not-a-jwt", QUERY, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    let basic = app
        .http
        .post(app.url("/graphql"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": QUERY }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = basic.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let (token, _) = app.app.state.app.auth.keys().issue_access(
        user.id,
        user.session_id,
        vec![],
        Utc::now() - chrono::Duration::hours(3),
        chrono::Duration::hours(1),
    );
    let answer = app.gql_as(&token, QUERY, json!({})).await;
    assert!(
        answer.expect_error("UNAUTHENTICATED")["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let forger = TokenKeys::from_secret(b"some-other-secret-some-other-secret!!");
    let (token, _) = forger.issue_access(
        user.id,
        user.session_id,
        vec!["admin".into()],
        Utc::now(),
        chrono::Duration::hours(1),
    );
    app.gql_as(&token, QUERY, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn alg_none_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let claims = json!({
        "sub": user.id, "sid": user.session_id, "jti": uuid::Uuid::new_v4(), "iat": Utc::now().timestamp(),
        "exp": Utc::now().timestamp() + 3600, "iss": "fairydust", "aud": "fairydust-api", "typ": "access", "roles": ["admin"],
    });
    let token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    app.gql_as(&token, QUERY, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn a_token_of_another_type_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let (_, mut claims) = app.app.state.app.auth.keys().issue_access(
        user.id,
        user.session_id,
        vec![],
        Utc::now(),
        chrono::Duration::hours(1),
    );
    claims.typ = "refresh".into();
    let token = app.app.state.app.auth.keys().sign(&claims);
    app.gql_as(&token, QUERY, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn a_revoked_session_is_unauthenticated_at_once() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.gql_as(&user.token, QUERY, json!({})).await.data();
    auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(now()))
        .filter(auth_sessions::Column::FamilyId.eq(user.session_id))
        .exec(&app.db)
        .await
        .unwrap();
    // Revocation goes through the identity service, which also clears the cached principal; here the
    // row changed behind its back, so clear the cache the way it would.
    let key = format!("auth:principal:{}:{}", user.id, user.session_id);
    app.app.state.app.cache.delete(&key).await.unwrap();
    app.gql_as(&user.token, QUERY, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn a_deactivated_user_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    users::Entity::update_many()
        .col_expr(users::Column::IsActive, Expr::value(false))
        .filter(users::Column::Id.eq(user.id))
        .exec(&app.db)
        .await
        .unwrap();
    app.gql_as(&user.token, QUERY, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}
