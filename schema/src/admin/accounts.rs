//! What admins do to accounts: admin rights, deactivation and reactivation, signing a user out
//! everywhere. Each change and its audit row commit in one database transaction; the cached
//! principals of the user's sessions are dropped after the commit, so the change applies at once on
//! every replica (they share the cache).

use fairydust_entities::{auth_sessions, now, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::AdminError;
use super::audit::{self, AuditEntry};
use super::error::invalid;
use crate::auth::viewer::cache_keys;
use crate::cache::Cache;

fn reason_of(reason: Option<&str>, required: bool) -> Result<Option<String>, AdminError> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.chars().count() > 500 => Err(invalid("reason must be at most 500 characters")),
        Some(r) => Ok(Some(r.to_owned())),
        None if required => Err(invalid("reason must be 1–500 characters")),
        None => Ok(None),
    }
}

async fn target<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> Result<users::Model, AdminError> {
    match users::Entity::find_by_id(user_id).one(conn).await? {
        Some(user) if !user.is_system => Ok(user),
        _ => Err(AdminError::NotFound("User")),
    }
}

/// Refuses a change that would leave no active admin. The active admins' rows are locked first
/// (PostgreSQL; SQLite runs one writer at a time), so two admins demoting each other at once cannot
/// both pass the check.
async fn ensure_another_admin(txn: &DatabaseTransaction, user_id: Uuid) -> Result<(), AdminError> {
    let admins: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::IsAdmin.eq(true))
        .filter(users::Column::IsActive.eq(true))
        .order_by_asc(users::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(txn)
        .await?;
    if admins.iter().any(|id| *id != user_id) {
        Ok(())
    } else {
        Err(AdminError::Conflict(
            "This is the last active admin; make someone else an admin first".into(),
        ))
    }
}

/// The families of the user's sessions not revoked yet: their cached principals must be dropped
/// after the commit for a change to apply at once.
async fn live_families<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> Result<Vec<Uuid>, AdminError> {
    Ok(auth_sessions::Entity::find()
        .select_only()
        .column(auth_sessions::Column::FamilyId)
        .distinct()
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?)
}

/// Marks every session of the user revoked; returns the families that were live.
async fn revoke_all<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> Result<Vec<Uuid>, AdminError> {
    let families = live_families(conn, user_id).await?;
    let at = now();
    auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(at))
        .col_expr(auth_sessions::Column::UpdatedAt, Expr::value(at))
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(families)
}

async fn forget(cache: &dyn Cache, user_id: Uuid, families: &[Uuid]) -> Result<(), AdminError> {
    for family in families {
        cache
            .delete(&cache_keys::principal(user_id, *family))
            .await?;
    }
    Ok(())
}

async fn set_flag(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    column: users::Column,
    value: bool,
) -> Result<users::Model, AdminError> {
    users::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .col_expr(users::Column::UpdatedAt, Expr::value(now()))
        .filter(users::Column::Id.eq(user_id))
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .next()
        .ok_or(AdminError::NotFound("User"))
}

/// Grants or removes admin rights. An admin cannot remove their own, and the last active admin keeps
/// theirs.
pub async fn set_admin(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    user_id: Uuid,
    is_admin: bool,
    reason: Option<&str>,
) -> Result<users::Model, AdminError> {
    let reason = reason_of(reason, false)?;
    if !is_admin && user_id == actor_id {
        return Err(invalid(
            "You cannot remove your own admin rights; ask another admin",
        ));
    }
    let txn = db.begin().await?;
    let user = target(&txn, user_id).await?;
    if user.is_admin == is_admin {
        return Ok(user);
    }
    if !is_admin && user.is_active {
        ensure_another_admin(&txn, user_id).await?;
    }
    let updated = set_flag(&txn, user_id, users::Column::IsAdmin, is_admin).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "users.set_admin",
            target_type: "user",
            target_id: user_id.to_string(),
            before: Some(json!({ "is_admin": user.is_admin })),
            after: Some(json!({ "is_admin": is_admin })),
            reason,
        },
    )
    .await?;
    let families = live_families(&txn, user_id).await?;
    txn.commit().await?;
    forget(cache, user_id, &families).await?;
    Ok(updated)
}

/// Blocks sign-in and refresh and signs the user out of every device at once; their data and
/// ledger stay as they are.
pub async fn deactivate(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    user_id: Uuid,
    reason: &str,
) -> Result<users::Model, AdminError> {
    let reason = reason_of(Some(reason), true)?;
    if user_id == actor_id {
        return Err(invalid("You cannot deactivate your own account"));
    }
    let txn = db.begin().await?;
    let user = target(&txn, user_id).await?;
    if !user.is_active {
        return Err(AdminError::Conflict(
            "This account is already deactivated".into(),
        ));
    }
    if user.is_admin {
        ensure_another_admin(&txn, user_id).await?;
    }
    let updated = set_flag(&txn, user_id, users::Column::IsActive, false).await?;
    let families = revoke_all(&txn, user_id).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "users.deactivate",
            target_type: "user",
            target_id: user_id.to_string(),
            before: Some(json!({ "is_active": true })),
            after: Some(json!({ "is_active": false, "sessions_revoked": families.len() })),
            reason,
        },
    )
    .await?;
    txn.commit().await?;
    forget(cache, user_id, &families).await?;
    Ok(updated)
}

/// Lets a deactivated user sign in again (their old sessions stay revoked).
pub async fn reactivate(
    db: &DatabaseConnection,
    actor_id: Uuid,
    user_id: Uuid,
    reason: Option<&str>,
) -> Result<users::Model, AdminError> {
    let reason = reason_of(reason, false)?;
    let txn = db.begin().await?;
    let user = target(&txn, user_id).await?;
    if user.is_active {
        return Err(AdminError::Conflict(
            "This account is already active".into(),
        ));
    }
    let updated = set_flag(&txn, user_id, users::Column::IsActive, true).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "users.reactivate",
            target_type: "user",
            target_id: user_id.to_string(),
            before: Some(json!({ "is_active": false })),
            after: Some(json!({ "is_active": true })),
            reason,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Signs the user out of every device; returns how many sessions were ended.
pub async fn revoke_sessions(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor_id: Uuid,
    user_id: Uuid,
    reason: Option<&str>,
) -> Result<u64, AdminError> {
    let reason = reason_of(reason, false)?;
    let txn = db.begin().await?;
    target(&txn, user_id).await?;
    let families = revoke_all(&txn, user_id).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id,
            action: "users.revoke_sessions",
            target_type: "user",
            target_id: user_id.to_string(),
            before: None,
            after: Some(json!({ "sessions_revoked": families.len() })),
            reason,
        },
    )
    .await?;
    txn.commit().await?;
    forget(cache, user_id, &families).await?;
    Ok(families.len() as u64)
}
