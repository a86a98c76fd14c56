//! Recipes: own data only, titles from markdown, and an offline sync that is idempotent and fair.

use fairydust_entities::user_recipes;
use fairydust_tests::{TestApp, TestUser};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const SAVE: &str = "mutation S($input: SaveRecipeInput!) { saveRecipe(input: $input) { id title category isFavorited app { slug } } }";
const SYNC: &str = "mutation Y($input: SyncRecipesInput!) { syncRecipes(input: $input) {
    mapping { clientId id } conflicts { clientId resolution } changes { id clientId title content deleted } syncedAt } }";

async fn save(app: &TestApp, user: &TestUser, content: &str, title: Option<&str>) -> Value {
    let input = json!({ "input": { "appId": "fairydust-recipe", "content": content, "title": title, "category": "dessert" } });
    app.gql_as(&user.token, SAVE, input)
        .await
        .at("saveRecipe")
        .clone()
}

#[tokio::test]
async fn recipes_get_titles_from_their_first_line() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    assert_eq!(
        save(&app, &user, "# Lemon Tart\nButter, sugar", None).await["title"],
        "Lemon Tart"
    );
    assert_eq!(
        save(&app, &user, "**Pancakes**\nFlour", None).await["title"],
        "Pancakes"
    );
    let long = "y".repeat(120);
    assert_eq!(
        save(&app, &user, &long, None).await["title"],
        format!("{}...", "y".repeat(100))
    );
    assert_eq!(
        save(&app, &user, "# Ignored", Some("Chosen")).await["title"],
        "Chosen"
    );
    let bad_app = json!({ "input": { "appId": "no-such-app", "content": "x" } });
    app.gql_as(&user.token, SAVE, bad_app)
        .await
        .expect_error("NOT_FOUND");
    let empty = json!({ "input": { "appId": "fairydust-recipe", "content": "  " } });
    app.gql_as(&user.token, SAVE, empty)
        .await
        .expect_error("BAD_USER_INPUT");
    let bad_meta = json!({ "input": { "appId": "fairydust-recipe", "content": "x", "metadata": { "complexity": "Hard" } } });
    app.gql_as(&user.token, SAVE, bad_meta)
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn recipes_are_private_to_their_owner_and_readable_by_admins() {
    let app = TestApp::spawn().await;
    let owner = app.user().await;
    let other = app.user().await;
    let admin = app.admin().await;
    let saved = save(&app, &owner, "# Secret Soup", None).await;
    let read = "query R($id: ID!) { recipe(id: $id) { title } }";
    let id = json!({ "id": saved["id"] });
    app.gql_as(&other.token, read, id.clone())
        .await
        .expect_error("NOT_FOUND");
    assert_eq!(
        app.gql_as(&admin.token, read, id.clone())
            .await
            .at("recipe.title"),
        "Secret Soup"
    );
    let update = "mutation U($id: ID!) { updateRecipe(id: $id, input: {isFavorited: true}) { isFavorited } }";
    app.gql_as(&other.token, update, id.clone())
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(
        &other.token,
        "mutation D($id: ID!) { deleteRecipe(id: $id) }",
        id.clone(),
    )
    .await
    .expect_error("NOT_FOUND");
    assert_eq!(
        app.gql_as(&owner.token, update, id.clone())
            .await
            .at("updateRecipe.isFavorited"),
        true
    );
    let mine = app
        .gql_as(&other.token, "{ me { recipes { totalCount } } }", json!({}))
        .await;
    assert_eq!(mine.at("me.recipes.totalCount"), 0);

    app.gql_as(
        &owner.token,
        "mutation D($id: ID!) { deleteRecipe(id: $id) }",
        id.clone(),
    )
    .await
    .data();
    app.gql_as(&owner.token, read, id)
        .await
        .expect_error("NOT_FOUND");
}

#[tokio::test]
async fn recipe_lists_filter_and_page() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for i in 0..25 {
        save(&app, &user, &format!("# Cake {i}"), None).await;
    }
    save(&app, &user, "# Lemon Pie", None).await;
    let query = "query L($after: String, $search: String, $fav: Boolean) { me { recipes(first: 10, after: $after, search: $search, favoritesOnly: $fav) {
        totalCount pageInfo { hasNextPage endCursor } nodes { title } } } }";
    let first = app.gql_as(&user.token, query, json!({})).await;
    assert_eq!(first.at("me.recipes.totalCount"), 26);
    assert_eq!(
        first.at("me.recipes.nodes.0.title"),
        "Lemon Pie",
        "newest first"
    );
    let cursor = first.at("me.recipes.pageInfo.endCursor").clone();
    let second = app
        .gql_as(&user.token, query, json!({ "after": cursor }))
        .await;
    assert_eq!(second.at("me.recipes.nodes").as_array().unwrap().len(), 10);
    assert_eq!(
        app.gql_as(&user.token, query, json!({ "search": "lemon" }))
            .await
            .at("me.recipes.totalCount"),
        1
    );
    assert_eq!(
        app.gql_as(&user.token, query, json!({ "fav": true }))
            .await
            .at("me.recipes.totalCount"),
        0
    );
}

#[tokio::test]
async fn a_recipe_bigger_than_a_megabyte_can_be_saved() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let content = format!("# Big\n{}", "flour ".repeat(400_000));
    let saved = save(&app, &user, &content, None).await;
    assert_eq!(saved["title"], "Big");
}

fn device_recipe(client_id: &str, content: &str, updated_at: &str) -> Value {
    json!({ "clientId": client_id, "appId": "fairydust-recipe", "content": content, "updatedAt": updated_at })
}

#[tokio::test]
async fn the_same_batch_twice_creates_nothing_new() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let batch = json!({ "input": { "recipes": [
        device_recipe("c1", "# One", "2026-11-01T10:00:00Z"),
        device_recipe("c2", "# Two", "2026-11-01T11:00:00Z"),
    ] } });
    let first = app.gql_as(&user.token, SYNC, batch.clone()).await;
    let second = app.gql_as(&user.token, SYNC, batch).await;
    assert_eq!(
        first.at("syncRecipes.mapping"),
        second.at("syncRecipes.mapping")
    );
    assert_eq!(second.at("syncRecipes.conflicts"), &json!([]));
    assert_eq!(
        user_recipes::Entity::find().count(&app.db).await.unwrap(),
        2
    );
}

#[tokio::test]
async fn an_older_device_edit_loses_to_a_newer_server_edit_and_is_reported() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let created = app.gql_as(&user.token, SYNC, json!({ "input": { "recipes": [device_recipe("c1", "# Original", "2026-11-01T10:00:00Z")] } })).await;
    let synced_at = created.at("syncRecipes.syncedAt").clone();
    let id = created.at("syncRecipes.mapping.0.id").clone();
    // Edited on the server (another device, or the web) just now.
    app.gql_as(&user.token, "mutation U($id: ID!) { updateRecipe(id: $id, input: {content: \"# Server edit\", title: \"Server edit\"}) { id } }", json!({ "id": id }))
        .await
        .data();
    // The phone, offline since, edited it earlier than that.
    let stale = json!({ "input": { "since": synced_at, "recipes": [device_recipe("c1", "# Phone edit", "2026-11-02T10:00:00Z")] } });
    let answer = app.gql_as(&user.token, SYNC, stale).await;
    assert_eq!(
        answer.at("syncRecipes.conflicts"),
        &json!([{ "clientId": "c1", "resolution": "SERVER_WINS" }])
    );
    assert_eq!(answer.at("syncRecipes.changes.0.content"), "# Server edit");

    // A newer device edit wins.
    let fresh = json!({ "input": { "recipes": [device_recipe("c1", "# Phone wins", "2099-01-01T00:00:00Z")] } });
    app.gql_as(&user.token, SYNC, fresh)
        .await
        .expect_error("BAD_USER_INPUT");
    let now = chrono::Utc::now().to_rfc3339();
    let fresh = json!({ "input": { "recipes": [device_recipe("c1", "# Phone wins", &now)] } });
    app.gql_as(&user.token, SYNC, fresh).await.data();
    let read = app
        .gql_as(
            &user.token,
            "query R($id: ID!) { recipe(id: $id) { content } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read.at("recipe.content"), "# Phone wins");
}

#[tokio::test]
async fn a_deletion_on_one_device_reaches_the_others() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let phone = app.gql_as(&user.token, SYNC, json!({ "input": { "recipes": [device_recipe("c1", "# Shared", "2026-11-01T10:00:00Z")] } })).await;
    let tablet_since = phone.at("syncRecipes.syncedAt").clone();
    let now = chrono::Utc::now().to_rfc3339();
    let deletion = json!({ "input": { "recipes": [{ "clientId": "c1", "appId": "fairydust-recipe", "updatedAt": now, "deleted": true }] } });
    app.gql_as(&user.token, SYNC, deletion).await.data();
    let tablet = app
        .gql_as(
            &user.token,
            SYNC,
            json!({ "input": { "since": tablet_since, "recipes": [] } }),
        )
        .await;
    let changes = tablet.at("syncRecipes.changes").as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0]["clientId"].clone(),
            changes[0]["deleted"].clone()
        ),
        (json!("c1"), json!(true))
    );
    let list = app
        .gql_as(&user.token, "{ me { recipes { totalCount } } }", json!({}))
        .await;
    assert_eq!(list.at("me.recipes.totalCount"), 0);
}

#[tokio::test]
async fn a_thousand_recipes_sync_in_one_request() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let body = "sugar ".repeat(1_500);
    let recipes: Vec<Value> = (0..1000)
        .map(|i| {
            device_recipe(
                &format!("r{i}"),
                &format!("# Recipe {i}\n{body}"),
                "2026-11-01T10:00:00Z",
            )
        })
        .collect();
    let answer = app
        .gql_as(
            &user.token,
            SYNC,
            json!({ "input": { "recipes": recipes } }),
        )
        .await;
    assert_eq!(
        answer.at("syncRecipes.mapping").as_array().unwrap().len(),
        1000
    );
    assert_eq!(
        user_recipes::Entity::find().count(&app.db).await.unwrap(),
        1000
    );
    let too_many: Vec<Value> = (0..1001)
        .map(|i| device_recipe(&format!("x{i}"), "# X", "2026-11-01T10:00:00Z"))
        .collect();
    app.gql_as(
        &user.token,
        SYNC,
        json!({ "input": { "recipes": too_many } }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}
