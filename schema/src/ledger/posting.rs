//! The one primitive every DUST movement goes through: a conditional balance update and the
//! transaction row, in the caller's database transaction.

use fairydust_entities::{dust_holds, dust_transactions, now, users};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel,
    QueryFilter, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::{LedgerError, TransactionKind, TransactionStatus};

/// One change of one user's balance.
#[derive(Clone, Debug)]
pub struct Entry {
    pub user_id: Uuid,
    /// Signed; never 0.
    pub amount: i32,
    pub kind: TransactionKind,
    pub description: Option<String>,
    pub app_id: Option<Uuid>,
    pub action: Option<String>,
    pub quantity: Option<i32>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub reference_id: Option<Uuid>,
    pub payment_id: Option<String>,
    pub payment_amount_cents: Option<i32>,
    pub actor_id: Option<Uuid>,
    pub metadata: Option<serde_json::Value>,
    /// The DUST hold this charge settles (`ledger::holds`): the debit may use the DUST it held, and the
    /// hold is removed in the same transaction.
    pub settles_hold: Option<Uuid>,
}

impl Entry {
    pub fn new(user_id: Uuid, amount: i32, kind: TransactionKind) -> Self {
        Self {
            user_id,
            amount,
            kind,
            description: None,
            app_id: None,
            action: None,
            quantity: None,
            idempotency_key: None,
            request_hash: None,
            reference_id: None,
            payment_id: None,
            payment_amount_cents: None,
            actor_id: None,
            metadata: None,
            settles_hold: None,
        }
    }

    /// Spending is the one kind that must leave the DUST of live holds alone; credits, admin
    /// adjustments (down to 0) and refunds do not look at holds.
    fn respects_holds(&self) -> bool {
        self.amount < 0 && self.kind == TransactionKind::Consume
    }

    pub fn described(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn into_row(
        self,
        balance_after: i32,
        at: chrono::DateTime<chrono::Utc>,
    ) -> dust_transactions::Model {
        dust_transactions::Model {
            id: Uuid::now_v7(),
            user_id: self.user_id,
            amount: self.amount,
            balance_after,
            kind: self.kind,
            status: TransactionStatus::Completed,
            app_id: self.app_id,
            action: self.action,
            quantity: self.quantity,
            description: self.description,
            idempotency_key: self.idempotency_key,
            request_hash: self.request_hash,
            reference_id: self.reference_id,
            payment_id: self.payment_id,
            payment_amount_cents: self.payment_amount_cents,
            actor_id: self.actor_id,
            metadata: self.metadata,
            created_at: at,
            updated_at: at,
        }
    }
}

/// What a balance must stay at or above after `entry`: 0, and for spending also the DUST the user's
/// live holds set aside (except the hold the entry settles), so a debit never uses DUST held for a
/// model call in flight. Built with sea-query, so the placeholders suit either backend.
fn floor(entry: &Entry, at: chrono::DateTime<chrono::Utc>) -> Expr {
    if !entry.respects_holds() {
        return Expr::value(0);
    }
    use dust_holds::Column as H;
    let mut held = Query::select();
    held.expr(Func::coalesce([
        Func::sum(Expr::col((dust_holds::Entity, H::Amount))).into(),
        Expr::value(0),
    ]))
    .from(dust_holds::Entity)
    .and_where(
        Expr::col((dust_holds::Entity, H::UserId)).equals((users::Entity, users::Column::Id)),
    )
    .and_where(Expr::col((dust_holds::Entity, H::ExpiresAt)).gt(at));
    if let Some(settled) = entry.settles_hold {
        held.and_where(Expr::col((dust_holds::Entity, H::Id)).ne(settled));
    }
    Expr::from(held.take())
}

/// INSUFFICIENT_DUST for a refused debit: `balance` is what the user can spend now (their balance less
/// the DUST of their live holds, other than the one `entry` settles).
async fn shortfall<C: ConnectionTrait>(conn: &C, entry: &Entry) -> LedgerError {
    let balance = match super::balance_of(conn, entry.user_id).await {
        Ok(balance) => balance,
        Err(error) => return error,
    };
    let held = if entry.respects_holds() {
        match super::holds::held_except(conn, entry.user_id, entry.settles_hold).await {
            Ok(held) => held,
            Err(error) => return error,
        }
    } else {
        0
    };
    LedgerError::InsufficientDust {
        balance: Ord::max(balance - held, 0),
        required: -i64::from(entry.amount),
    }
}

/// Applies `entry`: the balance changes only if it stays ≥ 0 (checked by the UPDATE itself, so
/// concurrent debits cannot overdraw), then the row records the new balance.
///
/// Run it inside a database transaction; the caller commits. Start the transaction with this call (a
/// write), so SQLite takes its write lock up front and waits rather than failing on upgrade.
pub async fn post<C: ConnectionTrait>(
    conn: &C,
    entry: Entry,
) -> Result<dust_transactions::Model, LedgerError> {
    if entry.amount == 0 {
        return Err(LedgerError::InvalidInput(
            "A DUST amount cannot be 0".into(),
        ));
    }
    let at = now();
    let updated = users::Entity::update_many()
        .col_expr(
            users::Column::DustBalance,
            Expr::col(users::Column::DustBalance).add(entry.amount),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(entry.user_id))
        .filter(
            Expr::col(users::Column::DustBalance)
                .add(entry.amount)
                .gte(floor(&entry, at)),
        )
        .exec_with_returning(conn)
        .await?;
    let Some(user) = updated.into_iter().next() else {
        return Err(shortfall(conn, &entry).await);
    };
    if let Some(hold) = entry.settles_hold {
        dust_holds::Entity::delete_by_id(hold).exec(conn).await?;
    }
    let row = entry.into_row(user.dust_balance, at);
    dust_transactions::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(row)
}

/// [`post`] on its own, committed at once: on PostgreSQL one statement (the UPDATE in a CTE feeding the
/// INSERT, atomic as any single statement is), elsewhere a short transaction. The hot path of
/// `consumeDust`, where round trips are most of the cost.
pub async fn post_alone(
    db: &DatabaseConnection,
    entry: Entry,
) -> Result<dust_transactions::Model, LedgerError> {
    // The single statement knows nothing of settling holds; a charge that settles one takes the
    // transaction path.
    if db.get_database_backend() != DbBackend::Postgres || entry.settles_hold.is_some() {
        let txn = db.begin().await?;
        let row = post(&txn, entry).await?;
        txn.commit().await?;
        return Ok(row);
    }
    if entry.amount == 0 {
        return Err(LedgerError::InvalidInput(
            "A DUST amount cannot be 0".into(),
        ));
    }
    let (user_id, amount) = (entry.user_id, entry.amount);
    // Spending must leave the DUST of live holds alone; chosen here rather than in SQL, whose
    // parameters PostgreSQL could not type inside a CASE.
    let floor = if entry.respects_holds() {
        "(SELECT COALESCE(SUM(amount), 0) FROM dust_holds WHERE user_id = $3 AND expires_at > $2)"
    } else {
        "0"
    };
    let at = now();
    let shortfall_of = entry.clone();
    // The balance is filled in from the UPDATE's RETURNING; 0 here is only a placeholder.
    let row = entry.into_row(0, at);
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "WITH debited AS (
             UPDATE users SET dust_balance = dust_balance + $1, updated_at = $2
             WHERE id = $3 AND dust_balance + $1 >= {floor}
             RETURNING dust_balance)
         INSERT INTO dust_transactions (id, user_id, amount, balance_after, type, status, app_id, action,
             quantity, description, idempotency_key, request_hash, reference_id, payment_id,
             payment_amount_cents, actor_id, metadata, created_at, updated_at)
         SELECT $4, $3, $1, debited.dust_balance, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $2, $2
         FROM debited
         RETURNING balance_after"
        ),
        [
            amount.into(),
            at.into(),
            user_id.into(),
            row.id.into(),
            row.kind.into(),
            row.status.into(),
            row.app_id.into(),
            row.action.clone().into(),
            row.quantity.into(),
            row.description.clone().into(),
            row.idempotency_key.clone().into(),
            row.request_hash.clone().into(),
            row.reference_id.into(),
            row.payment_id.clone().into(),
            row.payment_amount_cents.into(),
            row.actor_id.into(),
            row.metadata.clone().into(),
        ],
    );
    match db.query_one_raw(statement).await? {
        Some(result) => Ok(dust_transactions::Model {
            balance_after: result.try_get("", "balance_after")?,
            ..row
        }),
        None => Err(shortfall(db, &shortfall_of).await),
    }
}
