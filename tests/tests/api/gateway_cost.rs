//! What one successful `generateText` costs beyond the model call (issue 14: at most 3 SQL statements
//! and 2 Redis round trips): SQL statements by the server's statement counter (BEGIN and COMMIT are not
//! statements there), cache round trips by counting the calls of the cache port (each one round trip to
//! Redis: a script runs as one EVALSHA). On PostgreSQL + Redis and on SQLite + the in-process cache.

use std::sync::Arc;

use fairydust_entities::{dust_holds, llm_usage_logs};
use fairydust_schema::apps::catalog::AppRef;
use fairydust_schema::llm::gateway::{self, GenerateRequest};
use fairydust_schema::llm::provider::{ChatMessage, Role};
use fairydust_server::cache::CountingCache;
use fairydust_tests::{ANTHROPIC_PATH, TestApp, TestUser};
use sea_orm::{DbBackend, EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::llm_support::{GENERATE, HAIKU, config, input, llm_app};

/// The statements of one call: PostgreSQL runs the hold as two (the user's row lock, the conditional
/// insert) and the charge as one (data-modifying CTEs: balance, transaction, usage row, hold settled).
/// SQLite has no data-modifying CTEs: the hold is one statement, the charge four.
fn most_statements(app: &TestApp) -> u64 {
    match app.db.get_database_backend() {
        DbBackend::Postgres => 3,
        _ => 5,
    }
}

fn request(user: &TestUser, slug: &str, key: &str) -> GenerateRequest {
    GenerateRequest {
        user_id: user.id,
        viewer_is_admin: false,
        app: AppRef::parse(slug),
        action: "idea".into(),
        system: Some("Be brief.".into()),
        messages: vec![ChatMessage {
            role: Role::User,
            content: "Give me an idea for a rainy day".into(),
        }],
        idempotency_key: key.into(),
    }
}

#[tokio::test]
async fn one_generate_text_costs_at_most_three_statements_and_two_cache_round_trips() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "Build a blanket fort.", 1234, 567)
        .await;
    // The first call fills the caches: the app's snapshot, the price table, the app's spend counters,
    // the slug, the caller's session and roles.
    app.gql_as(&user.token, GENERATE, input(&slug, "warm-up"))
        .await
        .data();

    // The gateway alone, its cache seen through a counter.
    let counting = CountingCache::new(app.app.state.app.cache.clone());
    let mut state = app.app.state.app.clone();
    state.cache = Arc::new(counting.clone());
    let before = app.statements.get();
    let generated = gateway::generate(&state, request(&user, &slug, "direct"))
        .await
        .unwrap();
    let statements = app.statements.get() - before;
    let round_trips = counting.calls();
    assert!(!generated.replayed);
    assert_eq!(generated.transaction.amount, -3);
    assert!(
        statements <= most_statements(&app),
        "{statements} SQL statements for one call"
    );
    assert!(
        round_trips <= 2,
        "{round_trips} cache round trips for one call"
    );

    // Through the API: the request's every statement, the token check included (its session and roles
    // come from the cache, read in one MGET).
    let before = app.statements.get();
    let answer = app
        .gql_as(&user.token, GENERATE, input(&slug, "measured"))
        .await;
    let request_statements = app.statements.get() - before;
    assert_eq!(answer.at("generateText.dustCharged"), 3);
    assert_eq!(answer.at("generateText.transaction.balanceAfter"), 16);
    assert!(
        request_statements <= most_statements(&app),
        "{request_statements} SQL statements for one generateText request"
    );
    eprintln!(
        "generateText on {:?}: {statements} SQL statements and {round_trips} cache round trips in the \
         gateway, {request_statements} statements per request",
        app.db.get_database_backend()
    );

    // The money rules held: three charges, three usage rows, no hold left, the model called three times.
    assert_eq!(app.balance(user.id).await, 16);
    assert_eq!(
        llm_usage_logs::Entity::find().count(&app.db).await.unwrap(),
        3
    );
    assert_eq!(dust_holds::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(app.providers.llm.calls(ANTHROPIC_PATH).await.len(), 3);

    // A replay costs no model call and no charge.
    let replay = gateway::generate(&state, request(&user, &slug, "direct"))
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.generation, generated.generation);
    assert_eq!(app.balance(user.id).await, 16);
    assert_eq!(app.providers.llm.calls(ANTHROPIC_PATH).await.len(), 3);
}
