//! Which consumes were refunded, loaded for a page of transactions in one query.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use fairydust_entities::dust_transactions::{self, Column, TransactionKind};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The refund of each consume, keyed by the consume's id (`None`: not refunded). A consume is refunded
/// at most once: refunds are unique by `reference_id`.
pub struct RefundLoader(pub DatabaseConnection);

impl Loader<Uuid> for RefundLoader {
    type Value = Option<dust_transactions::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let refunds = dust_transactions::Entity::find()
            .filter(Column::Kind.eq(TransactionKind::Refund))
            .filter(Column::ReferenceId.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(Arc::new)?;
        let mut found: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, None)).collect();
        for refund in refunds {
            if let Some(consume) = refund.reference_id {
                found.insert(consume, Some(refund));
            }
        }
        Ok(found)
    }
}
