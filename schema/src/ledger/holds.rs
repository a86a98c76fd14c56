//! DUST holds: an action's price set aside before work that costs the platform money (a model
//! call), then settled into the charge or released. A hold is not a ledger transaction — the balance
//! and Σ transactions = balance do not move — but no other hold or spending may use held DUST, so
//! parallel calls cannot reach the model for more than the user can pay (ARCHITECTURE §5).
//!
//! Holds live in the database, so every replica sharing it respects them. Reserving locks the user's
//! row (an UPDATE that changes nothing), so two reservations for one user run one after the other on
//! both backends. A hold counts only until its `expires_at` ([`HOLD_TTL`] after it was made): a
//! request that crashed never keeps DUST for ever, and the user's next reservation deletes expired
//! holds.

use std::time::Duration;

use fairydust_entities::{dust_holds, now, users};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
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
    if amount <= 0 {
        return Err(LedgerError::InvalidInput(
            "A hold is for a positive amount".into(),
        ));
    }
    let at = now();
    let txn = db.begin().await?;
    // A write first: it locks the user's row (PostgreSQL) or the database (SQLite) until commit, so
    // the holds read below cannot change under us. Spending takes the same row lock first.
    let locked = users::Entity::update_many()
        .col_expr(
            users::Column::DustBalance,
            Expr::col(users::Column::DustBalance),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec_with_returning(&txn)
        .await?;
    let balance = locked
        .into_iter()
        .next()
        .ok_or(LedgerError::UserNotFound)?
        .dust_balance;
    dust_holds::Entity::delete_many()
        .filter(dust_holds::Column::UserId.eq(user_id))
        .filter(dust_holds::Column::ExpiresAt.lte(at))
        .exec(&txn)
        .await?;
    let available = balance - held(&txn, user_id).await?;
    if available < amount {
        return Err(LedgerError::InsufficientDust {
            balance: available.max(0),
            required: i64::from(amount),
        });
    }
    let hold = dust_holds::Model {
        id: Uuid::now_v7(),
        user_id,
        amount,
        expires_at: at + ttl,
        created_at: at,
        updated_at: at,
    };
    dust_holds::Entity::insert(hold.clone().into_active_model())
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(Hold {
        id: hold.id,
        user_id,
        amount,
    })
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
