//! The ledger audit: users whose balance is not the sum of their transactions (ARCHITECTURE §5). It
//! must always come back empty.
//!
//! The audit walks the users in id order, a chunk per call, so no single request reads the whole
//! transaction table: a chunk sums the transactions of its users through their index, and the caller
//! passes the chunk's last id to get the next one until `next_after` is `None`.

use fairydust_entities::users;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};
use uuid::Uuid;

use super::LedgerError;

/// Users per chunk unless the caller asks otherwise: at a million users with ten transactions each a
/// chunk reads about 20 000 scattered transaction rows, which keeps a call near 100 ms (docs/SCALE.md).
pub const DEFAULT_CHUNK_USERS: u64 = 2_000;
pub const MAX_CHUNK_USERS: u64 = 50_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discrepancy {
    pub user_id: Uuid,
    pub balance: i32,
    pub transaction_sum: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditChunk {
    pub discrepancies: Vec<Discrepancy>,
    pub checked_users: u64,
    /// The last user of this chunk, to pass as `after`; `None` once the last user was checked.
    pub next_after: Option<Uuid>,
    /// Every user, so a caller can show how far the walk has come.
    pub total_users: u64,
}

/// Checks the `users` users after `after` (from the first user when `None`).
pub async fn audit_chunk(
    db: &DatabaseConnection,
    after: Option<Uuid>,
    users: u64,
) -> Result<AuditChunk, LedgerError> {
    if !(1..=MAX_CHUNK_USERS).contains(&users) {
        return Err(LedgerError::InvalidInput(format!(
            "users must be between 1 and {MAX_CHUNK_USERS}"
        )));
    }
    let transaction_sum = Query::select()
        .expr(Expr::cust("CAST(COALESCE(SUM(t.amount), 0) AS BIGINT)"))
        .from_as(
            fairydust_entities::dust_transactions::Entity,
            Alias::new("t"),
        )
        .and_where(Expr::cust("t.user_id = u.id"))
        .take();
    let mut select = Query::select();
    select
        .expr_as(Expr::cust("u.id"), "user_id")
        .expr_as(Expr::cust("u.dust_balance"), "balance")
        .expr_as(
            Expr::SubQuery(None, Box::new(transaction_sum.into())),
            "total",
        )
        .from_as(users::Entity, Alias::new("u"))
        .order_by((Alias::new("u"), users::Column::Id), Order::Asc)
        // One more than asked: whether another chunk follows.
        .limit(users + 1);
    if let Some(after) = after {
        select.and_where(Expr::col((Alias::new("u"), users::Column::Id)).gt(after));
    }
    let rows = db.query_all(&select).await?;
    let more = rows.len() as u64 > users;
    let mut discrepancies = Vec::new();
    let mut last = None;
    for row in rows.iter().take(users as usize) {
        let user_id: Uuid = row.try_get("", "user_id")?;
        let balance: i32 = row.try_get("", "balance")?;
        let transaction_sum: i64 = row.try_get("", "total")?;
        if i64::from(balance) != transaction_sum {
            discrepancies.push(Discrepancy {
                user_id,
                balance,
                transaction_sum,
            });
        }
        last = Some(user_id);
    }
    Ok(AuditChunk {
        discrepancies,
        checked_users: rows.len().min(users as usize) as u64,
        next_after: if more { last } else { None },
        total_users: users::Entity::find().count(db).await?,
    })
}
