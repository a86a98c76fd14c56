//! Reading the admin audit log: filtered, newest first.

use chrono::{DateTime, Utc};
use fairydust_entities::admin_audit_log::{self, Column};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::AdminError;
use crate::pagination::Cursor;

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
    let mut query = admin_audit_log::Entity::find().filter(filter.condition());
    if let Some(cursor) = after {
        query = query.filter(cursor.beyond(Column::CreatedAt, Column::Id, true));
    }
    let rows = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let total = if with_total {
        admin_audit_log::Entity::find()
            .filter(filter.condition())
            .count(db)
            .await? as i64
    } else {
        0
    };
    Ok((rows, total))
}
