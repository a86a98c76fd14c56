//! LLM configuration and usage: model configs validated against the price table, admin-only
//! prices, `logLlmUsage` priced by the server, and who may see usage and analytics.

use fairydust_tests::TestApp;
use serde_json::json;

use crate::llm_support::{GENERATE, HAIKU, MINI, config, fallback, input, llm_app};

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
    let mut negative_tokens = config(json!([]), "0.05", "10");
    negative_tokens["parameters"]["maxTokens"] = json!(-1);
    let mut bad_fallback = config(
        json!([fallback("OPENAI", MINI, "RATE_LIMIT")]),
        "0.05",
        "10",
    );
    bad_fallback["fallbacks"][0]["parameters"]["topP"] = json!(1.5);
    let mut monthly_below_daily = config(json!([]), "0.05", "10");
    monthly_below_daily["costLimits"]["monthlyMax"] = json!("5");
    // Each error names the input field at fault (`extensions.field`), so a form can show it there.
    for (bad, field) in [
        (unpriced, "model"),
        (wrong_provider, "model"),
        (hot, "parameters.temperature"),
        (long, "parameters.maxTokens"),
        (negative_tokens, "parameters.maxTokens"),
        (bad_fallback, "fallbacks.0.parameters.topP"),
        (config(json!([]), "0", "10"), "costLimits.perRequestMax"),
        (config(json!([]), "5", "1"), "costLimits.perRequestMax"),
        (monthly_below_daily, "costLimits.dailyMax"),
    ] {
        let refused = app
            .gql_as(&builder.token, set, json!({ "id": slug, "input": bad }))
            .await;
        let error = refused.expect_error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], field, "{error}");
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
    let price = "mutation P($m: String!, $i: Decimal!, $o: Decimal!, $r: String!) { setLlmModelPrice(modelId: $m, inputUsdPerMillion: $i, outputUsdPerMillion: $o, reason: $r) { modelId inputUsdPerMillion } }";
    let change =
        |input: &str, reason: &str| json!({ "m": HAIKU, "i": input, "o": "5", "r": reason });
    app.gql_as(&builder.token, price, change("1", "Cheaper"))
        .await
        .expect_error("FORBIDDEN");
    app.gql_as(&admin.token, price, change("1", "Provider cut its prices"))
        .await
        .data();
    app.gql_as(&admin.token, price, change("-1", "Negative"))
        .await
        .expect_error("BAD_USER_INPUT");
    // Prices are money: a change needs a reason, which the audit log keeps.
    app.gql_as(&admin.token, price, change("2", " "))
        .await
        .expect_error("BAD_USER_INPUT");
    let audit = app
        .gql_as(
            &admin.token,
            "{ adminAuditLog(action: \"llm.set_model_price\") { nodes { targetId reason } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit.at("adminAuditLog.nodes"),
        &json!([{ "targetId": HAIKU, "reason": "Provider cut its prices" }])
    );
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
    // The story app is the platform's: its builder is the system account, so an admin logs for it.
    let user = app.admin().await;
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
    for (prompt, completion, total) in [(1, 1, Some(3)), (-1, 1, None), (200_001, 0, None)] {
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

    let analytics = "query A($from: DateTime!, $to: DateTime!) { llmAnalytics(from: $from, to: $to) { totals { requests } byModel { key } byApp { key app { name slug } } byAction { key } fallbackRate } }";
    let overview = app.gql_as(&admin.token, analytics, window.clone()).await;
    assert_eq!(overview.at("llmAnalytics.byModel.0.key"), HAIKU);
    // The by-app breakdown names the app, not only its id.
    assert_eq!(
        overview.at("llmAnalytics.byApp.0.app"),
        &json!({ "name": "Idea Box", "slug": slug })
    );
    assert_eq!(overview.at("llmAnalytics.byAction.0.key"), "idea");
    app.gql_as(&builder.token, analytics, window)
        .await
        .expect_error("FORBIDDEN");
}
