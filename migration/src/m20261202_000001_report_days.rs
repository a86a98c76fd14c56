//! Daily rollups of the admin reports: a closed UTC day of a report is computed once and kept, so a
//! 30-day report reads 30 small rows instead of every ledger and usage row of its range. Also the
//! indexes that make the distinct users of a range (not a sum of days, so still counted live) an
//! index-only read: who spent DUST, who called a model.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 2] = [
    (
        "dust_transactions",
        "ix_dust_transactions_kind_created_user",
        &["type", "created_at", "user_id"],
    ),
    (
        "llm_usage_logs",
        "ix_llm_usage_logs_created_user",
        &["created_at", "user_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("report_days")
                    .col(string_len("report", 32))
                    .col(date("day"))
                    // The day's figures as the report's own JSON shape.
                    .col(text("body"))
                    .col(timestamp_with_time_zone("computed_at"))
                    .primary_key(Index::create().col("report").col("day"))
                    .take(),
            )
            .await?;
        for (table, name, columns) in INDEXES {
            manager.create_index(index(table, name, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        drop_tables(manager, &["report_days"]).await
    }
}
