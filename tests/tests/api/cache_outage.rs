//! Redis stops under a running server and comes back. What the database alone can answer keeps
//! working (signed-in calls, DUST, sign-out); what needs the cache (sign-in codes, rate limits, model
//! calls) answers SERVICE_UNAVAILABLE with `retryAfter`, never INTERNAL; a sign-out made during the
//! outage holds; and everything recovers without restarting the server.

use std::time::Duration;

use fairydust_schema::skipped_tests::report_skipped;
use fairydust_tests::{Overrides, TestApp, ThrowawayRedis};
use serde_json::json;

use crate::ledger_support::consume;

const ME: &str = "{ me { dustBalance } }";

async fn ready_status(app: &TestApp) -> u16 {
    let answer = app.http.get(app.url("/health/ready")).send().await.unwrap();
    answer.status().as_u16()
}

#[tokio::test]
async fn a_redis_outage_stops_only_what_needs_redis_and_heals_by_itself() {
    let Some(mut redis) = ThrowawayRedis::start().await else {
        report_skipped(
            "cache_outage",
            "no redis-server binary to stop and restart on this machine",
        );
        return;
    };
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("REDIS_URL", redis.url())
            .set("REDIS_KEY_PREFIX", "outage:"),
    )
    .await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("idea", 2)]).await;
    let user = app.user().await;
    let leaving = app.user().await;
    consume(&app, &user, &priced.slug, "idea", 1, "before")
        .await
        .data();
    assert_eq!(ready_status(&app).await, 200);

    redis.stop();

    // The database answers for the signed-in viewer and for DUST, exactly once per key.
    assert_eq!(
        app.gql_as(&user.token, ME, json!({}))
            .await
            .at("me.dustBalance"),
        23
    );
    consume(&app, &user, &priced.slug, "idea", 1, "during")
        .await
        .data();
    let replay = consume(&app, &user, &priced.slug, "idea", 1, "during").await;
    assert_eq!(replay.at("consumeDust.replayed"), true);
    assert_eq!(app.balance(user.id).await, 21);

    // Sign-in codes live in the cache: a clear, retryable refusal.
    let refused = app.request_email_code("outage@example.com").await;
    let error = refused.expect_error("SERVICE_UNAVAILABLE");
    assert_eq!(error["extensions"]["retryAfter"], 5);
    assert_eq!(ready_status(&app).await, 503);

    // Signing out needs only the database, and holds without the cache's deny list.
    app.gql_as(&leaving.token, "mutation { signOut }", json!({}))
        .await
        .data();
    app.gql_as(&leaving.token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");

    redis.restart().await;

    // The connection comes back on its own (the first command may still meet the old socket).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let answer = app.request_email_code("back@example.com").await;
        if answer.errors().is_empty() {
            break;
        }
        assert_eq!(
            answer.code(),
            Some("SERVICE_UNAVAILABLE"),
            "{:?}",
            answer.body
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cache never came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ready_status(&app).await, 200);
    app.gql_as(&leaving.token, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    consume(&app, &user, &priced.slug, "idea", 1, "after")
        .await
        .data();
    assert_eq!(app.balance(user.id).await, 19);
}
