//! The builder console's API: an app's numbers and DUST transactions for its builder and admins only
//! (never a user's contact data), cost estimates from the price table, slug availability and the
//! field named in a validation error.

use chrono::{Duration, Utc};
use fairydust_entities::users;
use fairydust_tests::{ANTHROPIC_PATH, TestApp, TestUser};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};

use crate::llm_support::{GENERATE, HAIKU, MINI, config, fallback, input, llm_app, logs};

const NUMBERS: &str = "query N($id: ID!, $from: DateTime!, $to: DateTime!) { app(id: $id) {
    stats(from: $from, to: $to) {
      totals { requests fallbacks fallbackRate promptTokens completionTokens llmCostUsd dustEarned charges uniqueUsers }
      days { date requests dustEarned charges uniqueUsers llmCostUsd } } } }";
const TRANSACTIONS: &str = "query T($id: ID!, $first: Int, $after: String) { app(id: $id) {
    transactions(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id type action amount user { fairyname account { email phone } } } } } }";
const CONSUME: &str = "mutation C($app: ID!, $key: String!) { consumeDust(input: {appId: $app, action: \"idea\", idempotencyKey: $key}) { amount } }";

/// From two UTC days ago to the end of today: three days.
fn range() -> Value {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    json!({ "from": today - Duration::days(2), "to": today + Duration::days(1) })
}

fn with_range(id: &Value) -> Value {
    let mut variables = range();
    variables["id"] = id.clone();
    variables
}

async fn app_id(app: &TestApp, token: &str, slug: &str) -> Value {
    app.gql_as(
        token,
        "query A($s: String!) { app(slug: $s) { id } }",
        json!({ "s": slug }),
    )
    .await
    .at("app.id")
    .clone()
}

async fn with_phone(app: &TestApp, user: &TestUser, phone: &str) {
    let row = users::Entity::find_by_id(user.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.phone = Set(Some(phone.to_owned()));
    row.update(&app.db).await.unwrap();
}

#[tokio::test]
async fn an_apps_numbers_add_up_model_calls_and_dust_per_utc_day() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
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
    let id = app_id(&app, &builder.token, &slug).await;
    // The primary fails, so every call is answered by the fallback.
    app.providers.llm.fail(ANTHROPIC_PATH, HAIKU, 500).await;
    app.providers
        .llm
        .openai_ok(MINI, "Build a fort.", 1000, 100)
        .await;
    let caller = app.user().await;
    let payer = app.user().await;
    app.gql_as(&caller.token, GENERATE, input(&slug, "gen-1"))
        .await
        .data();
    app.gql_as(
        &payer.token,
        CONSUME,
        json!({ "app": slug, "key": "pay-1" }),
    )
    .await
    .data();

    let answer = app.gql_as(&builder.token, NUMBERS, with_range(&id)).await;
    let totals = answer.at("app.stats.totals");
    let logged = logs(&app).await;
    let cost: rust_decimal::Decimal = logged.iter().map(|row| row.cost_usd.0).sum();
    let fallbacks = logged.iter().filter(|r| r.was_fallback).count();
    assert!(logged.len() >= 2 && fallbacks == 1, "{logged:#?}");
    assert_eq!(totals["requests"], logged.len());
    assert_eq!(totals["fallbacks"], fallbacks);
    assert_eq!(
        totals["fallbackRate"],
        fallbacks as f64 / logged.len() as f64
    );
    assert_eq!(totals["llmCostUsd"], cost.normalize().to_string());
    let prompt: i32 = logged.iter().map(|r| r.prompt_tokens).sum();
    assert_eq!(
        (
            totals["promptTokens"].as_i64(),
            totals["completionTokens"].as_i64()
        ),
        (Some(prompt.into()), Some(100))
    );
    assert_eq!(
        totals["dustEarned"], 6,
        "3 DUST for the call and 3 for the consume"
    );
    assert_eq!(totals["charges"], 2);
    assert_eq!(totals["uniqueUsers"], 2);
    let days = answer.at("app.stats.days").as_array().unwrap();
    assert_eq!(days.len(), 3, "every day of the range, zeros included");
    assert_eq!(days[0]["requests"], 0);
    assert_eq!(days[2]["date"], Utc::now().date_naive().to_string());
    assert_eq!(days[2]["dustEarned"], 6);
    assert_eq!(days[2]["uniqueUsers"], 2);

    // An admin sees the same numbers; a range over 366 days is refused.
    let admin = app.admin().await;
    let as_admin = app.gql_as(&admin.token, NUMBERS, with_range(&id)).await;
    assert_eq!(as_admin.at("app.stats.totals"), totals);
    let too_long =
        json!({ "id": id, "from": "2024-01-01T00:00:00Z", "to": "2025-06-01T00:00:00Z" });
    app.gql_as(&builder.token, NUMBERS, too_long)
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn an_apps_transactions_page_newest_first_with_fairynames_only() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let priced = app.priced_app(builder.id, &[("idea", 3)]).await;
    let users = [app.user().await, app.user().await];
    with_phone(&app, &users[0], "+15555550123").await;
    for n in 0..5 {
        let user = &users[n % 2];
        app.gql_as(
            &user.token,
            CONSUME,
            json!({ "app": priced.slug, "key": format!("k-{n}") }),
        )
        .await
        .data();
    }
    let id = json!(priced.id.to_string());
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = Vec::new();
    loop {
        let page = app
            .gql_as(
                &builder.token,
                TRANSACTIONS,
                json!({ "id": id, "first": 2, "after": after }),
            )
            .await;
        for secret in [
            users[0].email.as_str(),
            users[1].email.as_str(),
            "+15555550123",
        ] {
            assert!(
                !page.body.to_string().contains(secret),
                "{secret} leaked: {}",
                page.body
            );
        }
        let connection = page.at("app.transactions").clone();
        assert_eq!(connection["totalCount"], 5);
        let nodes = connection["nodes"].as_array().unwrap().clone();
        pages.push(nodes.len());
        for node in &nodes {
            assert_eq!(
                (node["type"].as_str(), node["amount"].as_i64()),
                (Some("CONSUME"), Some(-3))
            );
            assert!(
                node["user"]["account"].is_null(),
                "no account for a builder: {node}"
            );
            seen.push(node.clone());
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, [2, 2, 1]);
    let ids: std::collections::HashSet<_> = seen.iter().map(|n| n["id"].clone()).collect();
    assert_eq!(ids.len(), 5, "no row twice across pages");
    // Newest first: the last consume (by users[0]) leads.
    assert_eq!(seen[0]["user"]["fairyname"], users[0].fairyname.as_str());
    assert_eq!(seen[1]["user"]["fairyname"], users[1].fairyname.as_str());

    app.gql_as(
        &builder.token,
        TRANSACTIONS,
        json!({ "id": id, "first": 101 }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    app.gql_as(
        &builder.token,
        TRANSACTIONS,
        json!({ "id": id, "after": "garbage!" }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn other_builders_users_and_strangers_never_see_an_apps_numbers() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let rival = app.builder().await;
    let user = app.user().await;
    let admin = app.admin().await;
    let priced = app.priced_app(owner.id, &[("idea", 3)]).await;
    app.gql_as(
        &user.token,
        CONSUME,
        json!({ "app": priced.slug, "key": "k-1" }),
    )
    .await
    .data();
    let id = json!(priced.id.to_string());
    let listed = |token: Option<&str>| {
        let token = token.map(str::to_owned);
        let app = &app;
        let id = id.clone();
        async move {
            let numbers = with_range(&id);
            let transactions = json!({ "id": id });
            match token {
                Some(token) => (
                    app.gql_as(&token, NUMBERS, numbers).await,
                    app.gql_as(&token, TRANSACTIONS, transactions).await,
                ),
                None => (
                    app.gql(NUMBERS, numbers).await,
                    app.gql(TRANSACTIONS, transactions).await,
                ),
            }
        }
    };
    // On the marketplace the app is visible to all, its numbers to its builder and admins only.
    for token in [Some(rival.token.as_str()), Some(user.token.as_str()), None] {
        let (numbers, transactions) = listed(token).await;
        numbers.expect_error("FORBIDDEN");
        transactions.expect_error("FORBIDDEN");
    }
    let (numbers, transactions) = listed(Some(&admin.token)).await;
    assert_eq!(numbers.at("app.stats.totals.dustEarned"), 3);
    let fairyname = &transactions.at("app.transactions.nodes.0.user")["fairyname"];
    assert_eq!(fairyname, user.fairyname.as_str());
    // Admins see the account; the builder does not.
    assert_eq!(
        transactions.at("app.transactions.nodes.0.user.account.email"),
        user.email.as_str()
    );
    let (_, as_owner) = listed(Some(&owner.token)).await;
    assert!(
        as_owner
            .at("app.transactions.nodes.0.user.account")
            .is_null()
    );
    assert!(!as_owner.body.to_string().contains(&user.email));

    // Off the marketplace the app does not exist for anyone else.
    app.gql_as(
        &owner.token,
        "mutation U($id: ID!) { updateApp(id: $id, input: {isActive: false}) { isActive } }",
        json!({ "id": id }),
    )
    .await
    .data();
    let (numbers, transactions) = listed(Some(&rival.token)).await;
    numbers.expect_error("NOT_FOUND");
    transactions.expect_error("NOT_FOUND");
    let (numbers, _) = listed(Some(&owner.token)).await;
    assert_eq!(numbers.at("app.stats.totals.charges"), 1);
    let mine = app
        .gql_as(&rival.token, "{ myApps { id } }", json!({}))
        .await;
    assert_eq!(mine.at("myApps"), &json!([]));
}

#[tokio::test]
async fn cost_estimates_are_exact_arithmetic_on_the_price_table() {
    let app = TestApp::spawn().await;
    let estimate = "query E($m: String!, $p: Int!, $t: Int!) { estimateLlmCost(model: $m, promptTokens: $p, maxTokens: $t) {
        model { modelId provider } promptTokens maxTokens inputCostUsd outputCostUsd totalCostUsd breakEvenDust } }";
    // 1 234 prompt tokens and 567 answer tokens; ARCHITECTURE §8's seeded prices.
    for (model, input, output, total, dust) in [
        (HAIKU, "0.0009872", "0.002268", "0.0032552", 1),
        ("claude-opus-4", "0.01851", "0.042525", "0.061035", 7),
        ("gpt-4", "0.03702", "0.03402", "0.07104", 8),
        (MINI, "0.0001851", "0.0003402", "0.0005253", 1),
    ] {
        let answer = app
            .gql(estimate, json!({ "m": model, "p": 1234, "t": 567 }))
            .await;
        let got = answer.at("estimateLlmCost");
        assert_eq!(
            (
                &got["inputCostUsd"],
                &got["outputCostUsd"],
                &got["totalCostUsd"]
            ),
            (&json!(input), &json!(output), &json!(total)),
            "{model}"
        );
        assert_eq!(got["breakEvenDust"], dust, "{model}");
        assert_eq!(got["model"]["modelId"], model);
    }
    // A price change applies to the next estimate.
    let admin = app.admin().await;
    app.gql_as(
        &admin.token,
        "mutation { setLlmModelPrice(modelId: \"claude-3-5-haiku-20241022\", inputUsdPerMillion: \"2\", outputUsdPerMillion: \"10\", reason: \"test prices\") { modelId } }",
        json!({}),
    )
    .await
    .data();
    let changed = app
        .gql(estimate, json!({ "m": HAIKU, "p": 1234, "t": 567 }))
        .await;
    assert_eq!(changed.at("estimateLlmCost.totalCostUsd"), "0.008138");
    app.gql(estimate, json!({ "m": "gpt-9", "p": 1, "t": 1 }))
        .await
        .expect_error("NOT_FOUND");
    for (p, t) in [(-1, 10), (10, 0), (10, 8001)] {
        app.gql(estimate, json!({ "m": HAIKU, "p": p, "t": t }))
            .await
            .expect_error("BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn slugs_are_previewed_and_field_errors_name_their_field() {
    let app = TestApp::spawn().await;
    let builder = app.user().await;
    // Self-service: the same token creates apps at once.
    let became = app
        .gql_as(
            &builder.token,
            "mutation { becomeBuilder { isBuilder } }",
            json!({}),
        )
        .await;
    assert_eq!(became.at("becomeBuilder.isBuilder"), true);
    let me = app
        .gql_as(&builder.token, "{ me { isBuilder } }", json!({}))
        .await;
    assert_eq!(me.at("me.isBuilder"), true);
    let create = "mutation C($input: CreateAppInput!) { createApp(input: $input) { id slug } }";
    let created = app
        .gql_as(&builder.token, create, json!({ "input": { "name": "Rainy Day", "description": "Ideas", "category": "LIFESTYLE" } }))
        .await;
    let id = created.at("createApp.id").clone();
    let check = "query S($slug: String!, $app: ID) { slugAvailable(slug: $slug, appId: $app) { slug valid available suggestion } }";
    let taken = app
        .gql_as(&builder.token, check, json!({ "slug": "rainy-day" }))
        .await;
    assert_eq!(
        taken.at("slugAvailable"),
        &json!({ "slug": "rainy-day", "valid": true, "available": false, "suggestion": "rainy-day-2" })
    );
    let own = app
        .gql_as(
            &builder.token,
            check,
            json!({ "slug": "rainy-day", "app": id }),
        )
        .await;
    assert_eq!(
        own.at("slugAvailable.available"),
        true,
        "an app keeps its own slug"
    );
    let bad = app
        .gql_as(&builder.token, check, json!({ "slug": "Bad Slug!" }))
        .await;
    assert_eq!(
        bad.at("slugAvailable"),
        &json!({ "slug": "Bad Slug!", "valid": false, "available": false, "suggestion": "bad-slug" })
    );
    app.gql(check, json!({ "slug": "x" }))
        .await
        .expect_error("UNAUTHENTICATED");
    let rival = app.builder().await;
    app.gql_as(
        &rival.token,
        check,
        json!({ "slug": "rainy-day", "app": id }),
    )
    .await
    .expect_error("FORBIDDEN");

    for (input, code, field) in [
        (
            json!({ "name": "A", "description": "d", "category": "GAMES", "iconUrl": "javascript:alert(1)" }),
            "BAD_USER_INPUT",
            "iconUrl",
        ),
        (
            json!({ "name": " ", "description": "d", "category": "GAMES" }),
            "BAD_USER_INPUT",
            "name",
        ),
        (
            json!({ "name": "A", "description": "", "category": "GAMES" }),
            "BAD_USER_INPUT",
            "description",
        ),
        (
            json!({ "name": "A", "slug": "Bad Slug", "description": "d", "category": "GAMES" }),
            "BAD_USER_INPUT",
            "slug",
        ),
        (
            json!({ "name": "A", "slug": "rainy-day", "description": "d", "category": "GAMES" }),
            "CONFLICT",
            "slug",
        ),
    ] {
        let answer = app
            .gql_as(&builder.token, create, json!({ "input": input }))
            .await;
        let error = answer.expect_error(code);
        assert_eq!(error["extensions"]["field"], field, "{error}");
    }
    let price = "mutation P($id: ID!) { setAppAction(appId: $id, action: \"idea\", dustCost: 0) { dustCost } }";
    let answer = app.gql_as(&builder.token, price, json!({ "id": id })).await;
    assert_eq!(
        answer.expect_error("BAD_USER_INPUT")["extensions"]["field"],
        "dustCost"
    );
}
