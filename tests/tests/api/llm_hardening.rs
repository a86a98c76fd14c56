//! Issue 9's LLM holes, closed: who may log usage and how much, logged spend visible to the
//! builder, DUST held across parallel calls, prompt and cost bounds.

use fairydust_tests::TestApp;
use serde_json::json;
use uuid::Uuid;

use crate::llm_support::{GENERATE, config, input, llm_app};

const LOG: &str =
    "mutation L($input: LogLlmUsageInput!) { logLlmUsage(input: $input) { costUsd } }";
const OPUS: &str = "claude-opus-4";

fn opus_usage(app: &str, prompt: i64, completion: i64) -> serde_json::Value {
    json!({ "input": { "appId": app, "provider": "ANTHROPIC", "model": OPUS,
                       "promptTokens": prompt, "completionTokens": completion, "latencyMs": 900 } })
}

fn today() -> serde_json::Value {
    let now = chrono::Utc::now();
    json!({ "from": now - chrono::Duration::days(1), "to": now + chrono::Duration::days(1) })
}

#[tokio::test]
async fn only_the_builder_logs_usage_bounded_and_its_effect_on_limits_is_visible() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let stranger = app.user().await;
    let admin = app.admin().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "1")).await;

    // Anyone else: FORBIDDEN on a marketplace app, NOT_FOUND on an unknown one.
    app.gql_as(&stranger.token, LOG, opus_usage(&slug, 100, 100))
        .await
        .expect_error("FORBIDDEN");
    app.gql_as(
        &stranger.token,
        LOG,
        opus_usage("fairydust-story", 100, 100),
    )
    .await
    .expect_error("FORBIDDEN");
    app.gql_as(
        &stranger.token,
        LOG,
        opus_usage(&Uuid::new_v4().to_string(), 100, 100),
    )
    .await
    .expect_error("NOT_FOUND");

    // One call is bounded (LLM_MAX_LOGGED_TOKENS, 200 000 by default).
    app.gql_as(&builder.token, LOG, opus_usage(&slug, 150_000, 50_001))
        .await
        .expect_error("BAD_USER_INPUT");
    app.gql_as(&builder.token, LOG, opus_usage(&slug, i64::MAX, i64::MAX))
        .await
        .expect_error("BAD_USER_INPUT");
    // 100 000 × 15 + 100 000 × 75 USD per million: 9 USD, over the 1 USD daily limit.
    let logged = app
        .gql_as(&builder.token, LOG, opus_usage(&slug, 100_000, 100_000))
        .await;
    assert_eq!(logged.at("logLlmUsage.costUsd"), "9");
    app.gql_as(&admin.token, LOG, opus_usage(&slug, 1, 0))
        .await
        .data();

    let user = app.user().await;
    app.gql_as(&user.token, GENERATE, input(&slug, "after-log"))
        .await
        .expect_error("RATE_LIMITED");
    assert!(
        app.providers
            .llm
            .calls(fairydust_tests::ANTHROPIC_PATH)
            .await
            .is_empty()
    );

    let report = "query U($app: ID, $from: DateTime!, $to: DateTime!) { llmUsage(appId: $app, from: $from, to: $to) {
        totals { requests loggedRequests costUsd loggedCostUsd }
        costLimits { period maxUsd spentUsd loggedUsd reached refusedCalls } } }";
    let mut vars = today();
    vars["app"] = json!(slug);
    let usage = app.gql_as(&builder.token, report, vars).await;
    assert_eq!(
        usage.at("llmUsage.totals"),
        &json!({ "requests": 2, "loggedRequests": 2, "costUsd": "9.000015", "loggedCostUsd": "9.000015" })
    );
    assert_eq!(
        usage.at("llmUsage.costLimits.0"),
        &json!({ "period": "daily", "maxUsd": "1", "spentUsd": "9.000015", "loggedUsd": "9.000015",
                 "reached": true, "refusedCalls": 1 })
    );
    assert_eq!(usage.at("llmUsage.costLimits.1.period"), "monthly");
    assert_eq!(usage.at("llmUsage.costLimits.1.reached"), false);
}

#[tokio::test]
async fn apps_off_the_marketplace_are_not_found_to_other_loggers() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let stranger = app.builder().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "1")).await;
    app.gql_as(
        &builder.token,
        "mutation U($id: ID!) { updateApp(id: $id, input: {isActive: false}) { isActive } }",
        json!({ "id": slug }),
    )
    .await
    .data();
    app.gql_as(&stranger.token, LOG, opus_usage(&slug, 10, 10))
        .await
        .expect_error("NOT_FOUND");
    // Its builder still sees it, but an inactive app cannot be charged for.
    app.gql_as(&builder.token, LOG, opus_usage(&slug, 10, 10))
        .await
        .expect_error("FORBIDDEN");
}
