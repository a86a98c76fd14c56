//! Issue 9, items 12 and 10: builder-only mutations need the builder right, not only ownership; a
//! consume refuses a price raised above what the client agreed to; an app off the marketplace is
//! NOT_FOUND on every path that returns one, to everyone but its builder and admins.

use fairydust_tests::{TestApp, TestUser};
use serde_json::{Value, json};

use crate::llm_support::{GENERATE, config, input, llm_app};

const UPDATE: &str = "mutation U($id: ID!) { updateApp(id: $id, input: {description: \"Changed\"}) { description } }";
const SET_ACTION: &str = "mutation S($id: ID!, $cost: Int!) { setAppAction(appId: $id, action: \"idea\", dustCost: $cost) { dustCost } }";
const REMOVE_ACTION: &str =
    "mutation R($id: ID!) { removeAppAction(appId: $id, action: \"idea\") }";
const SET_CONFIG: &str = "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { model } }";
const LOG: &str = "mutation L($id: ID!) { logLlmUsage(input: {appId: $id, provider: ANTHROPIC, model: \"claude-3-5-haiku-20241022\", promptTokens: 10, completionTokens: 5, latencyMs: 100}) { id } }";
const CHECK: &str =
    "query K($app: ID!) { checkDust(appId: $app, action: \"idea\") { sufficient required } }";
const CONSUME: &str = "mutation C($app: ID!, $key: String!, $max: Int) { consumeDust(input: {appId: $app, action: \"idea\", idempotencyKey: $key, maxDust: $max}) { amount balanceAfter replayed } }";

async fn set_builder(app: &TestApp, admin: &TestUser, user: &TestUser, on: bool) {
    app.gql_as(
        &admin.token,
        "mutation B($u: ID!, $on: Boolean!) { setBuilder(userId: $u, isBuilder: $on) { isBuilder } }",
        json!({ "u": user.id, "on": on }),
    )
    .await
    .data();
}

fn builder_mutations(slug: &str) -> Vec<(&'static str, Value)> {
    vec![
        (UPDATE, json!({ "id": slug })),
        (SET_ACTION, json!({ "id": slug, "cost": 4 })),
        (REMOVE_ACTION, json!({ "id": slug })),
        (
            SET_CONFIG,
            json!({ "id": slug, "input": config(json!([]), "0.05", "10") }),
        ),
        (LOG, json!({ "id": slug })),
    ]
}

#[tokio::test]
async fn a_builder_whose_right_was_removed_cannot_edit_their_apps_but_admins_still_can() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let builder = app.builder().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    // While a builder, every builder-only mutation works on their own app.
    for (document, variables) in builder_mutations(&slug) {
        app.gql_as(&builder.token, document, variables).await.data();
    }

    set_builder(&app, &admin, &builder, false).await;
    for (document, variables) in builder_mutations(&slug) {
        let refused = app.gql_as(&builder.token, document, variables).await;
        let error = refused.expect_error("FORBIDDEN");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("builder rights"),
            "{document}: {error}"
        );
    }
    // The app itself is untouched and still theirs to see.
    let seen = app
        .gql_as(
            &builder.token,
            "query A($slug: String!) { app(slug: $slug) { description actions { dustCost } } }",
            json!({ "slug": slug }),
        )
        .await;
    assert_eq!(seen.at("app.description"), "Changed");

    // Admins may still edit any app.
    for (document, variables) in builder_mutations(&slug) {
        app.gql_as(&admin.token, document, variables).await.data();
    }
    // The right restored, the builder edits again.
    set_builder(&app, &admin, &builder, true).await;
    app.gql_as(&builder.token, UPDATE, json!({ "id": slug }))
        .await
        .data();
}

#[tokio::test]
async fn a_consume_refuses_a_price_raised_above_the_agreed_max_dust() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;

    let agreed = app
        .gql_as(
            &user.token,
            CONSUME,
            json!({ "app": slug, "key": "k1", "max": 3 }),
        )
        .await;
    assert_eq!(agreed.at("consumeDust.amount"), -3);

    app.gql_as(&builder.token, SET_ACTION, json!({ "id": slug, "cost": 9 }))
        .await
        .data();
    let refused = app
        .gql_as(
            &user.token,
            CONSUME,
            json!({ "app": slug, "key": "k2", "max": 3 }),
        )
        .await;
    let error = refused.expect_error("CONFLICT");
    assert_eq!(error["extensions"]["reason"], "PRICE_ABOVE_MAX_DUST");
    assert_eq!(error["extensions"]["required"], 9);
    assert_eq!(error["extensions"]["maxDust"], 3);
    assert_eq!(app.balance(user.id).await, 22, "nothing was charged");

    // A retry of the first request still answers with its result, whatever the price is now.
    let replay = app
        .gql_as(
            &user.token,
            CONSUME,
            json!({ "app": slug, "key": "k1", "max": 3 }),
        )
        .await;
    assert_eq!(replay.at("consumeDust.replayed"), true);
    // Agreeing to the new price, or not saying, charges it.
    app.gql_as(
        &user.token,
        CONSUME,
        json!({ "app": slug, "key": "k3", "max": 9 }),
    )
    .await
    .data();
    app.gql_as(&user.token, CONSUME, json!({ "app": slug, "key": "k4" }))
        .await
        .data();
    assert_eq!(app.balance(user.id).await, 4);
    app.gql_as(
        &user.token,
        CONSUME,
        json!({ "app": slug, "key": "k5", "max": 0 }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn an_app_off_the_marketplace_is_not_found_on_every_path_but_to_its_builder_and_admins() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    let save = "mutation S($app: ID!) { saveRecipe(input: {appId: $app, content: \"# Soup\"}) { app { slug } } }";
    let saved = app.gql_as(&user.token, save, json!({ "app": slug })).await;
    assert_eq!(saved.at("saveRecipe.app.slug"), slug.as_str());
    app.gql_as(
        &user.token,
        CONSUME,
        json!({ "app": slug, "key": "before" }),
    )
    .await
    .data();

    app.gql_as(
        &admin.token,
        "mutation S($id: ID!) { suspendApp(id: $id, note: \"review\") { status } }",
        json!({ "id": slug }),
    )
    .await
    .data();

    // Saving into it, checking or spending in it: NOT_FOUND, as for an app that does not exist.
    app.gql_as(&user.token, save, json!({ "app": slug }))
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(&user.token, CHECK, json!({ "app": slug }))
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(&user.token, CONSUME, json!({ "app": slug, "key": "after" }))
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(&user.token, GENERATE, input(&slug, "after"))
        .await
        .expect_error("NOT_FOUND");
    // What the user already has no longer names it.
    let mine = app
        .gql_as(
            &user.token,
            "{ me { recipes { nodes { app { slug } } } dustTransactions(type: CONSUME) { nodes { app { slug } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine.at("me.recipes.nodes.0.app"), &Value::Null);
    assert_eq!(mine.at("me.dustTransactions.nodes.0.app"), &Value::Null);

    // Its builder and admins still see it; it cannot charge, which they are told (FORBIDDEN).
    for viewer in [&builder, &admin] {
        app.gql_as(&viewer.token, CHECK, json!({ "app": slug }))
            .await
            .expect_error("FORBIDDEN");
        app.gql_as(&viewer.token, GENERATE, input(&slug, "own"))
            .await
            .expect_error("FORBIDDEN");
        let kept = app
            .gql_as(
                &viewer.token,
                "query A($slug: String!) { app(slug: $slug) { status } }",
                json!({ "slug": slug }),
            )
            .await;
        assert_eq!(kept.at("app.status"), "SUSPENDED");
    }
    let audited = app
        .gql_as(
            &admin.token,
            "query T($u: ID!) { transactions(userId: $u, type: CONSUME) { nodes { app { slug } } } }",
            json!({ "u": user.id }),
        )
        .await;
    assert_eq!(audited.at("transactions.nodes.0.app.slug"), slug.as_str());
}
