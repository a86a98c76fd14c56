//! Reading the admin audit log: filtered, newest first.

use chrono::{DateTime, Utc};
use fairydust_entities::admin_audit_log::{self, Column};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::AdminError;
use crate::pagination::{Cursor, Order, keyset_page};

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    /// Exact, e.g. `ledger.grant`.
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    pub fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(actor) = self.actor_id {
            condition = condition.add(Column::ActorId.eq(actor));
        }
        if let Some(action) = &self.action {
            condition = condition.add(Column::Action.eq(action.trim()));
        }
        if let Some(target_type) = &self.target_type {
            condition = condition.add(Column::TargetType.eq(target_type.trim()));
        }
        if let Some(target_id) = &self.target_id {
            condition = condition.add(Column::TargetId.eq(target_id.trim()));
        }
        if let Some(from) = self.from {
            condition = condition.add(Column::CreatedAt.gte(from));
        }
        if let Some(to) = self.to {
            condition = condition.add(Column::CreatedAt.lt(to));
        }
        condition
    }
}

pub async fn page(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<admin_audit_log::Model>, i64), AdminError> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to <= from
    {
        return Err(super::error::invalid("to must be after from"));
    }
    Ok(keyset_page(
        db,
        admin_audit_log::Entity::find().filter(filter.condition()),
        (Column::CreatedAt, Column::Id),
        Order::NewestFirst,
        after,
        limit,
        with_total,
    )
    .await?)
}
