//! `/health/ready` names the dependency that is down; `/health` stays up (Foundation acceptance 2).

use fairydust_tests::{Overrides, TestApp, ThrowawayRedis};
use serde_json::Value;

#[tokio::test]
async fn ready_turns_503_naming_redis_when_redis_stops() {
    let Some(mut redis) = ThrowawayRedis::start().await else {
        fairydust_schema::skipped_tests::report_skipped(
            "ready_turns_503_naming_redis_when_redis_stops",
            "no redis-server binary on PATH",
        );
        return;
    };
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("REDIS_URL", redis.url())
            .set("REDIS_KEY_PREFIX", "ready-test:"),
    )
    .await;

    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["dependencies"]["redis"]["status"], "up");

    redis.stop();

    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["dependencies"]["redis"]["status"], "down");
    assert_eq!(body["dependencies"]["database"]["status"], "up");

    let live = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}
