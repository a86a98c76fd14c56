//! Issue 9's LLM holes, closed: who may log usage and how much, logged spend visible to the
//! builder, DUST held across parallel calls, prompt and cost bounds.

use std::time::Duration;

use fairydust_entities::dust_holds;
use fairydust_schema::ledger::holds;
use fairydust_tests::{ANTHROPIC_PATH, Overrides, TestApp, anthropic_answer};
use futures_util::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::llm_support::{GENERATE, HAIKU, config, input, llm_app};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_calls_hold_the_dust_so_only_what_is_affordable_reaches_the_model() {
    let app = TestApp::spawn().await;
    let replica = app.spawn_replica().await;
    let builder = app.builder().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.gql_as(
        &builder.token,
        "mutation S($id: ID!) { setAppAction(appId: $id, action: \"tiny\", dustCost: 1) { dustCost } }",
        json!({ "id": slug }),
    )
    .await
    .data();
    app.gql_as(
        &admin.token,
        "mutation A($u: ID!) { adjustDust(userId: $u, delta: -24, reason: \"one left\") { id } }",
        json!({ "u": user.id }),
    )
    .await
    .data();
    // Slow enough that every request is in flight before the first answer comes back.
    Mock::given(method("POST"))
        .and(path(ANTHROPIC_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_answer(HAIKU, "Idea.", 10, 10))
                .set_delay(Duration::from_millis(700)),
        )
        .mount(&app.providers.llm.server)
        .await;

    let token = &user.token;
    let answers = join_all((0..10).map(|i| {
        let server = if i % 2 == 0 { &app } else { &replica };
        let mut call = input(&slug, &format!("parallel-{i}"));
        call["input"]["action"] = json!("tiny");
        async move { server.gql_as(token, GENERATE, call).await }
    }))
    .await;
    let charged = answers.iter().filter(|a| a.errors().is_empty()).count();
    let short = answers
        .iter()
        .filter(|a| a.code() == Some("INSUFFICIENT_DUST"))
        .count();
    assert_eq!((charged, short), (1, 9), "{answers:#?}");
    assert_eq!(app.providers.llm.calls(ANTHROPIC_PATH).await.len(), 1);
    assert_eq!(app.balance(user.id).await, 0);
    assert_eq!(
        dust_holds::Entity::find().count(&app.db).await.unwrap(),
        0,
        "the hold was settled into the charge"
    );
}

#[tokio::test]
async fn a_hold_keeps_other_spending_off_the_dust_and_is_released_when_the_model_fails() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers.llm.fail(ANTHROPIC_PATH, HAIKU, 500).await;
    app.gql_as(&user.token, GENERATE, input(&slug, "fails"))
        .await
        .expect_error("LLM_UNAVAILABLE");
    assert_eq!(dust_holds::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(app.balance(user.id).await, 25);

    // A live hold of 24 leaves 1 DUST for consumeDust; it is not a transaction.
    let hold = holds::reserve(&app.db, user.id, 24, Duration::from_secs(60))
        .await
        .unwrap();
    // A hold past its expiry no longer counts (a crashed request never keeps DUST for ever).
    let lapsed = holds::reserve(&app.db, user.id, 1, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(holds::held(&app.db, user.id).await.unwrap(), 24);
    holds::release(&app.db, &lapsed).await.unwrap();
    let consume = "mutation C($app: ID!, $key: String!) { consumeDust(input: {appId: $app, action: \"idea\", quantity: 1, idempotencyKey: $key}) { balanceAfter } }";
    let short = app
        .gql_as(&user.token, consume, json!({ "app": slug, "key": "c1" }))
        .await;
    assert_eq!(
        short.expect_error("INSUFFICIENT_DUST")["extensions"]["balance"],
        1
    );
    // checkDust counts the hold too; the balance shown stays exact.
    let check = app
        .gql_as(
            &user.token,
            "query K($app: ID!) { checkDust(appId: $app, action: \"idea\") { sufficient balance available required } }",
            json!({ "app": slug }),
        )
        .await;
    assert_eq!(
        check.at("checkDust"),
        &json!({ "sufficient": false, "balance": 25, "available": 1, "required": 3 })
    );
    let me = app
        .gql_as(&user.token, "{ me { dustBalance } }", json!({}))
        .await;
    assert_eq!(me.at("me.dustBalance"), 25);
    assert_eq!(app.balance(user.id).await, 25);
    holds::release(&app.db, &hold).await.unwrap();
    app.gql_as(&user.token, consume, json!({ "app": slug, "key": "c2" }))
        .await
        .data();
    assert_eq!(app.balance(user.id).await, 22);
}

#[tokio::test]
async fn the_prompt_cap_is_a_setting_and_builders_cannot_raise_cost_limits_past_the_platform_maxima()
 {
    let app = TestApp::spawn_with(Overrides::default().set("LLM_MAX_PROMPT_CHARS", "1000")).await;
    let builder = app.builder().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers.llm.anthropic_ok(HAIKU, "Idea.", 10, 10).await;
    let mut long = input(&slug, "long");
    long["input"]["system"] = json!(null);
    long["input"]["prompt"] = json!("a".repeat(1001));
    app.gql_as(&user.token, GENERATE, long)
        .await
        .expect_error("BAD_USER_INPUT");
    let mut fits = input(&slug, "fits");
    fits["input"]["system"] = json!(null);
    fits["input"]["prompt"] = json!("a".repeat(1000));
    app.gql_as(&user.token, GENERATE, fits).await.data();

    let set = "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { costLimits { perRequestMax dailyMax } } }";
    // Defaults: 1 USD a request, 50 a day, 500 a month.
    for (per_request, daily) in [("2", "10"), ("0.05", "60")] {
        app.gql_as(
            &builder.token,
            set,
            json!({ "id": slug, "input": config(json!([]), per_request, daily) }),
        )
        .await
        .expect_error("BAD_USER_INPUT");
    }
    let mut huge = config(json!([]), "0.05", "10");
    huge["costLimits"]["monthlyMax"] = json!("1000");
    app.gql_as(
        &builder.token,
        set,
        json!({ "id": slug, "input": huge.clone() }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    // An admin may; the builder may then keep (not raise) what the admin set.
    app.gql_as(
        &admin.token,
        set,
        json!({ "id": slug, "input": config(json!([]), "2", "60") }),
    )
    .await
    .data();
    let mut kept = config(json!([]), "2", "60");
    kept["parameters"]["temperature"] = json!(0.2);
    app.gql_as(&builder.token, set, json!({ "id": slug, "input": kept }))
        .await
        .data();
    app.gql_as(
        &builder.token,
        set,
        json!({ "id": slug, "input": config(json!([]), "3", "60") }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn a_call_projected_over_the_per_request_maximum_is_refused_before_any_model_is_called() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    // 150 completion tokens of Haiku alone cost 0.0006 USD: over a 0.0001 USD per-request maximum.
    let slug = llm_app(&app, &builder, config(json!([]), "0.0001", "10")).await;
    app.providers.llm.anthropic_ok(HAIKU, "Idea.", 10, 10).await;
    let refused = app
        .gql_as(&user.token, GENERATE, input(&slug, "too-dear"))
        .await;
    let error = refused.expect_error("BAD_USER_INPUT");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("per-request maximum"),
        "{error}"
    );
    assert!(app.providers.llm.calls(ANTHROPIC_PATH).await.is_empty());
    assert_eq!(app.balance(user.id).await, 25);
    assert_eq!(dust_holds::Entity::find().count(&app.db).await.unwrap(), 0);
}
