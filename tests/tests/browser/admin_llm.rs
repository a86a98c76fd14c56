//! The LLM screen: a price edit costs the next call at the new price; usage shows in the analytics.

use fairydust_tests::TestApp;
use fantoccini::Client;
use serde_json::json;

use crate::support::*;

const HAIKU: &str = "claude-3-5-haiku-20241022";
const GENERATE: &str = "mutation G($input: GenerateTextInput!) { generateText(input: $input) { model usage { promptTokens completionTokens costUsd } } }";

/// A builder's app whose action `idea` calls Haiku; returns (id, slug).
pub async fn llm_app(app: &TestApp) -> (String, String) {
    let builder = app.builder().await;
    let created = app
        .gql_as(&builder.token, "mutation { createApp(input: {name: \"Idea Box\", description: \"Ideas\", category: LIFESTYLE}) { id slug } }", json!({}))
        .await;
    let id = created.at("createApp.id").as_str().unwrap().to_owned();
    app.gql_as(&builder.token, "mutation S($id: ID!) { setAppAction(appId: $id, action: \"idea\", dustCost: 3) { dustCost } }", json!({ "id": id }))
        .await
        .data();
    let config = json!({
        "provider": "ANTHROPIC", "model": HAIKU,
        "parameters": { "temperature": 0.8, "maxTokens": 150, "topP": 0.9 },
        "fallbacks": [],
        "costLimits": { "perRequestMax": "0.05", "dailyMax": "10", "monthlyMax": "100" },
    });
    app.gql_as(
        &builder.token,
        "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { model } }",
        json!({ "id": id, "input": config }),
    )
    .await
    .data();
    let slug = created.at("createApp.slug").as_str().unwrap().to_owned();
    (id, slug)
}

/// The admin changes Haiku's prices with a reason; the next call is costed at the new prices.
pub async fn model_price_edit_costs_the_next_call(client: &Client, app: &TestApp) {
    client.goto(&app.url("/admin/llm")).await.unwrap();
    wait_for(client, "#price-table").await;
    wait_for(client, "#usage-totals, .state.empty").await;
    screenshots(client, "admin-llm").await;

    fill(client, &format!("[id='input-price-{HAIKU}']"), "2").await;
    fill(client, &format!("[id='output-price-{HAIKU}']"), "10").await;
    click(client, &format!("[id='save-price-{HAIKU}']")).await;
    wait_for(client, "#confirm-dialog").await;
    let confirm = wait_for(client, "#confirm-action").await;
    assert!(
        !confirm.is_enabled().await.unwrap(),
        "a money change needs a reason first"
    );
    fill(client, "#confirm-reason", "Provider raised its prices").await;
    screenshot(client, "admin-llm-confirm-desktop").await;
    click(client, "#confirm-action").await;
    let toast = text_of(client, "#toasts .toast").await;
    assert!(toast.contains("saved"), "{toast}");

    let (_, slug) = llm_app(app).await;
    let user = app.user().await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "Build a blanket fort.", 1234, 567)
        .await;
    let answer = app
        .gql_as(
            &user.token,
            GENERATE,
            json!({ "input": { "appId": slug, "action": "idea", "prompt": "An idea", "idempotencyKey": "price-1" } }),
        )
        .await;
    // 1234 × $2/M + 567 × $10/M (it was $0.003255 at the seeded $0.80 / $4).
    assert_eq!(answer.at("generateText.usage.costUsd"), "0.008138");

    // The usage shows up in the analytics, chart included.
    client.refresh().await.unwrap();
    wait_for(client, "#usage-totals").await;
    wait_for(client, "#cost-chart svg polyline").await;
    wait_for(client, "#calls-chart svg rect.bar").await;
    client
        .execute(
            "document.getElementById('usage-totals').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshots(client, "admin-llm-usage").await;
}
