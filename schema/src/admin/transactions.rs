//! The platform-wide ledger for admins: every user's transactions, filtered, newest first.

use chrono::{DateTime, Utc};
use fairydust_entities::dust_transactions::{self, Column};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::AdminError;
use crate::ledger::TransactionKind;
use crate::pagination::Cursor;

#[derive(Clone, Debug, Default)]
pub struct TransactionFilter {
    pub user_id: Option<Uuid>,
    pub app_id: Option<Uuid>,
    pub kind: Option<TransactionKind>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

impl TransactionFilter {
    pub fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(user_id) = self.user_id {
            condition = condition.add(Column::UserId.eq(user_id));
        }
        if let Some(app_id) = self.app_id {
            condition = condition.add(Column::AppId.eq(app_id));
        }
        if let Some(kind) = self.kind {
            condition = condition.add(Column::Kind.eq(kind.as_str()));
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
    filter: &TransactionFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<dust_transactions::Model>, i64), AdminError> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to <= from
    {
        return Err(super::error::invalid("to must be after from"));
    }
    let mut query = dust_transactions::Entity::find().filter(filter.condition());
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
        dust_transactions::Entity::find()
            .filter(filter.condition())
            .count(db)
            .await? as i64
    } else {
        0
    };
    Ok((rows, total))
}

pub async fn find(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<dust_transactions::Model, AdminError> {
    dust_transactions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AdminError::NotFound("Transaction"))
}
