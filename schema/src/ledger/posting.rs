//! The one primitive every DUST movement goes through: a conditional balance update and the
//! transaction row, in the caller's database transaction.

use fairydust_entities::{dust_transactions, now, users};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{LedgerError, TransactionKind};

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
        }
    }

    pub fn described(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
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
                .gte(0),
        )
        .exec_with_returning(conn)
        .await?;
    let Some(user) = updated.into_iter().next() else {
        let balance = users::Entity::find_by_id(entry.user_id)
            .select_only()
            .column(users::Column::DustBalance)
            .into_tuple::<i32>()
            .one(conn)
            .await?
            .ok_or(LedgerError::UserNotFound)?;
        return Err(LedgerError::InsufficientDust {
            balance,
            required: -i64::from(entry.amount),
        });
    };

    let row = dust_transactions::Model {
        id: Uuid::now_v7(),
        user_id: entry.user_id,
        amount: entry.amount,
        balance_after: user.dust_balance,
        kind: entry.kind.as_str().to_owned(),
        status: "completed".to_owned(),
        app_id: entry.app_id,
        action: entry.action,
        quantity: entry.quantity,
        description: entry.description,
        idempotency_key: entry.idempotency_key,
        request_hash: entry.request_hash,
        reference_id: entry.reference_id,
        payment_id: entry.payment_id,
        payment_amount_cents: entry.payment_amount_cents,
        actor_id: entry.actor_id,
        metadata: entry.metadata,
        created_at: at,
        updated_at: at,
    };
    dust_transactions::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(row)
}
