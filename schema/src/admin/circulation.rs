//! `dustInCirculation`: the DUST all users held at an instant. A balance is the sum of its user's
//! transactions (the ledger's invariant), so what users held at any instant is one anchor carried by
//! the net of the transactions between. The anchor is what users held when the last closed day ended,
//! computed once per day into a rollup; the days between an instant and the anchor come from the
//! platform's daily rollups, so a report never sums a million balances.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fairydust_entities::{dust_transactions, users};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection};

use super::AdminError;
use super::stats::{PLATFORM_REPORT, measure_days};
use crate::rollups;

const CIRCULATION_REPORT: &str = "platform-circulation";

/// The DUST all users held at `at`.
pub async fn held_at(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64, AdminError> {
    let anchor = rollups::open_from(now);
    let anchor_day = (anchor - Duration::days(1)).date_naive();
    let held = rollups::closed_days(db, CIRCULATION_REPORT, &[anchor_day], |_, end| {
        held_when_ended(db, anchor_day, end)
    })
    .await?;
    let held_at_anchor = held.get(&anchor_day).copied().unwrap_or_default();
    Ok(if at <= anchor {
        held_at_anchor - net_between(db, at, anchor, now).await?
    } else {
        held_at_anchor + net_between(db, anchor, at, now).await?
    })
}

/// What users held at `end`: every balance now minus what was written since, in one statement so
/// that both sums read the same snapshot (a debit committing in between would count in one only).
async fn held_when_ended(
    db: &DatabaseConnection,
    day: NaiveDate,
    end: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, i64>, AdminError> {
    let balances = Query::select()
        .expr(Expr::cust("COALESCE(SUM(dust_balance), 0)"))
        .from(users::Entity)
        .take();
    let written_since = Query::select()
        .expr(Expr::cust("COALESCE(SUM(amount), 0)"))
        .from(dust_transactions::Entity)
        .and_where(dust_transactions::Column::CreatedAt.gte(end))
        .take();
    let select = Query::select()
        .expr_as(
            Expr::SubQuery(None, Box::new(balances.into()))
                .sub(Expr::SubQuery(None, Box::new(written_since.into()))),
            "held",
        )
        .take();
    let held: i64 = match db.query_one(&select).await? {
        Some(row) => row.try_get("", "held")?,
        None => 0,
    };
    Ok(BTreeMap::from([(day, held)]))
}

/// Σ of every DUST amount written in `[from, to)`: whole closed days from the platform rollups, the
/// rest live.
async fn net_between(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64, AdminError> {
    let split = rollups::split(from, to, now);
    let closed = rollups::closed_days(db, PLATFORM_REPORT, &split.closed_days, |from, to| {
        measure_days(db, from, to)
    })
    .await?;
    let mut net: i64 = closed.values().map(|day| day.net).sum();
    for (from, to) in split.live {
        let select = Query::select()
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
                "total",
            )
            .from(dust_transactions::Entity)
            .and_where(dust_transactions::Column::CreatedAt.gte(from))
            .and_where(dust_transactions::Column::CreatedAt.lt(to))
            .take();
        if let Some(row) = db.query_one(&select).await? {
            net += row.try_get::<i64>("", "total")?;
        }
    }
    Ok(net)
}
