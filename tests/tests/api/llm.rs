//! `generateText` and LLM usage against mock Anthropic and OpenAI servers.

use std::time::Duration;

use fairydust_entities::llm_usage_logs;
use fairydust_tests::{
    ANTHROPIC_KEY, ANTHROPIC_PATH, OPENAI_KEY, OPENAI_PATH, Overrides, TestApp, TestUser,
};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

const HAIKU: &str = "claude-3-5-haiku-20241022";
const MINI: &str = "gpt-4o-mini";
const GPT4O: &str = "gpt-4o";

const GENERATE: &str = "mutation G($input: GenerateTextInput!) { generateText(input: $input) {
    text model provider wasFallback dustCharged usage { promptTokens completionTokens costUsd }
    transaction { amount balanceAfter replayed } } }";

fn config(fallbacks: Value, per_request_max: &str, daily_max: &str) -> Value {
    json!({
        "provider": "ANTHROPIC", "model": HAIKU,
        "parameters": { "temperature": 0.8, "maxTokens": 150, "topP": 0.9 },
        "fallbacks": fallbacks,
        "costLimits": { "perRequestMax": per_request_max, "dailyMax": daily_max, "monthlyMax": "100" },
    })
}

fn fallback(provider: &str, model: &str, trigger: &str) -> Value {
    json!({ "provider": provider, "model": model, "trigger": trigger, "parameters": { "temperature": 0.5, "maxTokens": 150, "topP": 1 } })
}

/// A builder's app with the action `idea` (3 DUST) and the given model config; returns its slug.
async fn llm_app(app: &TestApp, builder: &TestUser, model_config: Value) -> String {
    let created = app
        .gql_as(&builder.token, "mutation { createApp(input: {name: \"Idea Box\", description: \"Ideas\", category: LIFESTYLE}) { id slug } }", json!({}))
        .await;
    let id = created.at("createApp.id").clone();
    app.gql_as(&builder.token, "mutation S($id: ID!) { setAppAction(appId: $id, action: \"idea\", dustCost: 3) { dustCost } }", json!({ "id": id }))
        .await
        .data();
    let set = "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { model } }";
    app.gql_as(
        &builder.token,
        set,
        json!({ "id": id, "input": model_config }),
    )
    .await
    .data();
    created.at("createApp.slug").as_str().unwrap().to_owned()
}

fn input(app_slug: &str, key: &str) -> Value {
    json!({ "input": { "appId": app_slug, "action": "idea", "prompt": "Give me an idea for a rainy day", "system": "Be brief.", "idempotencyKey": key } })
}

async fn logs(app: &TestApp) -> Vec<llm_usage_logs::Model> {
    llm_usage_logs::Entity::find()
        .order_by_asc(llm_usage_logs::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap()
}

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

#[tokio::test]
async fn model_configs_are_validated_against_the_price_table() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let stranger = app.builder().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    let set = "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { model } }";
    let mut unpriced = config(json!([]), "0.05", "10");
    unpriced["model"] = json!("claude-99");
    let mut wrong_provider = config(json!([]), "0.05", "10");
    wrong_provider["model"] = json!(MINI);
    let mut hot = config(json!([]), "0.05", "10");
    hot["parameters"]["temperature"] = json!(2.5);
    let mut long = config(json!([]), "0.05", "10");
    long["parameters"]["maxTokens"] = json!(9000);
    for bad in [
        unpriced,
        wrong_provider,
        hot,
        long,
        config(json!([]), "0", "10"),
        config(json!([]), "5", "1"),
    ] {
        app.gql_as(&builder.token, set, json!({ "id": slug, "input": bad }))
            .await
            .expect_error("BAD_USER_INPUT");
    }
    app.gql_as(
        &stranger.token,
        set,
        json!({ "id": slug, "input": config(json!([]), "0.05", "10") }),
    )
    .await
    .expect_error("FORBIDDEN");
    let models = app
        .gql(
            "{ llmModels { modelId inputUsdPerMillion outputUsdPerMillion } }",
            json!({}),
        )
        .await;
    assert_eq!(models.at("llmModels").as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn only_admins_change_prices_and_new_prices_apply() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let price = "mutation P($m: String!, $i: Decimal!, $o: Decimal!) { setLlmModelPrice(modelId: $m, inputUsdPerMillion: $i, outputUsdPerMillion: $o) { modelId inputUsdPerMillion } }";
    app.gql_as(
        &builder.token,
        price,
        json!({ "m": HAIKU, "i": "1", "o": "5" }),
    )
    .await
    .expect_error("FORBIDDEN");
    app.gql_as(
        &admin.token,
        price,
        json!({ "m": HAIKU, "i": "1", "o": "5" }),
    )
    .await
    .data();
    app.gql_as(
        &admin.token,
        price,
        json!({ "m": HAIKU, "i": "-1", "o": "5" }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "Idea.", 1_000_000, 0)
        .await;
    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "priced"))
        .await;
    assert_eq!(answer.at("generateText.usage.costUsd"), "1");
}

const LOG: &str = "mutation L($input: LogLlmUsageInput!) { logLlmUsage(input: $input) { costUsd totalTokens model } }";

#[tokio::test]
async fn apps_log_their_own_calls_and_the_server_prices_them() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let usage = |prompt: i64, completion: i64, total: Option<i64>| {
        json!({ "input": { "appId": "fairydust-story", "provider": "ANTHROPIC", "model": HAIKU, "promptTokens": prompt,
                           "completionTokens": completion, "totalTokens": total, "latencyMs": 850 } })
    };
    let logged = app
        .gql_as(&user.token, LOG, usage(1234, 567, Some(1801)))
        .await;
    assert_eq!(
        logged.at("logLlmUsage"),
        &json!({ "costUsd": "0.003255", "totalTokens": 1801, "model": HAIKU })
    );
    for (prompt, completion, total) in [(1, 1, Some(3)), (-1, 1, None), (10_000_001, 0, None)] {
        app.gql_as(&user.token, LOG, usage(prompt, completion, total))
            .await
            .expect_error("BAD_USER_INPUT");
    }
    let mut unknown = usage(1, 1, None);
    unknown["input"]["model"] = json!("gpt-17");
    app.gql_as(&user.token, LOG, unknown)
        .await
        .expect_error("BAD_USER_INPUT");
    let mut cost_sent = usage(1, 1, None);
    cost_sent["input"]["costUsd"] = json!("0");
    app.gql_as(&user.token, LOG, cost_sent)
        .await
        .expect_error("BAD_USER_INPUT");
    app.gql(LOG, usage(1, 1, None))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn usage_is_visible_to_the_builder_the_user_and_admins_only() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let stranger = app.builder().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "Idea.", 1234, 567)
        .await;
    app.gql_as(&user.token, GENERATE, input(&slug, "u1"))
        .await
        .data();
    let now = chrono::Utc::now();
    let window =
        json!({ "from": now - chrono::Duration::days(1), "to": now + chrono::Duration::days(1) });

    let by_app = "query U($app: ID, $user: ID, $from: DateTime!, $to: DateTime!) { llmUsage(appId: $app, userId: $user, from: $from, to: $to) { totals { requests costUsd } byDay { key } } }";
    let mut vars = window.clone();
    vars["app"] = json!(slug);
    let report = app.gql_as(&builder.token, by_app, vars.clone()).await;
    assert_eq!(
        report.at("llmUsage.totals"),
        &json!({ "requests": 1, "costUsd": "0.003255" })
    );
    app.gql_as(&stranger.token, by_app, vars.clone())
        .await
        .expect_error("FORBIDDEN");
    app.gql_as(&admin.token, by_app, vars).await.data();
    let mut own = window.clone();
    own["user"] = json!(user.id);
    assert_eq!(
        app.gql_as(&user.token, by_app, own.clone())
            .await
            .at("llmUsage.totals.requests"),
        1
    );
    app.gql_as(&stranger.token, by_app, own)
        .await
        .expect_error("FORBIDDEN");

    let stats = "query S($slug: String!, $from: DateTime!, $to: DateTime!) { app(slug: $slug) { usageStats(from: $from, to: $to) { requests costUsd dustConsumed uniqueUsers } } }";
    let mut vars = window.clone();
    vars["slug"] = json!(slug);
    let days = app.gql_as(&builder.token, stats, vars.clone()).await;
    assert_eq!(
        days.at("app.usageStats.0"),
        &json!({ "requests": 1, "costUsd": "0.003255", "dustConsumed": 3, "uniqueUsers": 1 })
    );
    app.gql_as(&stranger.token, stats, vars)
        .await
        .expect_error("FORBIDDEN");

    let analytics = "query A($from: DateTime!, $to: DateTime!) { llmAnalytics(from: $from, to: $to) { totals { requests } byModel { key } byApp { key } byAction { key } fallbackRate } }";
    let overview = app.gql_as(&admin.token, analytics, window.clone()).await;
    assert_eq!(overview.at("llmAnalytics.byModel.0.key"), HAIKU);
    assert_eq!(overview.at("llmAnalytics.byAction.0.key"), "idea");
    app.gql_as(&builder.token, analytics, window)
        .await
        .expect_error("FORBIDDEN");
}
