//! Admin actions on accounts: admin rights (never the last admin, never one's own), deactivation that
//! signs a user out everywhere at once, reactivation, revoking sessions; each audited.

use fairydust_entities::dust_transactions;
use fairydust_schema::admin::accounts;
use fairydust_tests::{TestApp, TestUser};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::admin_support::{audit_rows, new_session};

const SET_ADMIN: &str = "mutation S($u: ID!, $a: Boolean!) { setAdmin(userId: $u, isAdmin: $a, reason: \"team\") { id isAdmin } }";
const DEACTIVATE: &str =
    "mutation D($u: ID!, $r: String!) { deactivateUser(userId: $u, reason: $r) { id isActive } }";
const REACTIVATE: &str = "mutation R($u: ID!) { reactivateUser(userId: $u) { id isActive } }";
const REVOKE: &str =
    "mutation V($u: ID!) { revokeUserSessions(userId: $u, reason: \"lost phone\") }";
const REFRESH: &str =
    "mutation R($t: String!) { refreshSession(refreshToken: $t) { accessToken } }";
const ME: &str = "{ me { id } }";

const VERIFY: &str =
    "mutation V($input: VerifyOtpInput!) { verifyOtp(input: $input) { accessToken } }";

/// Signing in with a code, as the app does (once per test and address: codes are rate-limited).
async fn sign_in_code(app: &TestApp, user: &TestUser) -> fairydust_tests::Gql {
    app.request_email_code(&user.email).await.data();
    let code = app
        .providers
        .email_code(&user.email)
        .await
        .expect("a code was sent");
    app.gql(
        VERIFY,
        json!({ "input": { "email": user.email, "code": code } }),
    )
    .await
}

#[tokio::test]
async fn admin_rights_apply_at_once_and_are_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    app.gql_as(&user.token, "{ users { totalCount } }", json!({}))
        .await
        .expect_error("FORBIDDEN");
    app.gql_as(&user.token, SET_ADMIN, json!({ "u": user.id, "a": true }))
        .await
        .expect_error("FORBIDDEN");

    let made = app
        .gql_as(&admin.token, SET_ADMIN, json!({ "u": user.id, "a": true }))
        .await;
    assert_eq!(made.at("setAdmin.isAdmin"), true);
    // The same token is an admin's now: the cached roles were dropped.
    app.gql_as(&user.token, "{ users { totalCount } }", json!({}))
        .await
        .data();
    let rows = audit_rows(&app, "users.set_admin", &user.id.to_string()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor_id, Some(admin.id));
    assert_eq!(rows[0].before, Some(json!({ "is_admin": false })));
    assert_eq!(rows[0].after, Some(json!({ "is_admin": true })));
    assert_eq!(rows[0].reason.as_deref(), Some("team"));

    let removed = app
        .gql_as(&admin.token, SET_ADMIN, json!({ "u": user.id, "a": false }))
        .await;
    assert_eq!(removed.at("setAdmin.isAdmin"), false);
    app.gql_as(&user.token, "{ users { totalCount } }", json!({}))
        .await
        .expect_error("FORBIDDEN");

    let own = app
        .gql_as(
            &admin.token,
            SET_ADMIN,
            json!({ "u": admin.id, "a": false }),
        )
        .await;
    let error = own.expect_error("BAD_USER_INPUT");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("your own admin rights")
    );
    app.gql_as(
        &admin.token,
        SET_ADMIN,
        json!({ "u": uuid::Uuid::now_v7(), "a": true }),
    )
    .await
    .expect_error("NOT_FOUND");
    assert_eq!(
        audit_rows(&app, "users.set_admin", &admin.id.to_string())
            .await
            .len(),
        0
    );
}

#[tokio::test]
async fn the_last_active_admin_keeps_their_rights() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let state = &app.app.state.app;
    // An actor whose admin rights were just taken (a stale token) must not remove the last admin.
    let stale = app.user().await;
    let refused =
        accounts::set_admin(&app.db, &*state.cache, stale.id, admin.id, false, None).await;
    let error = fairydust_schema::error::ApiError::from(refused.unwrap_err());
    assert_eq!(error.code.as_str(), "CONFLICT");
    assert!(
        error.message.contains("last active admin"),
        "{}",
        error.message
    );
    let refused = accounts::deactivate(&app.db, &*state.cache, stale.id, admin.id, "bye").await;
    assert_eq!(
        fairydust_schema::error::ApiError::from(refused.unwrap_err())
            .code
            .as_str(),
        "CONFLICT"
    );

    // Two admins removing each other at once: one of them stays an admin.
    let other = app.admin().await;
    let answers = join_all([
        app.gql_as(
            &admin.token,
            SET_ADMIN,
            json!({ "u": other.id, "a": false }),
        ),
        app.gql_as(
            &other.token,
            SET_ADMIN,
            json!({ "u": admin.id, "a": false }),
        ),
    ])
    .await;
    let admins = fairydust_entities::users::Entity::find()
        .filter(fairydust_entities::users::Column::IsAdmin.eq(true))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(admins, 1, "{answers:#?}");
}

#[tokio::test]
async fn deactivation_signs_out_everywhere_at_once_and_keeps_the_data() {
    let primary = TestApp::spawn().await;
    let replica = primary.spawn_replica().await;
    let admin = primary.admin().await;
    let user = primary.user().await;
    let owner = primary.builder().await;
    let priced = primary.priced_app(owner.id, &[("x", 3)]).await;
    crate::ledger_support::consume(&primary, &user, &priced.slug, "x", 1, "k1")
        .await
        .data();
    // A second device, and both replicas have the user's roles cached.
    let second_token = new_session(&primary, user.id).await.unwrap();
    for (server, token) in [(&primary, &user.token), (&replica, &second_token)] {
        server.gql_as(token, ME, json!({})).await.data();
    }
    let rows_before = dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user.id))
        .count(&primary.db)
        .await
        .unwrap();

    primary
        .gql_as(&admin.token, DEACTIVATE, json!({ "u": user.id, "r": " " }))
        .await
        .expect_error("BAD_USER_INPUT");
    primary
        .gql_as(&user.token, DEACTIVATE, json!({ "u": admin.id, "r": "x" }))
        .await
        .expect_error("FORBIDDEN");
    primary
        .gql_as(&admin.token, DEACTIVATE, json!({ "u": admin.id, "r": "x" }))
        .await
        .expect_error("BAD_USER_INPUT");
    let done = replica
        .gql_as(
            &admin.token,
            DEACTIVATE,
            json!({ "u": user.id, "r": "fraud" }),
        )
        .await;
    assert_eq!(done.at("deactivateUser.isActive"), false);

    for server in [&primary, &replica] {
        for token in [&user.token, &second_token] {
            server
                .gql_as(token, ME, json!({}))
                .await
                .expect_error("UNAUTHENTICATED");
        }
    }
    primary
        .gql(REFRESH, json!({ "t": user.refresh_token }))
        .await
        .expect_error("UNAUTHENTICATED");
    sign_in_code(&primary, &user)
        .await
        .expect_error("UNAUTHENTICATED");
    assert_eq!(primary.balance(user.id).await, 22, "the balance is kept");
    let rows_after = dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user.id))
        .count(&primary.db)
        .await
        .unwrap();
    assert_eq!(rows_after, rows_before, "the ledger is kept");
    let audit = audit_rows(&primary, "users.deactivate", &user.id.to_string()).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].reason.as_deref(), Some("fraud"));
    assert_eq!(audit[0].after.as_ref().unwrap()["sessions_revoked"], 2);
    primary
        .gql_as(
            &admin.token,
            DEACTIVATE,
            json!({ "u": user.id, "r": "again" }),
        )
        .await
        .expect_error("CONFLICT");

    let back = primary
        .gql_as(&admin.token, REACTIVATE, json!({ "u": user.id }))
        .await;
    assert_eq!(back.at("reactivateUser.isActive"), true);
    assert_eq!(
        audit_rows(&primary, "users.reactivate", &user.id.to_string())
            .await
            .len(),
        1
    );
    primary
        .gql_as(&user.token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    let token = new_session(&primary, user.id)
        .await
        .expect("signs in again");
    primary.gql_as(&token, ME, json!({})).await.data();
    primary
        .gql_as(&admin.token, REACTIVATE, json!({ "u": user.id }))
        .await
        .expect_error("CONFLICT");
}

#[tokio::test]
async fn revoking_sessions_signs_a_user_out_but_lets_them_back_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    app.gql_as(&user.token, ME, json!({})).await.data();
    app.gql_as(&user.token, REVOKE, json!({ "u": admin.id }))
        .await
        .expect_error("FORBIDDEN");
    let revoked = app
        .gql_as(&admin.token, REVOKE, json!({ "u": user.id }))
        .await;
    assert_eq!(revoked.at("revokeUserSessions"), 1);
    app.gql_as(&user.token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql(REFRESH, json!({ "t": user.refresh_token }))
        .await
        .expect_error("UNAUTHENTICATED");
    let rows = audit_rows(&app, "users.revoke_sessions", &user.id.to_string()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reason.as_deref(), Some("lost phone"));
    let back = sign_in_code(&app, &user).await;
    let token = back
        .at("verifyOtp.accessToken")
        .as_str()
        .unwrap()
        .to_owned();
    app.gql_as(&token, ME, json!({})).await.data();
    app.gql_as(&admin.token, REVOKE, json!({ "u": uuid::Uuid::now_v7() }))
        .await
        .expect_error("NOT_FOUND");
}
