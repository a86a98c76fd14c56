//! DUST held for work in flight (a model call): not ledger transactions, so balances and
//! Σ transactions = balance are untouched; a hold only lowers what other spending may use until it is
//! settled, released, or expires (a crashed request never holds DUST for ever).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{check, drop_tables, fk, id, index, with_timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("dust_holds")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(integer("amount"))
                        .col(timestamp_with_time_zone("expires_at"))
                        .check(check("ck_dust_holds_amount_positive", "amount > 0"))
                        .foreign_key(&mut fk(
                            "dust_holds",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "dust_holds",
                "ix_dust_holds_user_expires",
                &["user_id", "expires_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["dust_holds"]).await
    }
}
