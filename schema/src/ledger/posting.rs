//! The one primitive every DUST movement goes through: a conditional balance update and the
//! transaction row, in the caller's database transaction.

use fairydust_entities::{dust_holds, dust_transactions, now, users};
use sea_orm::sea_query::{Expr, ExprTrait, Func, InsertStatement, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, Statement, TransactionTrait, Value,
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
        settle(conn, hold, entry.user_id, at).await?;
    }
    let row = entry.into_row(user.dust_balance, at);
    dust_transactions::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(row)
}

/// Removes the hold a charge settles, and the user's expired holds with it (one statement).
async fn settle<C: ConnectionTrait>(
    conn: &C,
    hold: Uuid,
    user_id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), LedgerError> {
    use dust_holds::Column as H;
    dust_holds::Entity::delete_many()
        .filter(
            Condition::any().add(H::Id.eq(hold)).add(
                Condition::all()
                    .add(H::UserId.eq(user_id))
                    .add(H::ExpiresAt.lte(at)),
            ),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// [`post`] on its own, committed at once: on PostgreSQL one statement (the UPDATE in a CTE feeding the
/// INSERT, atomic as any single statement is), elsewhere a short transaction. The hot path of
/// `consumeDust`, where round trips are most of the cost.
pub async fn post_alone(
    db: &DatabaseConnection,
    entry: Entry,
) -> Result<dust_transactions::Model, LedgerError> {
    post_alone_with(db, entry, None).await
}

/// [`post_alone`] that also writes `companion` (a row of another table, e.g. the usage row of the
/// model call being charged) and settles `entry.settles_hold`. The companion row is written, and the
/// hold removed, both when the entry posts and when it is refused for want of DUST (the work it
/// charges for happened either way); on any other error nothing is written.
///
/// PostgreSQL: one statement (data-modifying CTEs). SQLite: a transaction of the balance UPDATE, the
/// hold's DELETE, the transaction row and the companion row.
pub async fn post_alone_with(
    db: &DatabaseConnection,
    entry: Entry,
    companion: Option<InsertStatement>,
) -> Result<dust_transactions::Model, LedgerError> {
    if entry.amount == 0 {
        return Err(LedgerError::InvalidInput(
            "A DUST amount cannot be 0".into(),
        ));
    }
    if db.get_database_backend() != DbBackend::Postgres {
        return post_in_transaction(db, entry, companion).await;
    }
    let (user_id, amount) = (entry.user_id, entry.amount);
    // The companion's own placeholders come first ($1 … $n); this statement's follow.
    let companion = companion.map(|insert| DbBackend::Postgres.build(&insert));
    let mut values: Vec<Value> = companion
        .as_ref()
        .and_then(|statement| statement.values.clone())
        .map(|values| values.0)
        .unwrap_or_default();
    let offset = values.len();
    let p = |n: usize| format!("${}", offset + n);
    let at = now();
    // Spending must leave the DUST of live holds alone (except the hold it settles); chosen here
    // rather than in SQL, whose parameters PostgreSQL could not type inside a CASE.
    let floor = match (entry.respects_holds(), entry.settles_hold) {
        (false, _) => "0".to_owned(),
        (true, None) => format!(
            "(SELECT COALESCE(SUM(amount), 0) FROM dust_holds WHERE user_id = {} AND expires_at > {})",
            p(3),
            p(2)
        ),
        (true, Some(_)) => format!(
            "(SELECT COALESCE(SUM(amount), 0) FROM dust_holds WHERE user_id = {} AND expires_at > {} AND id <> {})",
            p(3),
            p(2),
            p(18)
        ),
    };
    let mut ctes = String::new();
    if entry.settles_hold.is_some() {
        ctes.push_str(&format!(
            ", settled AS (DELETE FROM dust_holds WHERE id = {} OR (user_id = {} AND expires_at <= {}))",
            p(18),
            p(3),
            p(2)
        ));
    }
    if let Some(companion) = &companion {
        ctes.push_str(&format!(", companion AS ({})", companion.sql));
    }
    let settles_hold = entry.settles_hold;
    let shortfall_of = entry.clone();
    // The balance is filled in from the UPDATE's RETURNING; 0 here is only a placeholder.
    let row = entry.into_row(0, at);
    let sql = format!(
        "WITH debited AS (
             UPDATE users SET dust_balance = dust_balance + {p1}, updated_at = {p2}
             WHERE id = {p3} AND dust_balance + {p1} >= {floor}
             RETURNING dust_balance){ctes}
         INSERT INTO dust_transactions (id, user_id, amount, balance_after, type, status, app_id, action,
             quantity, description, idempotency_key, request_hash, reference_id, payment_id,
             payment_amount_cents, actor_id, metadata, created_at, updated_at)
         SELECT {p4}, {p3}, {p1}, debited.dust_balance, {p5}, {p6}, {p7}, {p8}, {p9}, {p10}, {p11}, {p12},
             {p13}, {p14}, {p15}, {p16}, {p17}, {p2}, {p2}
         FROM debited
         RETURNING balance_after",
        p1 = p(1),
        p2 = p(2),
        p3 = p(3),
        p4 = p(4),
        p5 = p(5),
        p6 = p(6),
        p7 = p(7),
        p8 = p(8),
        p9 = p(9),
        p10 = p(10),
        p11 = p(11),
        p12 = p(12),
        p13 = p(13),
        p14 = p(14),
        p15 = p(15),
        p16 = p(16),
        p17 = p(17),
    );
    values.extend([
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
    ]);
    if let Some(hold) = settles_hold {
        values.push(hold.into());
    }
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
    match db.query_one_raw(statement).await? {
        Some(result) => Ok(dust_transactions::Model {
            balance_after: result.try_get("", "balance_after")?,
            ..row
        }),
        None => Err(shortfall(db, &shortfall_of).await),
    }
}

/// [`post_alone_with`] where a statement cannot carry several writes: one short transaction.
async fn post_in_transaction(
    db: &DatabaseConnection,
    entry: Entry,
    companion: Option<InsertStatement>,
) -> Result<dust_transactions::Model, LedgerError> {
    let (hold, user_id) = (entry.settles_hold, entry.user_id);
    let txn = db.begin().await?;
    let posted = post(&txn, entry).await;
    match &posted {
        Ok(_) => {}
        Err(LedgerError::InsufficientDust { .. }) => {
            if let Some(hold) = hold {
                settle(&txn, hold, user_id, now()).await?;
            }
        }
        // Nothing is written: the transaction rolls back when dropped.
        Err(_) => return posted,
    }
    if let Some(companion) = companion {
        txn.execute(&companion).await?;
    }
    txn.commit().await?;
    posted
}
