//! DUST movements only admins make: grants, adjustments, purchases and refunds. Each writes its audit
//! row in the same database transaction; the actor always comes from the token.

use std::collections::{HashMap, HashSet};

use fairydust_entities::{dust_transactions, now, users};
use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{Entry, LedgerError, TransactionKind, TransactionStatus, events, posting};
use crate::admin::audit::{self, AuditEntry};
use crate::cache::Cache;
use crate::db_errors::{UniqueKey, violates_unique};

pub const MAX_GRANT: i32 = 100_000;
pub const MAX_BULK_USERS: usize = 1_000;
const UNIQUE_REFUND: UniqueKey = UniqueKey::new(
    "uq_dust_transactions_refund_reference",
    "dust_transactions.reference_id",
);
const UNIQUE_PAYMENT: UniqueKey = UniqueKey::new(
    "uq_dust_transactions_payment",
    "dust_transactions.payment_id",
);

fn validate_reason(reason: &str) -> Result<String, LedgerError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(LedgerError::InvalidInput(
            "reason must be 1–500 characters".into(),
        ));
    }
    Ok(reason.to_owned())
}

fn validate_grant(amount: i32) -> Result<(), LedgerError> {
    if (1..=MAX_GRANT).contains(&amount) {
        Ok(())
    } else {
        Err(LedgerError::InvalidInput(format!(
            "amount must be between 1 and {MAX_GRANT}"
        )))
    }
}

/// Posts one admin entry with its audit row, commits, publishes.
async fn post_audited(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    entry: Entry,
    audit_action: &str,
    reason: String,
) -> Result<dust_transactions::Model, LedgerError> {
    let txn = db.begin().await?;
    let row = posting::post(&txn, entry).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: audit_action,
            target_type: "user",
            target_id: row.user_id.to_string(),
            before: Some(json!({ "dust_balance": row.balance_after - row.amount })),
            after: Some(json!({ "dust_balance": row.balance_after, "transaction_id": row.id })),
            reason: Some(reason),
        },
    )
    .await?;
    txn.commit().await?;
    events::publish(cache, &row).await;
    Ok(row)
}

pub async fn grant(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    user_id: Uuid,
    amount: i32,
    reason: &str,
) -> Result<dust_transactions::Model, LedgerError> {
    validate_grant(amount)?;
    let reason = validate_reason(reason)?;
    let entry = Entry {
        actor_id: Some(actor_id),
        ..Entry::new(user_id, amount, TransactionKind::Grant).described(&reason)
    };
    post_audited(db, cache, actor_id, entry, "ledger.grant", reason).await
}

/// A delta in either direction; a negative one may take the balance to 0 but never below.
pub async fn adjust(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    user_id: Uuid,
    delta: i32,
    reason: &str,
) -> Result<dust_transactions::Model, LedgerError> {
    if delta == 0 || delta.unsigned_abs() > MAX_GRANT as u32 {
        return Err(LedgerError::InvalidInput(format!(
            "delta must be non-zero and within ±{MAX_GRANT}"
        )));
    }
    let reason = validate_reason(reason)?;
    let entry = Entry {
        actor_id: Some(actor_id),
        ..Entry::new(user_id, delta, TransactionKind::Adjustment).described(&reason)
    };
    post_audited(db, cache, actor_id, entry, "ledger.adjust", reason).await
}

/// 1 DUST costs 1 cent, so a payment of `payment_amount_cents` buys at most that many DUST.
pub async fn record_purchase(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    user_id: Uuid,
    amount: i32,
    payment_id: &str,
    payment_amount_cents: i32,
) -> Result<dust_transactions::Model, LedgerError> {
    validate_grant(amount)?;
    let payment_id = payment_id.trim();
    if payment_id.is_empty() || payment_id.len() > 128 {
        return Err(LedgerError::InvalidInput(
            "paymentId must be 1–128 characters".into(),
        ));
    }
    if payment_amount_cents < amount {
        return Err(LedgerError::InvalidInput(format!(
            "paymentAmountCents ({payment_amount_cents}) must be at least the DUST amount ({amount}): 1 DUST = 1 cent"
        )));
    }
    let entry = Entry {
        actor_id: Some(actor_id),
        payment_id: Some(payment_id.to_owned()),
        payment_amount_cents: Some(payment_amount_cents),
        ..Entry::new(user_id, amount, TransactionKind::Purchase)
            .described(format!("Purchase {payment_id}"))
    };
    match post_audited(
        db,
        cache,
        actor_id,
        entry,
        "ledger.record_purchase",
        format!("payment {payment_id}"),
    )
    .await
    {
        Err(LedgerError::Database(error)) if violates_unique(&error, UNIQUE_PAYMENT) => {
            Err(LedgerError::PaymentAlreadyRecorded(payment_id.to_owned()))
        }
        other => other,
    }
}

/// Gives back what a consume took, once.
pub async fn refund(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    transaction_id: Uuid,
    reason: &str,
) -> Result<dust_transactions::Model, LedgerError> {
    let reason = validate_reason(reason)?;
    let original = dust_transactions::Entity::find_by_id(transaction_id)
        .one(db)
        .await?
        .ok_or(LedgerError::TransactionNotFound)?;
    if original.kind != TransactionKind::Consume {
        return Err(LedgerError::NotRefundable);
    }
    let entry = Entry {
        actor_id: Some(actor_id),
        app_id: original.app_id,
        action: original.action.clone(),
        reference_id: Some(original.id),
        ..Entry::new(original.user_id, -original.amount, TransactionKind::Refund).described(&reason)
    };
    match post_audited(db, cache, actor_id, entry, "ledger.refund", reason).await {
        Err(LedgerError::Database(error)) if violates_unique(&error, UNIQUE_REFUND) => {
            Err(LedgerError::AlreadyRefunded(original.id))
        }
        other => other,
    }
}

/// What happened to one user of a bulk grant.
#[derive(Clone, Debug)]
pub enum BulkOutcome {
    Granted(Box<dust_transactions::Model>),
    UserNotFound,
    BalanceLimit,
}

/// Grants the same amount to up to 1 000 users in one database transaction of a few statements (the
/// row locks, one UPDATE for every balance, one INSERT for every row, one audit row), not one round
/// trip per user.
pub async fn grant_bulk(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    user_ids: &[Uuid],
    amount: i32,
    reason: &str,
) -> Result<Vec<(Uuid, BulkOutcome)>, LedgerError> {
    validate_grant(amount)?;
    let reason = validate_reason(reason)?;
    if user_ids.is_empty() || user_ids.len() > MAX_BULK_USERS {
        return Err(LedgerError::InvalidInput(format!(
            "userIds must hold 1–{MAX_BULK_USERS} users"
        )));
    }
    let mut seen = HashSet::new();
    let unique: Vec<Uuid> = user_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect();
    tracing::info!(users = unique.len(), amount, %actor_id, "bulk DUST grant");

    let at = now();
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Row locks in id order: two bulk grants over the same users then queue instead of each
        // holding rows the other waits for (a deadlock). SQLite runs one writer at a time anyway.
        let mut ordered = unique.clone();
        ordered.sort_unstable();
        users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Id.is_in(ordered))
            .order_by_asc(users::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .all(&txn)
            .await?;
    }
    let credited = users::Entity::update_many()
        .col_expr(
            users::Column::DustBalance,
            Expr::col(users::Column::DustBalance).add(amount),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.is_in(unique.clone()))
        .filter(Expr::col(users::Column::DustBalance).lte(i32::MAX - amount))
        .exec_with_returning(&txn)
        .await?;
    let rows: Vec<dust_transactions::Model> = credited
        .iter()
        .map(|user| dust_transactions::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            amount,
            balance_after: user.dust_balance,
            kind: TransactionKind::Grant,
            status: TransactionStatus::Completed,
            app_id: None,
            action: None,
            quantity: None,
            description: Some(reason.clone()),
            idempotency_key: None,
            request_hash: None,
            reference_id: None,
            payment_id: None,
            payment_amount_cents: None,
            actor_id: Some(actor_id),
            metadata: None,
            created_at: at,
            updated_at: at,
        })
        .collect();
    if !rows.is_empty() {
        dust_transactions::Entity::insert_many(
            rows.iter().cloned().map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "ledger.grant_bulk",
            target_type: "users",
            target_id: format!("{} users", rows.len()),
            before: None,
            after: Some(json!({ "amount": amount, "user_ids": rows.iter().map(|r| r.user_id).collect::<Vec<_>>() })),
            reason: Some(reason),
        },
    )
    .await?;
    txn.commit().await?;

    futures_util::stream::iter(rows.iter())
        .for_each_concurrent(32, |row| events::publish(cache, row))
        .await;

    let granted: HashMap<Uuid, dust_transactions::Model> =
        rows.into_iter().map(|row| (row.user_id, row)).collect();
    let existing: HashSet<Uuid> = if granted.len() == unique.len() {
        HashSet::new()
    } else {
        users::Entity::find()
            .filter(
                users::Column::Id.is_in(
                    unique
                        .iter()
                        .filter(|id| !granted.contains_key(id))
                        .copied(),
                ),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|user| user.id)
            .collect()
    };
    Ok(unique
        .into_iter()
        .map(|id| {
            let outcome = match granted.get(&id) {
                Some(row) => BulkOutcome::Granted(Box::new(row.clone())),
                None if existing.contains(&id) => BulkOutcome::BalanceLimit,
                None => BulkOutcome::UserNotFound,
            };
            (id, outcome)
        })
        .collect())
}
