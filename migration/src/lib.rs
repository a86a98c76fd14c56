//! One migration history for PostgreSQL and SQLite (ARCHITECTURE §8).
//!
//! The schema migrations create every table; the seed migration inserts the system account, the first-party
//! apps, their model configs, the LLM price table and the starter profiling questions exactly once — they
//! are never re-applied on start, so admin edits survive restarts.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261126_000001_identity;
mod m20261126_000002_apps_ledger;
mod m20261126_000003_content;
mod m20261126_000004_seed;
mod m20261201_000001_admin_indexes;
mod m20261201_000005_llm_usage_source;
mod m20261201_230000_dust_holds;
mod m20261202_000001_report_days;
mod seed_data;

pub use seed_data::{LLM_PRICES, STARTER_QUESTION_REWARD, STORY_ACTIONS};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_identity::Migration),
            Box::new(m20261126_000002_apps_ledger::Migration),
            Box::new(m20261126_000003_content::Migration),
            Box::new(m20261126_000004_seed::Migration),
            Box::new(m20261201_000001_admin_indexes::Migration),
            Box::new(m20261201_000005_llm_usage_source::Migration),
            Box::new(m20261201_230000_dust_holds::Migration),
            Box::new(m20261202_000001_report_days::Migration),
        ]
    }
}
