//! The platform-wide ledger for admins: every user's transactions, filtered, newest first (the query
//! itself is the ledger's).

use fairydust_entities::dust_transactions;
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use super::AdminError;
use crate::ledger::reports;
use crate::pagination::Cursor;

pub use crate::ledger::reports::TransactionFilter;

pub async fn page(
    db: &DatabaseConnection,
    filter: &TransactionFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<dust_transactions::Model>, i64), AdminError> {
    Ok(reports::transactions(db, filter, after, limit, with_total).await?)
}

pub async fn find(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<dust_transactions::Model, AdminError> {
    dust_transactions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AdminError::NotFound("Transaction"))
}
