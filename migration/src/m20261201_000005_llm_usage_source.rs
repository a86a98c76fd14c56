//! Where a usage row comes from: a call the gateway made (`gateway`) or one an app reported with
//! `logLlmUsage` (`logged`). Both count toward the app's cost limits, so builders need to tell them apart.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("llm_usage_logs")
                    .add_column(string_len("source", 10).default("gateway"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("llm_usage_logs")
                    .drop_column("source")
                    .take(),
            )
            .await
    }
}
