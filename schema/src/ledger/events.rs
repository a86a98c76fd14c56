//! Balance-change events for the `dustBalanceChanged` subscription, carried across replicas by the
//! cache's pub/sub (Redis in production).

use fairydust_entities::dust_transactions;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::cache::{Cache, CacheError};

pub fn channel(user_id: Uuid) -> String {
    format!("dust:{user_id}")
}

/// The message that announces a committed transaction on [`channel`].
pub fn message(transaction: &dust_transactions::Model) -> String {
    serde_json::to_string(transaction).expect("transactions serialise")
}

/// Publishes a committed transaction. A lost event only delays a live display, never changes money,
/// so a failure is logged rather than failing the request that already succeeded.
pub async fn publish(cache: &dyn Cache, transaction: &dust_transactions::Model) {
    let payload = message(transaction);
    if let Err(error) = cache.publish(&channel(transaction.user_id), &payload).await {
        tracing::warn!(%error, user_id = %transaction.user_id, "could not publish a balance change");
    }
}

pub async fn subscribe(
    cache: &dyn Cache,
    user_id: Uuid,
) -> Result<BoxStream<'static, dust_transactions::Model>, CacheError> {
    let messages = cache.subscribe(&channel(user_id)).await?;
    Ok(messages
        .filter_map(|payload| async move { serde_json::from_str(&payload).ok() })
        .boxed())
}

/// The user's latest transaction: its `balance_after` is the balance now. A new subscriber receives it
/// first, so a client knows its subscription is live without waiting and shows the balance at once.
pub async fn latest<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Option<dust_transactions::Model>, DbErr> {
    dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user_id))
        .order_by_desc(dust_transactions::Column::CreatedAt)
        .order_by_desc(dust_transactions::Column::Id)
        .one(db)
        .await
}
