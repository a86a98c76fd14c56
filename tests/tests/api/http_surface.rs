use fairydust_tests::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn health_is_live_and_ready_reports_each_dependency() {
    let app = TestApp::spawn().await;
    let live = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(live.status(), 200);

    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["dependencies"]["database"]["status"], "up");
    let expected_db = if app.backend().is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["dependencies"]["database"]["backend"], expected_db);
    assert_eq!(body["dependencies"]["cache"]["status"], "up");
}

#[tokio::test]
async fn the_health_query_answers_over_graphql() {
    let app = TestApp::spawn().await;
    let answer = app
        .gql(
            "{ health { status version database cache cacheBackend } version }",
            json!({}),
        )
        .await;
    assert_eq!(answer.at("health.status"), "UP");
    assert_eq!(answer.at("health.database"), "UP");
    assert_eq!(answer.at("version"), env!("CARGO_PKG_VERSION"));
    let expected_cache = if fairydust_tests::redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(answer.at("health.cacheBackend"), expected_cache);
}

#[tokio::test]
async fn graphiql_is_served() {
    let app = TestApp::spawn().await;
    let page = app.http.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/graphiql/app.js"), "{html}");
    let script = app
        .http
        .get(app.url("/graphiql/app.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        script.contains("\"/graphql\"") && script.contains("/graphql/ws"),
        "{script}"
    );
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/health")).send().await.unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.contains_key("referrer-policy"));
    assert!(headers.contains_key("x-request-id"));
    assert!(
        !headers.contains_key("strict-transport-security"),
        "HSTS only in production"
    );

    let echoed = app
        .http
        .get(app.url("/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");

    let portal = app.http.get(app.url("/admin/")).send().await.unwrap();
    let csp = portal.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
}

#[tokio::test]
async fn unknown_routes_answer_the_standard_error_body() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(app.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], true);
    assert_eq!(body["status_code"], 404);
    assert!(body["message"].is_string());
    assert!(body["timestamp"].is_string());
    assert_eq!(body["details"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn metrics_count_operations_by_name_and_report_the_pool() {
    let app = TestApp::spawn().await;
    app.send_gql(
        None,
        json!({ "query": "query PortalHealth { version }", "operationName": "PortalHealth" }),
    )
    .await
    .data();
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"graphql_operations_total{operation="PortalHealth",outcome="ok"}"#),
        "{text}"
    );
    assert!(
        text.contains("graphql_operation_duration_seconds_bucket"),
        "histograms, not summaries"
    );
    assert!(text.contains("http_requests_total"));
    assert!(text.contains(r#"db_pool_connections{state="idle"}"#));
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(
        fairydust_tests::Overrides::default().set("ALLOWED_ORIGINS", "https://admin.example.com"),
    )
    .await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("https://admin.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://admin.example.com"
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(app.url("/graphiql"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}
