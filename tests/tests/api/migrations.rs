//! One migration history that runs, rolls back and re-runs on both backends; seeds apply once.

use fairydust_entities::llm_models;
use fairydust_migration::{Migrator, MigratorTrait};
use fairydust_server::db::PoolSettings;
use fairydust_tests::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[tokio::test]
async fn migrations_round_trip_up_down_up() {
    let app = TestApp::spawn().await;
    // One connection, as `server migrate down` and `up` each have (seen failing once in CI under load
    // on the server's pool).
    let db = app.operator_db().await;
    let applied = Migrator::get_applied_migrations(&db).await.unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());

    Migrator::down(&db, None)
        .await
        .expect("every migration rolls back");
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(&db, None).await.expect("and applies again");
    assert_eq!(llm_models::Entity::find().count(&db).await.unwrap(), 12);
}

#[tokio::test]
async fn seeds_are_never_reapplied_so_admin_edits_survive() {
    let app = TestApp::spawn().await;
    llm_models::Entity::update_many()
        .col_expr(llm_models::Column::IsActive, Expr::value(false))
        .filter(llm_models::Column::ModelId.eq("gpt-4"))
        .exec(&app.db)
        .await
        .unwrap();
    fairydust_server::db::migrate(&app.db).await.unwrap();
    let gpt4 = llm_models::Entity::find()
        .filter(llm_models::Column::ModelId.eq("gpt-4"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!gpt4.is_active, "a restart must not undo the edit");
    assert_eq!(llm_models::Entity::find().count(&app.db).await.unwrap(), 12);
}

#[tokio::test]
async fn seeded_prices_are_exact_decimals() {
    let app = TestApp::spawn().await;
    let haiku = llm_models::Entity::find()
        .filter(llm_models::Column::ModelId.eq("claude-3-5-haiku-20241022"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        haiku
            .input_usd_per_million
            .0
            .to_string()
            .trim_end_matches('0'),
        "0.8"
    );
    assert_eq!(
        haiku.output_usd_per_million.0,
        rust_decimal::Decimal::from(4)
    );
}

#[tokio::test]
async fn replicas_starting_together_migrate_once() {
    if !fairydust_tests::uses_postgres() {
        fairydust_schema::skipped_tests::report_skipped(
            "replicas_starting_together_migrate_once",
            "needs TEST_DATABASE_URL (advisory locks are PostgreSQL's)",
        );
        return;
    }
    let empty = fairydust_tests::EmptyPostgres::create().await;
    let mut replicas = Vec::new();
    for _ in 0..4 {
        let url = empty.url.clone();
        replicas.push(tokio::spawn(async move {
            let (db, _) = fairydust_server::db::connect(&url, PoolSettings::SMALL)
                .await
                .unwrap();
            fairydust_server::db::migrate(&db).await
        }));
    }
    for replica in replicas {
        replica
            .await
            .unwrap()
            .expect("every replica's migrate succeeds");
    }
    let (db, _) = fairydust_server::db::connect(&empty.url, PoolSettings::SMALL)
        .await
        .unwrap();
    assert_eq!(
        llm_models::Entity::find().count(&db).await.unwrap(),
        12,
        "seeds applied exactly once"
    );
}
