//! The statements behind the screens apps show most (docs/BENCHMARKS.md, benchmark 3): `me` reads the
//! account row only for fields that need it, and a list of recipe titles does not read their content.

use fairydust_tests::{TestApp, TestUser};
use serde_json::json;

async fn save_recipes(app: &TestApp, user: &TestUser, count: usize) {
    let save = "mutation S($input: SaveRecipeInput!) { saveRecipe(input: $input) { id } }";
    for i in 0..count {
        let content = format!("# Dish {i}\n{}", "Stir well. ".repeat(50));
        let input = json!({ "input": { "appId": "fairydust-recipe", "content": content } });
        app.gql_as(&user.token, save, input).await.data();
    }
}

#[tokio::test]
async fn a_page_of_recipe_titles_is_one_statement_and_carries_no_content() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    save_recipes(&app, &user, 25).await;

    let titles =
        "{ me { recipes(first: 20) { edges { node { id title } } pageInfo { hasNextPage } } } }";
    let (statements, answer) = app.gql_as_counted(&user.token, titles, json!({})).await;
    assert_eq!(
        statements, 1,
        "a page of titles, no account row, no content"
    );
    let edges = answer.at("me.recipes.edges").as_array().unwrap().clone();
    assert_eq!(edges.len(), 20);
    assert_eq!(edges[0]["node"]["title"], "Dish 24", "newest first");
    assert_eq!(answer.at("me.recipes.pageInfo.hasNextPage"), true);

    // Asking for the content, through either list, reads it within the page's content budget.
    for with_content in [
        "{ me { recipes(first: 20) { edges { node { title content } } } } }",
        "{ me { recipes(first: 20) { nodes { title content } } } }",
    ] {
        let (statements, answer) = app
            .gql_as_counted(&user.token, with_content, json!({}))
            .await;
        assert_eq!(
            statements, 2,
            "sizes first, then the rows that fit: {with_content}"
        );
        let first = answer.at("me.recipes").as_object().unwrap();
        let node = match first.get("edges") {
            Some(edges) => edges[0]["node"].clone(),
            None => first["nodes"][0].clone(),
        };
        assert!(
            node["content"]
                .as_str()
                .unwrap()
                .starts_with("# Dish 24\nStir well.")
        );
    }

    // A fragment the page cannot see through ahead of time still gets the real content.
    let fragment = "query { me { recipes(first: 2) { edges { node { ...Full } } } } }
        fragment Full on Recipe { title content }";
    let answer = app.gql_as(&user.token, fragment, json!({})).await;
    assert!(
        answer
            .at("me.recipes.edges.0.node.content")
            .as_str()
            .unwrap()
            .starts_with("# Dish 24"),
        "content is never empty: {answer:?}"
    );
}

#[tokio::test]
async fn me_reads_the_account_once_and_only_when_a_field_needs_it() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    // The token check reads the session and roles once and then keeps them for a few seconds: warm
    // it, so what is counted below is `me`'s own work.
    app.gql_as(&user.token, "{ me { id } }", json!({}))
        .await
        .data();

    let (statements, answer) = app
        .gql_as_counted(
            &user.token,
            "{ me { id fairyname dustBalance email isBuilder dailyBonus { eligible } } }",
            json!({}),
        )
        .await;
    assert_eq!(statements, 1, "one row read shared by every field");
    assert_eq!(answer.at("me.dustBalance"), 25);
    assert_eq!(answer.at("me.id"), user.id.to_string().as_str());

    let (statements, answer) = app
        .gql_as_counted(&user.token, "{ me { id } }", json!({}))
        .await;
    assert_eq!(statements, 0, "the id comes from the token");
    assert_eq!(answer.at("me.id"), user.id.to_string().as_str());
}
