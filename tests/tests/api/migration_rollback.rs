//! Every migration rolls back and re-applies on a database that holds data in every table, one step at
//! a time from the newest: a migration without a working `down` (one that fails, or leaves tables and
//! columns its `up` then trips over) fails here on the backend it breaks.

use std::collections::BTreeSet;
use std::time::Duration;

use fairydust_migration::{Migrator, MigratorTrait};
use fairydust_schema::ledger::holds;
use fairydust_tests::{MockIdentityProvider as Idp, TestApp};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde_json::json;

use crate::llm_support::{GENERATE, config, input, llm_app};

/// Tables and their columns, as the database describes them (the migration bookkeeping left out).
async fn shape(db: &DatabaseConnection) -> BTreeSet<(String, String)> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'seaql_migrations'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap()))
        .collect()
}

async fn empty_tables(db: &DatabaseConnection) -> Vec<String> {
    let tables: BTreeSet<String> = shape(db).await.into_iter().map(|(t, _)| t).collect();
    let mut empty = Vec::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() == 0 {
            empty.push(table);
        }
    }
    empty
}

/// Rows in every table, written the way users write them.
async fn use_every_table(app: &TestApp) {
    let admin = app.admin().await;
    let builder = app.builder().await;
    let user = app.user().await;

    let slug = llm_app(app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers
        .llm
        .anthropic_ok("claude-3-5-haiku-20241022", "Fly a kite.", 20, 10)
        .await;
    app.gql_as(&user.token, GENERATE, input(&slug, "idea-1"))
        .await
        .data();
    holds::reserve(&app.db, user.id, 1, Duration::from_secs(600))
        .await
        .unwrap();

    let fact = json!({ "items": [{ "category": "food", "fieldName": "favorite_fruit", "fieldValue": "pear" }] });
    app.gql_as(&user.token, "mutation U($items: [ProfileDataInput!]!) { upsertProfileData(items: $items) { fieldName } }", fact.clone())
        .await
        .data();
    let person = app
        .gql_as(
            &user.token,
            "mutation { addPerson(input: {name: \"Rose\", relationship: \"grandmother\"}) { id } }",
            json!({}),
        )
        .await
        .at("addPerson.id")
        .clone();
    app.gql_as(&user.token, "mutation T($id: ID!, $items: [ProfileDataInput!]!) { upsertPersonProfileData(personId: $id, items: $items) { fieldName } }",
        json!({ "id": person, "items": fact["items"] }))
        .await
        .data();
    app.gql_as(&user.token, "mutation A($answers: [QuestionAnswerInput!]!) { answerQuestions(answers: $answers) { dustGranted } }",
        json!({ "answers": [{ "questionId": "cooking_skill_level", "value": "beginner" }] }))
        .await
        .data();
    app.gql_as(
        &user.token,
        "mutation { saveRecipe(input: {appId: \"fairydust-recipe\", content: \"# Soup\"}) { id } }",
        json!({}),
    )
    .await
    .data();
    app.providers
        .llm
        .anthropic_ok(
            "claude-3-5-sonnet-20241022",
            "# The Kite\nRose flew a kite.",
            80,
            60,
        )
        .await;
    app.gql_as(&user.token, "mutation G($input: GenerateStoryInput!) { generateStory(input: $input) { dustCharged } }",
        json!({ "input": { "genre": "ADVENTURE", "length": "SHORT", "audience": "FAMILY", "characters": [{ "personId": person }], "idempotencyKey": "story-1" } }))
        .await
        .data();
    app.gql_as(
        &admin.token,
        "mutation G($u: ID!) { grantDust(userId: $u, amount: 5, reason: \"thanks\") { id } }",
        json!({ "u": user.id }),
    )
    .await
    .data();
    // A report over closed days keeps their rollups.
    let week_ago = chrono::Utc::now() - chrono::Duration::days(7);
    app.gql_as(
        &admin.token,
        "query S($from: DateTime!, $to: DateTime!) { platformStats(from: $from, to: $to) { totals { newUsers } } }",
        json!({ "from": week_ago, "to": chrono::Utc::now() }),
    )
    .await
    .data();
    let mut claims = Idp::google_claims("g-rollback", Some("kite@example.com"), true);
    claims["nonce"] = json!("n-1");
    app.gql(
        "mutation S($input: OAuthInput!) { signInWithOAuth(input: $input) { isNewUser } }",
        json!({ "input": { "provider": "GOOGLE", "idToken": Idp::sign(&claims), "nonce": "n-1" } }),
    )
    .await
    .data();
}

#[tokio::test]
async fn every_migration_rolls_back_and_reapplies_with_data_in_every_table() {
    let app = TestApp::spawn().await;
    use_every_table(&app).await;
    assert_eq!(
        empty_tables(&app.db).await,
        Vec::<String>::new(),
        "the fixture writes to every table (a new table needs a line in use_every_table)"
    );

    // Migrations run the way an operator runs them: one connection of their own (`server migrate`),
    // not the running server's pool, whose other connections may still read an older snapshot.
    let operator = app.operator_db().await;
    let full = shape(&operator).await;
    let names: Vec<String> = Migrator::get_applied_migrations(&operator)
        .await
        .unwrap()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    let migrations = names.len();
    assert_eq!(migrations, Migrator::migrations().len());
    // Deeper each time: the newest alone, then the two newest, … so every `down` runs once on top of
    // the migrations that follow it having been rolled back, as an operator would.
    for depth in 1..=migrations {
        let name = &names[migrations - depth];
        Migrator::down(&operator, Some(depth as u32))
            .await
            .unwrap_or_else(|e| panic!("rolling back to before {name}: {e}"));
        Migrator::up(&operator, None)
            .await
            .unwrap_or_else(|e| panic!("applying {name} and the rest again: {e}"));
        assert_eq!(
            shape(&operator).await,
            full,
            "{name}: down then up gives the same tables and columns"
        );
    }

    Migrator::down(&operator, None)
        .await
        .expect("the whole history rolls back with data in it");
    assert!(
        shape(&operator).await.is_empty(),
        "nothing is left once every migration is rolled back"
    );
    Migrator::up(&operator, None)
        .await
        .expect("and applies again");
    assert_eq!(
        Migrator::get_applied_migrations(&operator)
            .await
            .unwrap()
            .len(),
        migrations
    );
}
