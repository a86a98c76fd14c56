//! Reading the ledger: a user's history and totals, per-app analytics.

use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::dust_transactions::{self, Column};
use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{LedgerError, TransactionKind};
use crate::pagination::{Cursor, Order as PageOrder, keyset_page};

/// Which transactions a list shows: one user's history, one app's, or the whole platform's (admins).
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
            condition = condition.add(Column::Kind.eq(kind));
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

/// Up to `limit` transactions after `after`, newest first, and the total matching the filter when asked.
pub async fn transactions(
    db: &DatabaseConnection,
    filter: &TransactionFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<dust_transactions::Model>, i64), LedgerError> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to <= from
    {
        return Err(LedgerError::InvalidInput("to must be after from".into()));
    }
    Ok(keyset_page(
        db,
        dust_transactions::Entity::find().filter(filter.condition()),
        (Column::CreatedAt, Column::Id),
        PageOrder::NewestFirst,
        after,
        limit,
        with_total,
    )
    .await?)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DustStats {
    pub granted: i64,
    pub consumed: i64,
    pub purchased: i64,
    pub refunded: i64,
    pub rewarded: i64,
    pub adjusted: i64,
    pub count: i64,
    pub favorite_app_id: Option<Uuid>,
}

pub async fn stats(db: &DatabaseConnection, user_id: Uuid) -> Result<DustStats, LedgerError> {
    let totals: Vec<(TransactionKind, Option<i64>, i64)> = dust_transactions::Entity::find()
        .select_only()
        .column(Column::Kind)
        .column_as(Expr::cust("CAST(SUM(amount) AS BIGINT)"), "total")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(Column::UserId.eq(user_id))
        .group_by(Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut stats = DustStats::default();
    for (kind, total, n) in totals {
        let total = total.unwrap_or(0);
        stats.count += n;
        match kind {
            TransactionKind::Grant => stats.granted = total,
            TransactionKind::Consume => stats.consumed = -total,
            TransactionKind::Purchase => stats.purchased = total,
            TransactionKind::Refund => stats.refunded = total,
            TransactionKind::Reward => stats.rewarded = total,
            TransactionKind::Adjustment => stats.adjusted = total,
        }
    }
    stats.favorite_app_id = dust_transactions::Entity::find()
        .select_only()
        .column(Column::AppId)
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(TransactionKind::Consume))
        .filter(Column::AppId.is_not_null())
        .group_by(Column::AppId)
        .order_by_desc(Expr::cust("COUNT(*)"))
        .limit(1)
        .into_tuple::<Option<Uuid>>()
        .one(db)
        .await?
        .flatten();
    Ok(stats)
}

/// One UTC day of an app's DUST use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppDustDay {
    pub date: NaiveDate,
    pub unique_users: i64,
    pub transactions: i64,
    pub dust_consumed: i64,
}

pub async fn app_analytics(
    db: &DatabaseConnection,
    app_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AppDustDay>, LedgerError> {
    let backend = db.get_database_backend();
    let day = crate::sql::day_of_created_at(backend);
    let select = Query::select()
        .expr_as(Expr::cust(day), "day")
        .expr_as(Expr::cust("COUNT(DISTINCT user_id)"), "unique_users")
        .expr_as(Expr::cust("COUNT(*)"), "transactions")
        .expr_as(Expr::cust("CAST(-SUM(amount) AS BIGINT)"), "dust_consumed")
        .from(dust_transactions::Entity)
        .and_where(Column::AppId.eq(app_id))
        .and_where(Column::Kind.eq(TransactionKind::Consume))
        .and_where(Column::CreatedAt.gte(from))
        .and_where(Column::CreatedAt.lt(to))
        .group_by_col(Alias::new("day"))
        .order_by(Alias::new("day"), Order::Asc)
        .take();
    let rows = db.query_all_raw(backend.build(&select)).await?;
    rows.iter()
        .map(|row| {
            let day: String = row.try_get("", "day")?;
            Ok(AppDustDay {
                date: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|e| sea_orm::DbErr::Type(format!("bad day {day:?}: {e}")))?,
                unique_users: row.try_get("", "unique_users")?,
                transactions: row.try_get("", "transactions")?,
                dust_consumed: row.try_get("", "dust_consumed")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(LedgerError::from)
}
