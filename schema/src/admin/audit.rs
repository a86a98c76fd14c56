//! `admin_audit_log`: one row per admin mutation, written in the same database transaction as the
//! change it records, with the actor taken from the token.

use fairydust_entities::{admin_audit_log, now};
use sea_orm::{ConnectionTrait, EntityTrait, IntoActiveModel};
use serde_json::Value;
use uuid::Uuid;

pub struct AuditEntry<'a> {
    pub actor_id: Uuid,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    entry: AuditEntry<'_>,
) -> Result<(), sea_orm::DbErr> {
    let at = now();
    let row = admin_audit_log::Model {
        id: Uuid::now_v7(),
        actor_id: Some(entry.actor_id),
        action: entry.action.to_owned(),
        target_type: entry.target_type.to_owned(),
        target_id: entry.target_id,
        before: entry.before,
        after: entry.after,
        reason: entry.reason,
        created_at: at,
        updated_at: at,
    };
    admin_audit_log::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
