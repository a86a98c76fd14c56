//! Shared helpers of the LLM tests (`llm_gateway`, `llm_usage`): the seeded model ids, the
//! `generateText` mutation, model configurations, an app set up to call a model, and the usage log.

use fairydust_entities::llm_usage_logs;
use fairydust_tests::{TestApp, TestUser};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

pub(crate) const HAIKU: &str = "claude-3-5-haiku-20241022";
pub(crate) const MINI: &str = "gpt-4o-mini";
pub(crate) const GPT4O: &str = "gpt-4o";

pub(crate) const GENERATE: &str =
    "mutation G($input: GenerateTextInput!) { generateText(input: $input) {
    text model provider wasFallback dustCharged usage { promptTokens completionTokens costUsd }
    transaction { amount balanceAfter replayed } } }";

pub(crate) fn config(fallbacks: Value, per_request_max: &str, daily_max: &str) -> Value {
    json!({
        "provider": "ANTHROPIC", "model": HAIKU,
        "parameters": { "temperature": 0.8, "maxTokens": 150, "topP": 0.9 },
        "fallbacks": fallbacks,
        "costLimits": { "perRequestMax": per_request_max, "dailyMax": daily_max, "monthlyMax": "100" },
    })
}

pub(crate) fn fallback(provider: &str, model: &str, trigger: &str) -> Value {
    json!({ "provider": provider, "model": model, "trigger": trigger, "parameters": { "temperature": 0.5, "maxTokens": 150, "topP": 1 } })
}

/// A builder's app with the action `idea` (3 DUST) and the given model config; returns its slug.
pub(crate) async fn llm_app(app: &TestApp, builder: &TestUser, model_config: Value) -> String {
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

pub(crate) fn input(app_slug: &str, key: &str) -> Value {
    json!({ "input": { "appId": app_slug, "action": "idea", "prompt": "Give me an idea for a rainy day", "system": "Be brief.", "idempotencyKey": key } })
}

pub(crate) async fn logs(app: &TestApp) -> Vec<llm_usage_logs::Model> {
    llm_usage_logs::Entity::find()
        .order_by_asc(llm_usage_logs::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap()
}
