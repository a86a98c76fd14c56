//! Personalised stories: People in My Life in the prompt, a whole-word safety filter, 5 an hour, and the
//! price charged once, only after the story is stored.

use fairydust_entities::{story_generation_logs, user_stories};
use fairydust_tests::{ANTHROPIC_PATH, OPENAI_PATH, TestApp, TestUser};
use futures_util::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const SONNET: &str = "claude-3-5-sonnet-20241022";
const MINI: &str = "gpt-4o-mini";
const GENERATE: &str = "mutation G($input: GenerateStoryInput!) { generateStory(input: $input) {
    dustCharged replayed usage { model promptTokens completionTokens costUsd }
    story { id title content wordCount dustCost genre characters { name person { name } } } } }";

fn story_input(key: &str, length: &str, audience: &str, characters: Value) -> Value {
    json!({ "input": { "genre": "ADVENTURE", "length": length, "audience": audience, "characters": characters,
                       "setting": "a lighthouse", "idempotencyKey": key } })
}

fn ad_hoc(name: &str, traits: &[&str]) -> Value {
    json!([{ "character": { "name": name, "relationship": "friend", "traits": traits } }])
}

async fn answer_with(app: &TestApp, text: &str) {
    app.providers.llm.anthropic_ok(SONNET, text, 800, 600).await;
}

#[tokio::test]
async fn a_story_stars_people_from_my_life_and_is_charged_once() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let add = "mutation { addPerson(input: {name: \"Grandma Rose\", relationship: \"grandmother\"}) { id } }";
    let rose = app
        .gql_as(&user.token, add, json!({}))
        .await
        .at("addPerson.id")
        .clone();
    let trait_input = json!({ "id": rose, "items": [{ "category": "likes", "fieldName": "favorite_flower", "fieldValue": "tulips" }] });
    app.gql_as(&user.token, "mutation T($id: ID!, $items: [ProfileDataInput!]!) { upsertPersonProfileData(personId: $id, items: $items) { fieldName } }", trait_input)
        .await
        .data();
    answer_with(
        &app,
        "# The Lighthouse Keeper\nGrandma Rose climbed the stairs with tulips in her basket.",
    )
    .await;

    let characters =
        json!([{ "personId": rose }, { "character": { "name": "Milo", "traits": ["brave"] } }]);
    let answer = app
        .gql_as(
            &user.token,
            GENERATE,
            story_input("s1", "SHORT", "FAMILY", characters.clone()),
        )
        .await;
    let result = answer.at("generateStory");
    assert_eq!(result["dustCharged"], 2);
    assert_eq!(result["story"]["title"], "The Lighthouse Keeper");
    assert_eq!(
        result["story"]["characters"][0]["person"]["name"],
        "Grandma Rose"
    );
    assert_eq!(result["usage"]["model"], SONNET);
    assert_eq!(app.balance(user.id).await, 23);

    let prompt = &app.providers.llm.calls(ANTHROPIC_PATH).await[0];
    let text = prompt["messages"][0]["content"].as_str().unwrap();
    assert!(
        text.contains("Grandma Rose (grandmother)") && text.contains("favorite flower tulips"),
        "{text}"
    );

    // Retried with the same key: the same story, no second charge, no second model call.
    let again = app
        .gql_as(
            &user.token,
            GENERATE,
            story_input("s1", "SHORT", "FAMILY", characters),
        )
        .await;
    assert_eq!(again.at("generateStory.replayed"), true);
    assert_eq!(again.at("generateStory.story.id"), &result["story"]["id"]);
    assert_eq!(app.balance(user.id).await, 23);
    assert_eq!(app.providers.llm.calls(ANTHROPIC_PATH).await.len(), 1);
}

#[tokio::test]
async fn each_length_costs_its_price() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    answer_with(&app, "# A Tale\nOnce upon a time.").await;
    for (key, length, price) in [("a", "SHORT", 2), ("b", "MEDIUM", 4), ("c", "LONG", 6)] {
        let answer = app
            .gql_as(
                &user.token,
                GENERATE,
                story_input(key, length, "ADULT", ad_hoc("Ana", &[])),
            )
            .await;
        assert_eq!(answer.at("generateStory.dustCharged"), price);
    }
    assert_eq!(app.balance(user.id).await, 25 - 12);
}

#[tokio::test]
async fn a_model_failure_charges_nothing() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.providers.llm.fail(ANTHROPIC_PATH, SONNET, 500).await;
    app.providers.llm.fail(OPENAI_PATH, MINI, 503).await;
    let answer = app
        .gql_as(
            &user.token,
            GENERATE,
            story_input("f", "SHORT", "ADULT", ad_hoc("Ana", &[])),
        )
        .await;
    answer.expect_error("LLM_UNAVAILABLE");
    assert_eq!(app.balance(user.id).await, 25);
    assert_eq!(
        user_stories::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    let logs = story_generation_logs::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(logs.len() == 1 && !logs[0].success);
}

#[tokio::test]
async fn safety_matches_whole_words_and_is_stricter_for_children() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    answer_with(&app, "# Safe Harbour\nThey sailed home together.").await;
    let fine = app
        .gql_as(
            &user.token,
            GENERATE,
            story_input("ok", "SHORT", "CHILD", ad_hoc("Father", &["skilled"])),
        )
        .await;
    fine.data();
    let refused = app
        .gql_as(
            &user.token,
            GENERATE,
            story_input("no", "SHORT", "ADULT", ad_hoc("Rex", &["likes to kill"])),
        )
        .await;
    assert_eq!(
        refused.expect_error("BAD_USER_INPUT")["extensions"]["reason"],
        "unsafe_content"
    );
    let sword = ad_hoc("Captain", &["carries a sword"]);
    app.gql_as(
        &user.token,
        GENERATE,
        story_input("child", "SHORT", "CHILD", sword.clone()),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    app.gql_as(
        &user.token,
        GENERATE,
        story_input("family", "SHORT", "FAMILY", sword),
    )
    .await
    .data();
    assert_eq!(
        app.providers.llm.calls(ANTHROPIC_PATH).await.len(),
        2,
        "refused requests never reach the model"
    );
    assert_eq!(app.balance(user.id).await, 25 - 4);
}

#[tokio::test]
async fn an_unsafe_answer_is_not_stored_or_charged() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    answer_with(&app, "# Dark\nAnd then the dragon tried to kill everyone.").await;
    app.gql_as(
        &user.token,
        GENERATE,
        story_input("u", "SHORT", "ADULT", ad_hoc("Ana", &[])),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    assert_eq!(app.balance(user.id).await, 25);
    assert_eq!(
        user_stories::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

async fn rich_user(app: &TestApp) -> TestUser {
    let user = app.user().await;
    let admin = app.admin().await;
    app.gql_as(
        &admin.token,
        "mutation G($u: ID!) { grantDust(userId: $u, amount: 100, reason: \"stories\") { id } }",
        json!({ "u": user.id }),
    )
    .await
    .data();
    user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_story_in_an_hour_is_rate_limited_even_in_parallel_and_across_replicas() {
    let app = TestApp::spawn().await;
    let replica = app.spawn_replica().await;
    let user = rich_user(&app).await;
    answer_with(&app, "# Again\nAnother story.").await;
    let answers = join_all((0..10).map(|i| {
        let server = if i % 2 == 0 { &app } else { &replica };
        server.gql_as(
            &user.token,
            GENERATE,
            story_input(&format!("p{i}"), "SHORT", "ADULT", ad_hoc("Ana", &[])),
        )
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|a| a.errors().is_empty()).count(),
        5,
        "{answers:#?}"
    );
    let limited: Vec<_> = answers
        .iter()
        .filter(|a| a.code() == Some("RATE_LIMITED"))
        .collect();
    assert_eq!(limited.len(), 5);
    assert!(
        limited
            .iter()
            .all(|a| a.errors()[0]["extensions"]["retryAfter"].as_u64().unwrap() > 3000)
    );
    assert_eq!(app.balance(user.id).await, 125 - 10);
}

#[tokio::test]
async fn stories_are_private_and_list_without_n_plus_one() {
    let app = TestApp::spawn().await;
    let owner = rich_user(&app).await;
    let other = app.user().await;
    answer_with(&app, "# Tale\nWords and more words.").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let person = app
            .gql_as(
                &owner.token,
                "mutation A($n: String!) { addPerson(input: {name: $n}) { id } }",
                json!({ "n": format!("P{i}") }),
            )
            .await;
        let characters = json!([{ "personId": person.at("addPerson.id") }]);
        let story = app
            .gql_as(
                &owner.token,
                GENERATE,
                story_input(&format!("k{i}"), "SHORT", "ADULT", characters),
            )
            .await;
        ids.push(story.at("generateStory.story.id").clone());
    }
    let read = "query R($id: ID!) { story(id: $id) { title } }";
    app.gql_as(&other.token, read, json!({ "id": ids[0] }))
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(
        &other.token,
        "mutation F($id: ID!) { favoriteStory(id: $id) { isFavorited } }",
        json!({ "id": ids[0] }),
    )
    .await
    .expect_error("NOT_FOUND");
    app.gql_as(
        &other.token,
        "mutation D($id: ID!) { deleteStory(id: $id) }",
        json!({ "id": ids[0] }),
    )
    .await
    .expect_error("NOT_FOUND");
    app.gql_as(
        &owner.token,
        "mutation F($id: ID!) { favoriteStory(id: $id) { isFavorited } }",
        json!({ "id": ids[0] }),
    )
    .await
    .data();

    let list = "{ me { stories(first: 20) { totalCount nodes { title characters { name person { name profileData { fieldName } } } } } } }";
    app.gql_as(&owner.token, "{ version }", json!({}))
        .await
        .data();
    let before = app.statements.get();
    let page = app.gql_as(&owner.token, list, json!({})).await;
    let few = app.statements.get() - before;
    assert_eq!(page.at("me.stories.totalCount"), 3);
    for i in 3..5 {
        let person = app
            .gql_as(
                &owner.token,
                "mutation A($n: String!) { addPerson(input: {name: $n}) { id } }",
                json!({ "n": format!("P{i}") }),
            )
            .await;
        let characters = json!([{ "personId": person.at("addPerson.id") }]);
        app.gql_as(
            &owner.token,
            GENERATE,
            story_input(&format!("k{i}"), "SHORT", "ADULT", characters),
        )
        .await
        .data();
    }
    let before = app.statements.get();
    app.gql_as(&owner.token, list, json!({})).await.data();
    assert_eq!(
        app.statements.get() - before,
        few,
        "a page of stories with their people costs the same statements"
    );

    let stats = app.gql_as(&owner.token, "{ me { storyStats { total favorites mostCommonGenre dustSpent genres { genre stories } } } }", json!({})).await;
    assert_eq!(stats.at("me.storyStats.total"), 5);
    assert_eq!(stats.at("me.storyStats.favorites"), 1);
    assert_eq!(stats.at("me.storyStats.mostCommonGenre"), "adventure");
    assert_eq!(stats.at("me.storyStats.dustSpent"), 10);
    assert_eq!(
        app.gql_as(&other.token, "{ me { storyStats { total } } }", json!({}))
            .await
            .at("me.storyStats.total"),
        0
    );
}

#[tokio::test]
async fn story_inputs_are_validated() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let none = story_input("v1", "SHORT", "ADULT", json!([]));
    app.gql_as(&user.token, GENERATE, none)
        .await
        .expect_error("BAD_USER_INPUT");
    let nine: Vec<Value> = (0..9)
        .map(|i| json!({ "character": { "name": format!("C{i}") } }))
        .collect();
    app.gql_as(
        &user.token,
        GENERATE,
        story_input("v2", "SHORT", "ADULT", Value::Array(nine)),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    let stranger = json!([{ "personId": uuid::Uuid::now_v7() }]);
    app.gql_as(
        &user.token,
        GENERATE,
        story_input("v3", "SHORT", "ADULT", stranger),
    )
    .await
    .expect_error("NOT_FOUND");
    app.gql(
        GENERATE,
        story_input("v4", "SHORT", "ADULT", ad_hoc("A", &[])),
    )
    .await
    .expect_error("UNAUTHENTICATED");
}
