//! Indexes the admin API needs to stay fast at a million users: the user directory (newest first,
//! substring search over fairyname, email and phone), the platform-wide ledger and audit log, and
//! the activity the platform statistics count.
//!
//! Substring search (`LIKE '%term%'`) can use an index only through trigrams, which PostgreSQL has in
//! the `pg_trgm` extension. Creating it needs a privilege the database role may lack, so it is tried
//! and skipped with a notice when refused; without it search still works, as a scan. SQLite gets the
//! plain indexes only.

use sea_orm_migration::prelude::*;

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PLAIN: [(&str, &str, &[&str]); 7] = [
    ("users", "ix_users_created", &["created_at", "id"]),
    (
        "dust_transactions",
        "ix_dust_transactions_created",
        &["created_at", "id"],
    ),
    (
        "dust_transactions",
        "ix_dust_transactions_kind_created",
        &["type", "created_at"],
    ),
    (
        "admin_audit_log",
        "ix_admin_audit_log_actor_created",
        &["actor_id", "created_at"],
    ),
    (
        "admin_audit_log",
        "ix_admin_audit_log_action_created",
        &["action", "created_at"],
    ),
    ("auth_sessions", "ix_auth_sessions_created", &["created_at"]),
    ("apps", "ix_apps_status_created", &["status", "created_at"]),
];

const TRIGRAM_COLUMNS: [&str; 3] = ["fairyname", "email", "phone"];

/// The last-admin rule reads the active admins on every demotion; a partial index keeps that a
/// lookup among a handful of rows. Valid on both backends.
const ADMINS_INDEX: &str =
    "CREATE INDEX ix_users_active_admins ON users (id) WHERE is_admin AND is_active";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, columns) in PLAIN {
            manager.create_index(index(table, name, columns)).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(ADMINS_INDEX).await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared(
                "DO $$ BEGIN
                    CREATE EXTENSION IF NOT EXISTS pg_trgm;
                EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
                    RAISE NOTICE 'pg_trgm is not available: user search will scan';
                END $$",
            )
            .await?;
            let creates: String = TRIGRAM_COLUMNS
                .iter()
                .map(|column| {
                    format!(
                        "CREATE INDEX IF NOT EXISTS ix_users_{column}_trgm ON users USING gin ({column} gin_trgm_ops);"
                    )
                })
                .collect();
            db.execute_unprepared(&format!(
                "DO $$ BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN {creates} END IF;
                END $$"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            for column in TRIGRAM_COLUMNS {
                db.execute_unprepared(&format!("DROP INDEX IF EXISTS ix_users_{column}_trgm"))
                    .await?;
            }
            // The extension stays: other schemas in the database may use it.
        }
        db.execute_unprepared("DROP INDEX IF EXISTS ix_users_active_admins")
            .await?;
        for (table, name, _) in PLAIN {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
