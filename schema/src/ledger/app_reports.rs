//! The ledger as an app's builder sees it: the DUST moved in their app, newest first, and what the
//! app earned per UTC day. Earned = what users paid for the app's actions minus what was refunded.

use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::dust_transactions::{self, Column};
use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{LedgerError, TransactionKind};
use crate::pagination::Cursor;

/// The kinds that count toward an app's earnings.
pub const EARNING_KINDS: [TransactionKind; 2] = [TransactionKind::Consume, TransactionKind::Refund];

fn in_app(app_id: Uuid, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Condition {
    let mut condition = Condition::all().add(Column::AppId.eq(app_id));
    if let Some(from) = from {
        condition = condition.add(Column::CreatedAt.gte(from));
    }
    if let Some(to) = to {
        condition = condition.add(Column::CreatedAt.lt(to));
    }
    condition
}

/// Up to `limit` of the app's transactions after `after`, newest first (`to` exclusive), and the
/// total matching when asked.
pub async fn history(
    db: &DatabaseConnection,
    app_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<dust_transactions::Model>, i64), LedgerError> {
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        return Err(LedgerError::InvalidInput("to must be after from".into()));
    }
    let mut query = dust_transactions::Entity::find().filter(in_app(app_id, from, to));
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
            .filter(in_app(app_id, from, to))
            .count(db)
            .await? as i64
    } else {
        0
    };
    Ok((rows, total))
}

/// One UTC day of an app's earnings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EarningDay {
    pub date: NaiveDate,
    /// DUST paid for the app's actions, net of refunds.
    pub dust_earned: i64,
    /// Consume transactions (each one a charged use).
    pub consumes: i64,
}

pub async fn earnings_by_day<C: ConnectionTrait>(
    db: &C,
    app_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<EarningDay>, LedgerError> {
    let backend = db.get_database_backend();
    let select = Query::select()
        .expr_as(Expr::cust(crate::sql::day_of_created_at(backend)), "day")
        .expr_as(
            Expr::cust("CAST(COALESCE(-SUM(amount), 0) AS BIGINT)"),
            "earned",
        )
        .expr_as(
            Expr::cust(
                "CAST(COALESCE(SUM(CASE WHEN type = 'consume' THEN 1 ELSE 0 END), 0) AS BIGINT)",
            ),
            "consumes",
        )
        .from(dust_transactions::Entity)
        .cond_where(in_app(app_id, Some(from), Some(to)).add(Column::Kind.is_in(EARNING_KINDS)))
        .group_by_col(Alias::new("day"))
        .order_by(Alias::new("day"), Order::Asc)
        .take();
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| {
            let day: String = row.try_get("", "day")?;
            Ok(EarningDay {
                date: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|e| sea_orm::DbErr::Type(format!("bad day {day:?}: {e}")))?,
                dust_earned: row.try_get("", "earned")?,
                consumes: row.try_get("", "consumes")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(LedgerError::from)
}
