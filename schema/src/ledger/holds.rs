//! DUST holds: an action's price set aside before work that costs the platform money (a model
//! call), then settled into the charge or released. A hold is not a ledger transaction — the balance
//! and Σ transactions = balance do not move — but no other hold or spending may use held DUST, so
//! parallel calls cannot reach the model for more than the user can pay (ARCHITECTURE §5).
//!
//! Holds live in the database, so every replica sharing it respects them. A reservation is one
//! conditional `INSERT … SELECT` (the hold is written only when the balance less the user's live holds
//! covers it), taken one user at a time: on PostgreSQL a statement that locks the user's row (an
//! UPDATE that changes nothing) comes first in the same transaction, so the INSERT's snapshot, taken
//! after the lock, sees every hold committed before it; SQLite runs a writing statement under its
//! database-wide write lock from its first read. A hold counts only until its `expires_at`
//! ([`HOLD_TTL`] after it was made): a request that crashed never keeps DUST for ever, and the user's
//! next charge deletes expired holds.

use std::time::Duration;

use fairydust_entities::{dust_holds, dust_transactions, now, users};
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, InsertStatement, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use super::LedgerError;

/// How long a hold counts at most: longer than a call with all its fallbacks takes (`LLM_TIMEOUT_SECONDS`,
/// 60 s by default, per model), short enough that DUST held by a crashed request is soon free again.
/// A request that ends or is cancelled releases its hold at once.
pub const HOLD_TTL: Duration = Duration::from_secs(10 * 60);

/// A reservation; settle it with the charge (`Entry::settles_hold`) or release it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub id: Uuid,
    pub user_id: Uuid,
    pub amount: i32,
}

/// DUST the user's live holds set aside.
pub async fn held<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> Result<i32, LedgerError> {
    held_except(conn, user_id, None).await
}

/// [`held`], leaving out the hold `except` (the one a charge settles).
pub async fn held_except<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    except: Option<Uuid>,
) -> Result<i32, LedgerError> {
    let mut select = Query::select();
    select
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
            "held",
        )
        .from(dust_holds::Entity)
        .and_where(dust_holds::Column::UserId.eq(user_id))
        .and_where(dust_holds::Column::ExpiresAt.gt(now()));
    if let Some(except) = except {
        select.and_where(dust_holds::Column::Id.ne(except));
    }
    let held: i64 = match conn.query_one(&select).await? {
        Some(row) => row.try_get("", "held")?,
        None => 0,
    };
    Ok(i32::try_from(held).unwrap_or(i32::MAX))
}

/// Sets `amount` aside for at most `ttl`: INSUFFICIENT_DUST (with `balance` the DUST free to spend)
/// unless the balance less the user's other live holds covers it.
pub async fn reserve(
    db: &DatabaseConnection,
    user_id: Uuid,
    amount: i32,
    ttl: Duration,
) -> Result<Hold, LedgerError> {
    reserve_unless_charged(db, user_id, amount, ttl, None)
        .await?
        .ok_or_else(|| LedgerError::InvalidInput("no idempotency key to have been used".into()))
}

/// [`reserve`], unless the user already has a transaction under `idempotency_key` (then `None`): the
/// check is part of the reserving statement, so a call that will replay costs no separate read.
///
/// PostgreSQL: two statements (the lock, the conditional insert); SQLite: one.
pub async fn reserve_unless_charged(
    db: &DatabaseConnection,
    user_id: Uuid,
    amount: i32,
    ttl: Duration,
    idempotency_key: Option<&str>,
) -> Result<Option<Hold>, LedgerError> {
    if amount <= 0 {
        return Err(LedgerError::InvalidInput(
            "A hold is for a positive amount".into(),
        ));
    }
    // The state can change between a refusal and the read that explains it; a refusal that no longer
    // holds is tried again (a couple of times: it takes a race to get here at all).
    for _ in 0..3 {
        let at = now();
        let hold = Hold {
            id: Uuid::now_v7(),
            user_id,
            amount,
        };
        let insert = conditional_insert(&hold, at, at + ttl, idempotency_key)?;
        let inserted = if db.get_database_backend() == DbBackend::Postgres {
            let txn = db.begin().await?;
            // The lock first: spending takes the same row lock, and the INSERT's snapshot is then
            // taken after every earlier hold of this user committed.
            let locked = users::Entity::update_many()
                .col_expr(
                    users::Column::DustBalance,
                    Expr::col(users::Column::DustBalance),
                )
                .filter(users::Column::Id.eq(user_id))
                .exec_with_returning(&txn)
                .await?;
            if locked.is_empty() {
                return Err(LedgerError::UserNotFound);
            }
            let inserted = txn.execute(&insert).await?.rows_affected();
            txn.commit().await?;
            inserted
        } else {
            db.execute(&insert).await?.rows_affected()
        };
        if inserted == 1 {
            return Ok(Some(hold));
        }
        // Refused: find out why (this path may read more).
        if let Some(key) = idempotency_key
            && charged_under(db, user_id, key).await?
        {
            return Ok(None);
        }
        let available = super::balance_of(db, user_id).await? - held(db, user_id).await?;
        if available < amount {
            return Err(LedgerError::InsufficientDust {
                balance: Ord::max(available, 0),
                required: i64::from(amount),
            });
        }
    }
    Err(LedgerError::Database(sea_orm::DbErr::Custom(
        "a DUST hold was refused repeatedly without a reason".into(),
    )))
}

/// `INSERT INTO dust_holds … SELECT … FROM users WHERE id = $user AND dust_balance − (live holds) >=
/// $amount [AND NOT EXISTS (a transaction under the key)]`: one row or none.
fn conditional_insert(
    hold: &Hold,
    at: DateTimeUtc,
    expires_at: DateTimeUtc,
    idempotency_key: Option<&str>,
) -> Result<InsertStatement, LedgerError> {
    use dust_holds::Column as H;
    let held = Query::select()
        .expr(Func::coalesce([
            Func::sum(Expr::col(H::Amount)).into(),
            Expr::value(0),
        ]))
        .from(dust_holds::Entity)
        .and_where(H::UserId.eq(hold.user_id))
        .and_where(H::ExpiresAt.gt(at))
        .take();
    let mut select = Query::select();
    select
        .exprs([
            Expr::value(hold.id),
            Expr::value(hold.user_id),
            Expr::value(hold.amount),
            Expr::value(expires_at),
            Expr::value(at),
            Expr::value(at),
        ])
        .from(users::Entity)
        .and_where(users::Column::Id.eq(hold.user_id))
        .and_where(
            Expr::col(users::Column::DustBalance)
                .sub(Expr::from(held))
                .gte(hold.amount),
        );
    if let Some(key) = idempotency_key {
        select.and_where(
            Expr::exists(
                Query::select()
                    .expr(Expr::value(1))
                    .from(dust_transactions::Entity)
                    .and_where(dust_transactions::Column::UserId.eq(hold.user_id))
                    .and_where(dust_transactions::Column::IdempotencyKey.eq(key))
                    .take(),
            )
            .not(),
        );
    }
    let mut insert = Query::insert();
    insert
        .into_table(dust_holds::Entity)
        .columns([
            H::Id,
            H::UserId,
            H::Amount,
            H::ExpiresAt,
            H::CreatedAt,
            H::UpdatedAt,
        ])
        .select_from(select)
        .map_err(|e| LedgerError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    Ok(insert)
}

async fn charged_under(
    db: &DatabaseConnection,
    user_id: Uuid,
    idempotency_key: &str,
) -> Result<bool, LedgerError> {
    Ok(dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user_id))
        .filter(dust_transactions::Column::IdempotencyKey.eq(idempotency_key))
        .count(db)
        .await?
        > 0)
}

/// Gives the held DUST back (the work failed or was not charged).
pub async fn release(db: &DatabaseConnection, hold: &Hold) -> Result<(), LedgerError> {
    dust_holds::Entity::delete_by_id(hold.id).exec(db).await?;
    Ok(())
}

/// A hold that releases itself when dropped unsettled (a cancelled request), in the background.
pub struct HoldGuard {
    db: DatabaseConnection,
    hold: Option<Hold>,
}

impl HoldGuard {
    pub async fn reserve(
        db: &DatabaseConnection,
        user_id: Uuid,
        amount: i32,
    ) -> Result<Self, LedgerError> {
        let hold = reserve(db, user_id, amount, HOLD_TTL).await?;
        Ok(Self {
            db: db.clone(),
            hold: Some(hold),
        })
    }

    /// [`HoldGuard::reserve`] unless a transaction already used `idempotency_key` (then `None`; see
    /// [`reserve_unless_charged`]).
    pub async fn reserve_unless_charged(
        db: &DatabaseConnection,
        user_id: Uuid,
        amount: i32,
        idempotency_key: &str,
    ) -> Result<Option<Self>, LedgerError> {
        let hold =
            reserve_unless_charged(db, user_id, amount, HOLD_TTL, Some(idempotency_key)).await?;
        Ok(hold.map(|hold| Self {
            db: db.clone(),
            hold: Some(hold),
        }))
    }

    /// The hold's id, for the charge's `Entry::settles_hold`.
    pub fn id(&self) -> Option<Uuid> {
        self.hold.as_ref().map(|hold| hold.id)
    }

    /// The charge that settled the hold committed: nothing is left to release.
    pub fn settled(mut self) {
        self.hold = None;
    }

    /// Releases the hold now. A failure is logged: the hold expires anyway.
    pub async fn release(mut self) {
        if let Some(hold) = self.hold.take()
            && let Err(error) = release(&self.db, &hold).await
        {
            tracing::warn!(%error, hold_id = %hold.id, "could not release a DUST hold; it will expire");
        }
    }
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        let Some(hold) = self.hold.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let db = self.db.clone();
            runtime.spawn(async move {
                if let Err(error) = release(&db, &hold).await {
                    tracing::warn!(%error, hold_id = %hold.id, "could not release a DUST hold; it will expire");
                }
            });
        }
    }
}
