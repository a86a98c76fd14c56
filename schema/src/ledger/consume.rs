//! Spending DUST in an app: the price comes from the app's action list, the user from the token, and an
//! idempotency key makes retries safe.

use fairydust_entities::dust_transactions;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Entry, LedgerError, TransactionKind, events, posting};
use crate::apps::access;
use crate::apps::catalog::{self, AppRef, AppSnapshot};
use crate::auth::Principal;
use crate::cache::Cache;
use crate::db_errors::{UniqueKey, violates_unique};

pub const UNIQUE_IDEMPOTENCY_KEY: UniqueKey = UniqueKey::new(
    "uq_dust_transactions_idempotency",
    "dust_transactions.user_id, dust_transactions.idempotency_key",
);
pub const MAX_QUANTITY: i32 = 100;
const MAX_METADATA_BYTES: usize = 8 * 1024;

#[derive(Clone, Debug)]
pub struct ConsumeRequest {
    /// Who pays; also whose eyes the app must be visible to.
    pub viewer: Principal,
    pub app: AppRef,
    pub action: String,
    pub quantity: i32,
    pub idempotency_key: String,
    pub metadata: Option<serde_json::Value>,
    /// The most DUST (price × quantity) the client agreed to pay; a price raised above it is refused
    /// with [`LedgerError::PriceAboveAgreed`] instead of charged.
    pub max_dust: Option<i32>,
}

/// A ledger row and whether it was written now or found as the result of an earlier identical request.
#[derive(Clone, Debug)]
pub struct Posted {
    pub transaction: dust_transactions::Model,
    pub replayed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DustCheck {
    pub sufficient: bool,
    pub balance: i32,
    /// The balance less the DUST held for the user's model calls in flight.
    pub available: i32,
    pub required: i64,
}

pub fn validate_idempotency_key(key: &str) -> Result<(), LedgerError> {
    let valid = (1..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(LedgerError::InvalidInput(
            "idempotencyKey must be 1–128 characters of A–Z, a–z, 0–9, _, : or -".into(),
        ))
    }
}

fn validate_quantity(quantity: i32) -> Result<(), LedgerError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(LedgerError::InvalidInput(format!(
            "quantity must be between 1 and {MAX_QUANTITY}"
        )))
    }
}

/// The fingerprint that tells a replay (same request) from a reuse of the key (different request).
pub fn request_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

/// The app's snapshot and the action's price: NOT_FOUND for an app `viewer` may not see (the one
/// visibility rule, `apps::access`), FORBIDDEN for one they see but that may not charge (its builder
/// or an admin looking at an app off the marketplace).
async fn priced_action(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    viewer: &Principal,
    app: &AppRef,
    action: &str,
) -> Result<(AppSnapshot, i32), LedgerError> {
    let app_id = catalog::resolve_app_id(db, app)
        .await?
        .ok_or(LedgerError::AppNotFound)?;
    let snapshot = catalog::snapshot(db, cache, app_id)
        .await?
        .filter(|snapshot| access::snapshot_visible(snapshot, Some(viewer)))
        .ok_or(LedgerError::AppNotFound)?;
    if !snapshot.chargeable {
        return Err(LedgerError::AppUnavailable);
    }
    let price = snapshot
        .price_of(action)
        .ok_or_else(|| LedgerError::ActionNotFound(action.to_owned()))?;
    Ok((snapshot, price))
}

/// Debits `price × quantity` from the caller, once per idempotency key, never below zero.
///
/// The first request costs one database round trip on PostgreSQL (the debit); only when it fails —
/// the key was used, the balance is short, the app is unavailable — is the key looked up, so that a
/// retry of a request that already succeeded still returns that result, whatever changed since.
pub async fn consume(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    request: ConsumeRequest,
) -> Result<Posted, LedgerError> {
    validate_idempotency_key(&request.idempotency_key)?;
    validate_quantity(request.quantity)?;
    if request.max_dust.is_some_and(|max| max < 1) {
        return Err(LedgerError::InvalidInput(
            "maxDust must be at least 1".into(),
        ));
    }
    if let Some(metadata) = &request.metadata
        && metadata.to_string().len() > MAX_METADATA_BYTES
    {
        return Err(LedgerError::InvalidInput(format!(
            "metadata must be at most {MAX_METADATA_BYTES} bytes of JSON"
        )));
    }
    let app_id = catalog::resolve_app_id_cached(db, cache, &request.app)
        .await?
        .ok_or(LedgerError::AppNotFound)?;
    let hash = request_hash(&[
        "consume",
        &app_id.to_string(),
        &request.action,
        &request.quantity.to_string(),
    ]);
    let earlier_or = |error: LedgerError| earlier_or(db, &request, &hash, error);

    let app = AppRef::Id(app_id);
    let price = match priced_action(db, cache, &request.viewer, &app, &request.action).await {
        Ok((_, price)) => price,
        Err(
            error @ (LedgerError::AppNotFound
            | LedgerError::AppUnavailable
            | LedgerError::ActionNotFound(_)),
        ) => {
            return earlier_or(error).await;
        }
        Err(error) => return Err(error),
    };
    let amount = i64::from(price) * i64::from(request.quantity);
    let amount = i32::try_from(amount)
        .map_err(|_| LedgerError::InvalidInput("the total cost is too large".into()))?;
    if let Some(max_dust) = request.max_dust
        && amount > max_dust
    {
        // A retry of a request that already went through still answers with its result.
        return earlier_or(LedgerError::PriceAboveAgreed {
            required: amount,
            max_dust,
        })
        .await;
    }
    let entry = Entry {
        app_id: Some(app_id),
        action: Some(request.action.clone()),
        quantity: Some(request.quantity),
        idempotency_key: Some(request.idempotency_key.clone()),
        request_hash: Some(hash.clone()),
        metadata: request.metadata.clone(),
        description: Some(format!("{} × {}", request.action, request.quantity)),
        ..Entry::new(request.viewer.user_id, -amount, TransactionKind::Consume)
    };

    match posting::post_alone(db, entry).await {
        Ok(row) => {
            events::publish(cache, &row).await;
            Ok(Posted {
                transaction: row,
                replayed: false,
            })
        }
        // The key was used (perhaps by a concurrent request): answer with that result.
        Err(LedgerError::Database(error)) if violates_unique(&error, UNIQUE_IDEMPOTENCY_KEY) => {
            earlier_or(LedgerError::Database(error)).await
        }
        Err(error @ LedgerError::InsufficientDust { .. }) => earlier_or(error).await,
        Err(error) => Err(error),
    }
}

/// The earlier result for this request's key (or IDEMPOTENCY_KEY_REUSED), else `error`.
async fn earlier_or(
    db: &DatabaseConnection,
    request: &ConsumeRequest,
    hash: &str,
    error: LedgerError,
) -> Result<Posted, LedgerError> {
    match find_by_key(db, request.viewer.user_id, &request.idempotency_key).await? {
        Some(earlier) => replay(earlier, hash),
        None => Err(error),
    }
}

async fn find_by_key(
    db: &DatabaseConnection,
    user_id: Uuid,
    key: &str,
) -> Result<Option<dust_transactions::Model>, sea_orm::DbErr> {
    dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user_id))
        .filter(dust_transactions::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

fn replay(earlier: dust_transactions::Model, hash: &str) -> Result<Posted, LedgerError> {
    if earlier.request_hash.as_deref() == Some(hash) {
        Ok(Posted {
            transaction: earlier,
            replayed: true,
        })
    } else {
        Err(LedgerError::IdempotencyKeyReused)
    }
}

/// Whether the caller could afford an action right now (nothing is reserved): DUST held for their
/// model calls in flight does not count.
pub async fn check(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    viewer: &Principal,
    app: &AppRef,
    action: &str,
    quantity: i32,
) -> Result<DustCheck, LedgerError> {
    validate_quantity(quantity)?;
    let (_, price) = priced_action(db, cache, viewer, app, action).await?;
    let balance = super::balance_of(db, viewer.user_id).await?;
    let available = (balance - super::holds::held(db, viewer.user_id).await?).max(0);
    let required = i64::from(price) * i64::from(quantity);
    Ok(DustCheck {
        sufficient: i64::from(available) >= required,
        balance,
        available,
        required,
    })
}
