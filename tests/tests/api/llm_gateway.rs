//! `generateText` against mock Anthropic and OpenAI servers: exact pricing and a single charge,
//! fallbacks by trigger, failures that charge nothing, missing keys, rate and cost limits across
//! replicas, and configuration changes seen at once.

use std::time::Duration;

use fairydust_tests::{ANTHROPIC_KEY, ANTHROPIC_PATH, OPENAI_KEY, OPENAI_PATH, Overrides, TestApp};
use serde_json::{Value, json};

use crate::llm_support::{GENERATE, GPT4O, HAIKU, MINI, config, fallback, input, llm_app, logs};

#[tokio::test]
async fn a_call_goes_to_anthropic_is_priced_exactly_and_charges_once() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "Build a blanket fort.", 1234, 567)
        .await;

    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "rainy-1"))
        .await;
    let result = answer.at("generateText");
    assert_eq!(result["text"], "Build a blanket fort.");
    assert_eq!(result["provider"], "ANTHROPIC");
    assert_eq!(result["wasFallback"], false);
    assert_eq!(result["dustCharged"], 3);
    assert_eq!(
        result["usage"],
        json!({ "promptTokens": 1234, "completionTokens": 567, "costUsd": "0.003255" })
    );
    assert_eq!(result["transaction"]["balanceAfter"], 22);

    let calls = app.providers.llm.server.received_requests().await.unwrap();
    let call = calls
        .iter()
        .find(|r| r.url.path() == ANTHROPIC_PATH)
        .unwrap();
    assert_eq!(call.headers["x-api-key"], ANTHROPIC_KEY);
    assert_eq!(call.headers["anthropic-version"], "2023-06-01");
    let body: Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(
        (
            body["model"].clone(),
            body["max_tokens"].clone(),
            body["system"].clone()
        ),
        (json!(HAIKU), json!(150), json!("Be brief."))
    );
    assert_eq!(
        body["messages"][0],
        json!({ "role": "user", "content": "Give me an idea for a rainy day" })
    );

    let rows = logs(&app).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].success && !rows[0].was_fallback);
    assert_eq!(rows[0].cost_usd.0.to_string(), "0.003255");
    assert_eq!(
        (rows[0].total_tokens, rows[0].action.as_deref()),
        (1801, Some("idea"))
    );

    // A retry with the same key answers the same without calling the model or charging again.
    let replay = app
        .gql_as(&user.token, GENERATE, input(&slug, "rainy-1"))
        .await;
    assert_eq!(replay.at("generateText.text"), "Build a blanket fort.");
    assert_eq!(replay.at("generateText.transaction.replayed"), true);
    assert_eq!(app.providers.llm.calls(ANTHROPIC_PATH).await.len(), 1);
    assert_eq!(app.balance(user.id).await, 22);
}

#[tokio::test]
async fn provider_errors_fall_back_in_order_and_every_attempt_is_logged() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let fallbacks = json!([
        fallback("OPENAI", GPT4O, "RATE_LIMIT"),
        fallback("OPENAI", MINI, "PROVIDER_ERROR")
    ]);
    let slug = llm_app(&app, &builder, config(fallbacks, "0.05", "10")).await;
    app.providers.llm.fail(ANTHROPIC_PATH, HAIKU, 500).await;
    app.providers
        .llm
        .openai_ok(MINI, "Paint a rock.", 20, 10)
        .await;

    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "fallback-1"))
        .await;
    assert_eq!(
        answer.at("generateText.model"),
        MINI,
        "skips the rate-limit fallback: the failure was a 500"
    );
    assert_eq!(answer.at("generateText.wasFallback"), true);
    let call = &app
        .providers
        .llm
        .server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path() == OPENAI_PATH)
        .unwrap();
    assert_eq!(
        call.headers["authorization"],
        format!("Bearer {OPENAI_KEY}").as_str()
    );

    let rows = logs(&app).await;
    assert_eq!(rows.len(), 2);
    assert!(!rows[0].success && rows[0].model == HAIKU && rows[0].error.is_some());
    assert!(rows[1].success && rows[1].was_fallback);
    assert_eq!(rows[1].fallback_reason.as_deref(), Some("provider_error"));
    assert_eq!(app.balance(user.id).await, 22);
}

#[tokio::test]
async fn rate_limits_and_missing_models_trigger_their_own_fallbacks() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let fallbacks = json!([
        fallback("OPENAI", GPT4O, "RATE_LIMIT"),
        fallback("OPENAI", MINI, "MODEL_UNAVAILABLE")
    ]);
    let slug = llm_app(&app, &builder, config(fallbacks, "0.05", "10")).await;
    app.providers.llm.fail(ANTHROPIC_PATH, HAIKU, 429).await;
    app.providers.llm.fail(OPENAI_PATH, GPT4O, 404).await;
    app.providers
        .llm
        .openai_ok(MINI, "Bake bread.", 10, 10)
        .await;
    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "chain"))
        .await;
    assert_eq!(answer.at("generateText.model"), MINI);
    let reasons: Vec<Option<String>> = logs(&app)
        .await
        .into_iter()
        .map(|row| row.fallback_reason)
        .collect();
    assert_eq!(
        reasons,
        vec![
            None,
            Some("rate_limit".into()),
            Some("model_unavailable".into())
        ]
    );
}

#[tokio::test]
async fn when_every_model_fails_nothing_is_charged() {
    let app = TestApp::spawn_with(Overrides::default().set("LLM_TIMEOUT_SECONDS", "1")).await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(
        &app,
        &builder,
        config(
            json!([fallback("OPENAI", MINI, "PROVIDER_ERROR")]),
            "0.05",
            "10",
        ),
    )
    .await;
    app.providers
        .llm
        .slow(ANTHROPIC_PATH, HAIKU, Duration::from_secs(3))
        .await;
    app.providers
        .llm
        .respond(
            OPENAI_PATH,
            MINI,
            wiremock::ResponseTemplate::new(200).set_body_string("{not json"),
        )
        .await;
    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "doomed"))
        .await;
    answer.expect_error("LLM_UNAVAILABLE");
    assert_eq!(app.balance(user.id).await, 25);
    let rows = logs(&app).await;
    assert_eq!(
        rows.len(),
        2,
        "a timeout and a malformed answer, both logged"
    );
    assert!(
        rows.iter()
            .all(|row| !row.success && row.cost_usd.0.is_zero())
    );
}

#[tokio::test]
async fn a_too_expensive_call_falls_back_on_cost_threshold_exceeded() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    // 150 output tokens of Haiku cost 0.0006 USD: over a 0.0001 USD per-request maximum.
    let fallbacks = json!([fallback("OPENAI", MINI, "COST_THRESHOLD_EXCEEDED")]);
    let slug = llm_app(&app, &builder, config(fallbacks, "0.0001", "10")).await;
    app.providers
        .llm
        .openai_ok(MINI, "Fly a kite.", 20, 30)
        .await;
    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "cheap"))
        .await;
    assert_eq!(answer.at("generateText.model"), MINI);
    assert!(
        app.providers.llm.calls(ANTHROPIC_PATH).await.is_empty(),
        "the expensive model was never called"
    );
    assert_eq!(
        logs(&app).await[1].fallback_reason.as_deref(),
        Some("cost_threshold_exceeded")
    );
}

#[tokio::test]
async fn without_provider_keys_calls_are_llm_not_configured() {
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("ANTHROPIC_API_KEY", "")
            .set("OPENAI_API_KEY", ""),
    )
    .await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(
        &app,
        &builder,
        config(
            json!([fallback("OPENAI", MINI, "PROVIDER_ERROR")]),
            "0.05",
            "10",
        ),
    )
    .await;
    app.gql_as(&user.token, GENERATE, input(&slug, "nokeys"))
        .await
        .expect_error("LLM_NOT_CONFIGURED");
    assert_eq!(app.balance(user.id).await, 25);
}

#[tokio::test]
async fn users_without_enough_dust_are_refused_before_any_call() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    let admin = app.admin().await;
    app.gql_as(&admin.token, "mutation A($u: ID!) { adjustDust(userId: $u, delta: -24, reason: \"test\") { balanceAfter } }", json!({ "u": user.id }))
        .await
        .data();
    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "poor"))
        .await;
    assert_eq!(
        answer.expect_error("INSUFFICIENT_DUST")["extensions"]["required"],
        3
    );
    assert!(app.providers.llm.calls(ANTHROPIC_PATH).await.is_empty());
}

#[tokio::test]
async fn per_user_rate_limits_hold_across_replicas() {
    let app = TestApp::spawn_with(Overrides::default().set("LLM_RATE_LIMIT_PER_MINUTE", "2")).await;
    let replica = app.spawn_replica().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers.llm.anthropic_ok(HAIKU, "Idea.", 10, 10).await;
    app.gql_as(&user.token, GENERATE, input(&slug, "r1"))
        .await
        .data();
    replica
        .gql_as(&user.token, GENERATE, input(&slug, "r2"))
        .await
        .data();
    let third = app.gql_as(&user.token, GENERATE, input(&slug, "r3")).await;
    let retry = third.expect_error("RATE_LIMITED")["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let other = app.user().await;
    app.gql_as(&other.token, GENERATE, input(&slug, "o1"))
        .await
        .data();
}

#[tokio::test]
async fn daily_cost_limits_hold_across_replicas() {
    let app = TestApp::spawn().await;
    let replica = app.spawn_replica().await;
    let builder = app.builder().await;
    let user = app.user().await;
    // One call of 1234 + 567 tokens costs 0.003255 USD: the 0.003 daily limit is spent after it.
    let slug = llm_app(&app, &builder, config(json!([]), "0.002", "0.003")).await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "Idea.", 1234, 567)
        .await;
    app.gql_as(&user.token, GENERATE, input(&slug, "d1"))
        .await
        .data();
    let refused = replica
        .gql_as(&user.token, GENERATE, input(&slug, "d2"))
        .await;
    let retry = refused.expect_error("RATE_LIMITED")["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!(retry <= 86_400);
}

#[tokio::test]
async fn a_config_change_is_visible_on_the_other_replica_at_once() {
    let app = TestApp::spawn().await;
    let replica = app.spawn_replica().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "from haiku", 10, 10)
        .await;
    app.providers.llm.openai_ok(MINI, "from mini", 10, 10).await;
    assert_eq!(
        replica
            .gql_as(&user.token, GENERATE, input(&slug, "c1"))
            .await
            .at("generateText.text"),
        "from haiku"
    );
    let mut switched = config(json!([]), "0.05", "10");
    switched["provider"] = json!("OPENAI");
    switched["model"] = json!(MINI);
    let set = "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { model } }";
    app.gql_as(
        &builder.token,
        set,
        json!({ "id": slug, "input": switched }),
    )
    .await
    .data();
    assert_eq!(
        replica
            .gql_as(&user.token, GENERATE, input(&slug, "c2"))
            .await
            .at("generateText.text"),
        "from mini"
    );
}
