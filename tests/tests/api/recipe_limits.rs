//! Bounded work around recipes and apps: answers carry a bounded amount of content, sync changes come in
//! pages, and per-user caps and a write throttle hold.

use std::collections::HashSet;

use fairydust_tests::{Overrides, TestApp, TestUser};
use serde_json::{Value, json};

const SAVE: &str = "mutation S($input: SaveRecipeInput!) { saveRecipe(input: $input) { id } }";
const SYNC: &str = "mutation Y($input: SyncRecipesInput!) { syncRecipes(input: $input) {
    mapping { clientId id } changes { id clientId } hasMoreChanges changesCursor syncedAt } }";
const PAGE: &str = "query P($after: String) { me { recipes(first: 10, after: $after) {
    nodes { id content } pageInfo { hasNextPage endCursor } } } }";

fn save_input(content: String) -> Value {
    json!({ "input": { "appId": "fairydust-recipe", "content": content } })
}

fn device_recipe(client_id: &str) -> Value {
    json!({ "clientId": client_id, "appId": "fairydust-recipe", "content": format!("# {client_id}"),
            "updatedAt": "2026-11-01T10:00:00Z" })
}

#[tokio::test]
async fn a_recipe_page_ends_before_its_content_passes_the_budget() {
    let app = TestApp::spawn_with(Overrides::default().set("MAX_PAGE_CONTENT_BYTES", "1000")).await;
    let user = app.user().await;
    for i in 0..5 {
        let content = format!("# Recipe {i}\n{}", "x".repeat(400));
        app.gql_as(&user.token, SAVE, save_input(content))
            .await
            .data();
    }
    let mut seen = HashSet::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let page = app
            .gql_as(&user.token, PAGE, json!({ "after": after }))
            .await;
        let nodes = page.at("me.recipes.nodes").as_array().unwrap().clone();
        let content: usize = nodes
            .iter()
            .map(|n| n["content"].as_str().unwrap().len())
            .sum();
        assert!(content <= 1000, "{content} bytes in one page");
        seen.extend(nodes.iter().map(|n| n["id"].as_str().unwrap().to_owned()));
        pages += 1;
        if page.at("me.recipes.pageInfo.hasNextPage") == false {
            break;
        }
        after = page.at("me.recipes.pageInfo.endCursor").clone();
    }
    assert_eq!(seen.len(), 5, "every recipe is reachable");
    assert_eq!(pages, 3);
}

async fn sync(app: &TestApp, user: &TestUser, input: Value) -> Value {
    app.gql_as(&user.token, SYNC, json!({ "input": input }))
        .await
        .at("syncRecipes")
        .clone()
}

#[tokio::test]
async fn sync_changes_come_in_pages_that_a_cursor_or_synced_at_walks_through() {
    let app = TestApp::spawn_with(Overrides::default().set("SYNC_CHANGES_PER_CALL", "3")).await;
    let user = app.user().await;
    let recipes: Vec<Value> = (0..7).map(|i| device_recipe(&format!("r{i}"))).collect();
    let first = sync(&app, &user, json!({ "recipes": recipes })).await;
    assert_eq!(first["mapping"].as_array().unwrap().len(), 7);
    assert_eq!(
        first["changes"],
        json!([]),
        "a device gets none of its own writes"
    );

    // Another device, with the cursor.
    let mut seen = HashSet::new();
    let mut input = json!({ "recipes": [] });
    let mut calls = 0;
    loop {
        let answer = sync(&app, &user, input.clone()).await;
        let changes = answer["changes"].as_array().unwrap();
        assert!(changes.len() <= 3);
        seen.extend(
            changes
                .iter()
                .map(|c| c["clientId"].as_str().unwrap().to_owned()),
        );
        calls += 1;
        if answer["hasMoreChanges"] == false {
            assert!(answer["changesCursor"].is_null());
            break;
        }
        input["changesAfter"] = answer["changesCursor"].clone();
    }
    assert_eq!((seen.len(), calls), (7, 3));

    // A third device that only knows `since = syncedAt` still gets everything.
    let mut seen = HashSet::new();
    let mut since = Value::Null;
    for _ in 0..10 {
        let answer = sync(&app, &user, json!({ "recipes": [], "since": since })).await;
        seen.extend(
            answer["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["clientId"].as_str().unwrap().to_owned()),
        );
        since = answer["syncedAt"].clone();
        if answer["hasMoreChanges"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 7);
}

#[tokio::test]
async fn recipes_are_capped_per_user() {
    let app = TestApp::spawn_with(Overrides::default().set("MAX_RECIPES_PER_USER", "3")).await;
    let user = app.user().await;
    for i in 0..2 {
        app.gql_as(&user.token, SAVE, save_input(format!("# Saved {i}")))
            .await
            .data();
    }
    // A sync adding two would make four: refused whole.
    let two = json!({ "input": { "recipes": [device_recipe("a"), device_recipe("b")] } });
    app.gql_as(&user.token, SYNC, two)
        .await
        .expect_error("BAD_USER_INPUT");
    let one = json!({ "input": { "recipes": [device_recipe("a")] } });
    app.gql_as(&user.token, SYNC, one).await.data();
    app.gql_as(&user.token, SAVE, save_input("# One more".into()))
        .await
        .expect_error("BAD_USER_INPUT");
    // Another user is unaffected.
    let other = app.user().await;
    app.gql_as(&other.token, SAVE, save_input("# Mine".into()))
        .await
        .data();
}

const CREATE_APP: &str = "mutation C($input: CreateAppInput!) { createApp(input: $input) { id } }";

fn app_input(name: &str) -> Value {
    json!({ "input": { "name": name, "description": "Ideas", "category": "LIFESTYLE" } })
}

#[tokio::test]
async fn a_builder_keeps_a_bounded_number_of_apps() {
    let app = TestApp::spawn_with(Overrides::default().set("MAX_APPS_PER_BUILDER", "2")).await;
    let builder = app.builder().await;
    for name in ["One", "Two"] {
        app.gql_as(&builder.token, CREATE_APP, app_input(name))
            .await
            .data();
    }
    app.gql_as(&builder.token, CREATE_APP, app_input("Three"))
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn saves_syncs_and_new_apps_share_one_write_throttle_per_user() {
    let app =
        TestApp::spawn_with(Overrides::default().set("WRITE_RATE_LIMIT_PER_MINUTE", "3")).await;
    let builder = app.builder().await;
    app.gql_as(&builder.token, SAVE, save_input("# A".into()))
        .await
        .data();
    app.gql_as(&builder.token, SYNC, json!({ "input": { "recipes": [] } }))
        .await
        .data();
    app.gql_as(&builder.token, CREATE_APP, app_input("Busy"))
        .await
        .data();
    for refused in [
        app.gql_as(&builder.token, SAVE, save_input("# B".into()))
            .await,
        app.gql_as(&builder.token, SYNC, json!({ "input": { "recipes": [] } }))
            .await,
        app.gql_as(&builder.token, CREATE_APP, app_input("Busier"))
            .await,
    ] {
        let error = refused.expect_error("RATE_LIMITED");
        assert!(error["extensions"]["retryAfter"].as_u64().is_some());
    }
    let other = app.user().await;
    app.gql_as(&other.token, SAVE, save_input("# C".into()))
        .await
        .data();
}
