//! Tokens and sessions: rotation, reuse detection, sign-out honoured by the whole API.

use fairydust_entities::{auth_sessions, users};
use fairydust_tests::{Overrides, TestApp};
use futures_util::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

const REFRESH: &str = "mutation R($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken expiresIn user { id } } }";
const ME: &str = "{ me { id fairyname } }";

#[tokio::test]
async fn tokens_last_an_hour_and_refresh_tokens_rotate() {
    let app = TestApp::spawn().await;
    let signed_in = app.sign_in_by_email("rotate@example.com").await;
    assert_eq!(signed_in["expiresIn"], 3600);
    let first = signed_in["refreshToken"].as_str().unwrap().to_owned();
    assert!(first.len() >= 43, "≥ 256 bits");

    let refreshed = app.gql(REFRESH, json!({ "t": first })).await;
    let second = refreshed
        .at("refreshSession.refreshToken")
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    let access = refreshed.at("refreshSession.accessToken").as_str().unwrap();
    assert_eq!(
        app.gql_as(access, ME, json!({})).await.at("me.id"),
        &signed_in["user"]["id"]
    );
    app.gql(REFRESH, json!({ "t": second })).await.data();
}

/// Theft detection without the two-tab grace window.
fn no_grace() -> Overrides {
    Overrides::default().set("REFRESH_REUSE_GRACE_SECONDS", "0")
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = TestApp::spawn_with(no_grace()).await;
    let signed_in = app.sign_in_by_email("stolen@example.com").await;
    let original = signed_in["refreshToken"].as_str().unwrap().to_owned();
    let refreshed = app.gql(REFRESH, json!({ "t": original })).await;
    let current_refresh = refreshed
        .at("refreshSession.refreshToken")
        .as_str()
        .unwrap()
        .to_owned();
    let current_access = refreshed
        .at("refreshSession.accessToken")
        .as_str()
        .unwrap()
        .to_owned();

    // The thief replays the old token: refused, and the family is revoked.
    app.gql(REFRESH, json!({ "t": original }))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql(REFRESH, json!({ "t": current_refresh }))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql_as(&current_access, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_refresh_token_used_twice_at_once_counts_as_reuse() {
    let app = TestApp::spawn_with(no_grace()).await;
    let user = app.user().await;
    let answers =
        join_all((0..2).map(|_| app.gql(REFRESH, json!({ "t": user.refresh_token })))).await;
    assert!(answers.iter().filter(|a| a.errors().is_empty()).count() <= 1);
    assert!(answers.iter().any(|a| a.code() == Some("UNAUTHENTICATED")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_refreshing_with_one_token_both_stay_signed_in_within_the_grace() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let answers =
        join_all((0..2).map(|_| app.gql(REFRESH, json!({ "t": user.refresh_token })))).await;
    for answer in &answers {
        let access = answer.at("refreshSession.accessToken").as_str().unwrap();
        assert_eq!(
            app.gql_as(access, ME, json!({})).await.at("me.id"),
            &json!(user.id)
        );
        // Each tab's new refresh token keeps working: the session was not revoked.
        let next = answer.at("refreshSession.refreshToken").as_str().unwrap();
        app.gql(REFRESH, json!({ "t": next })).await.data();
    }
}

#[tokio::test]
async fn past_the_grace_a_rotated_token_revokes_the_session() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let refreshed = app.gql(REFRESH, json!({ "t": user.refresh_token })).await;
    let current = refreshed
        .at("refreshSession.refreshToken")
        .as_str()
        .unwrap()
        .to_owned();
    // The rotation happened a minute ago: well past the 10 s grace.
    auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::RotatedAt,
            Expr::value(fairydust_entities::now() - chrono::Duration::seconds(60)),
        )
        .filter(auth_sessions::Column::FamilyId.eq(user.session_id))
        .filter(auth_sessions::Column::RotatedAt.is_not_null())
        .exec(&app.db)
        .await
        .unwrap();
    app.gql(REFRESH, json!({ "t": user.refresh_token }))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql(REFRESH, json!({ "t": current }))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token_and_garbage_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.gql_as(&user.refresh_token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql(REFRESH, json!({ "t": "not-a-refresh-token" }))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql(REFRESH, json!({ "t": user.token }))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn signing_out_stops_the_token_everywhere_at_once() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.gql_as(&user.token, ME, json!({})).await.data();
    assert_eq!(
        app.gql_as(&user.token, "mutation { signOut }", json!({}))
            .await
            .at("signOut"),
        true
    );
    app.gql_as(&user.token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql(REFRESH, json!({ "t": user.refresh_token }))
        .await
        .expect_error("UNAUTHENTICATED");
    // Another replica honours it too.
    let replica = app.spawn_replica().await;
    replica
        .gql_as(&user.token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_device() {
    let app = TestApp::spawn().await;
    let phone = app.sign_in_by_email("devices@example.com").await;
    let user_id = uuid::Uuid::parse_str(phone["user"]["id"].as_str().unwrap()).unwrap();
    let user = users::Entity::find_by_id(user_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let state = &app.app.state.app;
    let tablet = fairydust_schema::identity::sessions::start(
        &app.db,
        state.auth.keys(),
        &state.settings,
        &user,
        &Default::default(),
    )
    .await
    .unwrap();
    let phone_token = phone["accessToken"].as_str().unwrap();

    let sessions = app
        .gql_as(phone_token, "{ sessions { id current } }", json!({}))
        .await;
    let list = sessions.at("sessions").as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);

    assert_eq!(
        app.gql_as(phone_token, "mutation { signOutEverywhere }", json!({}))
            .await
            .at("signOutEverywhere"),
        2
    );
    app.gql_as(&tablet.access_token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql_as(phone_token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn users_revoke_only_their_own_sessions() {
    let app = TestApp::spawn().await;
    let alice = app.user().await;
    let bob = app.user().await;
    let query = "mutation R($id: ID!) { revokeSession(id: $id) }";
    app.gql_as(&alice.token, query, json!({ "id": bob.session_id }))
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(&bob.token, ME, json!({})).await.data();
    let sessions = app
        .gql_as(&alice.token, "{ sessions { id } }", json!({}))
        .await;
    assert_eq!(
        sessions.at("sessions").as_array().unwrap().len(),
        1,
        "only her own devices"
    );
    app.gql(query, json!({ "id": alice.session_id }))
        .await
        .expect_error("UNAUTHENTICATED");
    assert_eq!(
        app.gql_as(&bob.token, query, json!({ "id": bob.session_id }))
            .await
            .at("revokeSession"),
        true
    );
    app.gql_as(&bob.token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn revoking_admin_in_the_database_takes_effect_without_a_new_sign_in() {
    let app = TestApp::spawn_with(Overrides::default().set("ROLE_CACHE_SECONDS", "30")).await;
    let admin = app.admin().await;
    let audit = "{ ledgerAudit { checkedUsers } }";
    app.gql_as(&admin.token, audit, json!({})).await.data();
    users::Entity::update_many()
        .col_expr(users::Column::IsAdmin, Expr::value(false))
        .filter(users::Column::Id.eq(admin.id))
        .exec(&app.db)
        .await
        .unwrap();
    // Within ROLE_CACHE_SECONDS the cached roles still answer; that window is the documented price of
    // not reading the roles on every request.
    app.gql_as(&admin.token, audit, json!({})).await.data();
    // The entry lapses after ROLE_CACHE_SECONDS (the caches' own tests prove the expiry on a clock);
    // removing it is that lapse, without waiting for it.
    let cached_roles =
        fairydust_schema::auth::viewer::cache_keys::principal(admin.id, admin.session_id);
    app.app.state.app.cache.delete(&cached_roles).await.unwrap();
    app.gql_as(&admin.token, audit, json!({}))
        .await
        .expect_error("FORBIDDEN");
}
