//! The marks and slots around a generation: a cancelled `generateText` frees its idempotency key at
//! once, and the 5-stories-an-hour limit counts stories generated, not attempts.

use std::time::Duration;

use fairydust_tests::{ANTHROPIC_PATH, Overrides, TestApp, anthropic_answer};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::llm_support::{GENERATE, HAIKU, config, input, llm_app};

#[tokio::test]
async fn a_request_cut_off_by_the_timeout_frees_its_key_for_the_retry() {
    let app = TestApp::spawn_with(Overrides::default().set("REQUEST_TIMEOUT_SECONDS", "1")).await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    // The first call hangs past the request timeout; the next one answers at once.
    Mock::given(method("POST"))
        .and(path(ANTHROPIC_PATH))
        .and(body_partial_json(json!({ "model": HAIKU })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_answer(HAIKU, "too late", 1, 1))
                .set_delay(Duration::from_secs(5)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.providers.llm.server)
        .await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "On time.", 10, 10)
        .await;

    let cut = app
        .gql_as(&user.token, GENERATE, input(&slug, "cut-off"))
        .await;
    assert_eq!(cut.status, 503, "{:#?}", cut.body);
    assert_eq!(app.balance(user.id).await, 25, "nothing was charged");

    let retry = app
        .gql_as(&user.token, GENERATE, input(&slug, "cut-off"))
        .await;
    assert_eq!(retry.at("generateText.text"), "On time.");
    assert_eq!(app.balance(user.id).await, 22);
}

const SONNET: &str = "claude-3-5-sonnet-20241022";
const STORY: &str =
    "mutation G($input: GenerateStoryInput!) { generateStory(input: $input) { dustCharged } }";

fn story(key: &str, traits: &[&str]) -> Value {
    json!({ "input": { "genre": "ADVENTURE", "length": "SHORT", "audience": "ADULT",
                       "characters": [{ "character": { "name": "Ana", "traits": traits } }],
                       "idempotencyKey": key } })
}

#[tokio::test]
async fn refused_and_failed_story_attempts_do_not_use_up_the_hour() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let poor = app.user().await;
    // Refused by the safety filter: no story, so no slot.
    for i in 0..5 {
        app.gql_as(
            &user.token,
            STORY,
            story(&format!("unsafe-{i}"), &["likes to kill"]),
        )
        .await
        .expect_error("BAD_USER_INPUT");
    }
    app.providers
        .llm
        .anthropic_ok(SONNET, "# Harbour\nThey sailed home.", 800, 600)
        .await;
    // 25 DUST: five short stories (2 each) are affordable, and all five count.
    for i in 0..5 {
        app.gql_as(&user.token, STORY, story(&format!("ok-{i}"), &["brave"]))
            .await
            .data();
    }
    // A replay is not a new story.
    app.gql_as(&user.token, STORY, story("ok-0", &["brave"]))
        .await
        .data();
    app.gql_as(&user.token, STORY, story("sixth", &["brave"]))
        .await
        .expect_error("RATE_LIMITED");

    // Not enough DUST: refused before the model, and no slot used.
    let admin = app.admin().await;
    app.gql_as(
        &admin.token,
        "mutation A($u: ID!) { adjustDust(userId: $u, delta: -24, reason: \"test\") { id } }",
        json!({ "u": poor.id }),
    )
    .await
    .data();
    for i in 0..6 {
        app.gql_as(&poor.token, STORY, story(&format!("poor-{i}"), &["brave"]))
            .await
            .expect_error("INSUFFICIENT_DUST");
    }
    app.gql_as(
        &admin.token,
        "mutation G($u: ID!) { grantDust(userId: $u, amount: 10, reason: \"test\") { id } }",
        json!({ "u": poor.id }),
    )
    .await
    .data();
    app.gql_as(&poor.token, STORY, story("poor-ok", &["brave"]))
        .await
        .data();
}
