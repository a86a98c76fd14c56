//! `/health/ready` names the dependency that is down; `/health` stays up (Foundation acceptance 2).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fairydust_tests::{Overrides, TestApp};
use serde_json::Value;

struct PrivateRedis(Child);

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn ready_turns_503_naming_redis_when_redis_stops() {
    let port = free_port();
    let Ok(child) = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--bind",
            "127.0.0.1",
        ])
        .stdout(Stdio::null())
        .spawn()
    else {
        fairydust_schema::skipped_tests::report_skipped(
            "ready_turns_503_naming_redis_when_redis_stops",
            "no redis-server binary on PATH",
        );
        return;
    };
    let mut redis = PrivateRedis(child);
    let url = format!("redis://127.0.0.1:{port}");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("REDIS_URL", &url)
            .set("REDIS_KEY_PREFIX", "ready-test:"),
    )
    .await;

    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["dependencies"]["redis"]["status"], "up");

    let _ = redis.0.kill();
    let _ = redis.0.wait();

    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["dependencies"]["redis"]["status"], "down");
    assert_eq!(body["dependencies"]["database"]["status"], "up");

    let live = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}
