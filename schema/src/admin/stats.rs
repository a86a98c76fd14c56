//! `platformStats`: the platform per UTC day and in total. Each measure is one grouped query over
//! the whole range (never a query per day); days without activity are filled with zeros here.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fairydust_entities::{auth_sessions, dust_transactions, users};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, QueryResult};
use uuid::Uuid;

use super::AdminError;
use super::error::invalid;
use crate::ledger::TransactionKind;
use crate::llm::analytics::{self, GroupBy, UsageFilter};

pub const MAX_DAYS: i64 = 366;
pub const TOP_APPS: u64 = 10;

/// One UTC day, or the whole range. DUST amounts are positive sums of their kind; `adjusted` and
/// `net` are signed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Measures {
    pub new_users: i64,
    /// Users who signed in (or refreshed a session) or spent DUST.
    pub active_users: i64,
    pub granted: i64,
    pub consumed: i64,
    pub purchased: i64,
    pub refunded: i64,
    pub rewarded: i64,
    pub adjusted: i64,
    /// DUST held by all users at the end of the day (of the range, for the totals).
    pub circulation: i64,
    pub llm_calls: i64,
    pub llm_fallbacks: i64,
    pub llm_cost_micros: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformStats {
    pub days: Vec<(NaiveDate, Measures)>,
    pub totals: Measures,
    /// (status, count) for every status.
    pub apps_by_status: Vec<(fairydust_entities::apps::AppStatus, i64)>,
    /// (app, DUST spent net of refunds), most first.
    pub top_apps_by_dust: Vec<(Uuid, i64)>,
    /// (app, LLM cost in micro-dollars, calls), most first.
    pub top_apps_by_cost: Vec<(Uuid, i64, i64)>,
}

fn day_key(row: &QueryResult) -> Result<NaiveDate, sea_orm::DbErr> {
    let day: String = row.try_get("", "day")?;
    NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .map_err(|e| sea_orm::DbErr::Type(format!("bad day {day:?}: {e}")))
}

fn in_range<C: sea_orm::sea_query::IntoColumnRef + Copy>(
    select: &mut SelectStatement,
    column: C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) {
    select
        .and_where(Expr::col(column).gte(from))
        .and_where(Expr::col(column).lt(to));
}

pub async fn platform_stats(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<PlatformStats, AdminError> {
    if to <= from || to - from > Duration::days(MAX_DAYS) {
        return Err(invalid(format!(
            "to must be after from, at most {MAX_DAYS} days later"
        )));
    }
    let backend = db.get_database_backend();
    let day = crate::sql::day_of_created_at(backend);
    let mut days: BTreeMap<NaiveDate, Measures> = BTreeMap::new();
    let mut date = from.date_naive();
    let last = (to - Duration::microseconds(1)).date_naive();
    while date <= last {
        days.insert(date, Measures::default());
        date = date.succ_opt().unwrap_or(date);
        if date == NaiveDate::MAX {
            break;
        }
    }
    let mut totals = Measures::default();

    // New users.
    let mut select = Query::select();
    select
        .expr_as(Expr::cust(day), "day")
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(users::Entity)
        .and_where(users::Column::IsSystem.eq(false))
        .group_by_col(Alias::new("day"));
    in_range(&mut select, users::Column::CreatedAt, from, to);
    for row in db.query_all(&select).await? {
        let n: i64 = row.try_get("", "n")?;
        days.entry(day_key(&row)?).or_default().new_users = n;
        totals.new_users += n;
    }

    // Active users: a session row (sign-in or refresh) or a consume, per day and over the range.
    let activity = |with_day: bool| {
        let mut sessions = Query::select();
        let mut spends = Query::select();
        if with_day {
            sessions.expr_as(Expr::cust(day), "day");
            spends.expr_as(Expr::cust(day), "day");
        }
        sessions
            .column(auth_sessions::Column::UserId)
            .from(auth_sessions::Entity);
        in_range(&mut sessions, auth_sessions::Column::CreatedAt, from, to);
        spends
            .column(dust_transactions::Column::UserId)
            .from(dust_transactions::Entity)
            .and_where(dust_transactions::Column::Kind.eq(TransactionKind::Consume));
        in_range(&mut spends, dust_transactions::Column::CreatedAt, from, to);
        sessions.union(UnionType::Distinct, spends).take()
    };
    let mut select = Query::select();
    select
        .column(Alias::new("day"))
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(activity(true), Alias::new("a"))
        .group_by_col(Alias::new("day"));
    for row in db.query_all(&select).await? {
        days.entry(day_key(&row)?).or_default().active_users = row.try_get("", "n")?;
    }
    let mut select = Query::select();
    select
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(activity(false), Alias::new("a"));
    if let Some(row) = db.query_one(&select).await? {
        totals.active_users = row.try_get("", "n")?;
    }

    // DUST by kind, and the circulation: what users hold now minus what moved since `from` is what
    // they held at `from` (Σ transactions = balance, the ledger's invariant).
    let mut select = Query::select();
    select
        .expr_as(Expr::cust(day), "day")
        .expr_as(Expr::col(dust_transactions::Column::Kind), "kind")
        .expr_as(Expr::cust("CAST(SUM(amount) AS BIGINT)"), "total")
        .from(dust_transactions::Entity)
        .group_by_col(Alias::new("day"))
        .group_by_col(dust_transactions::Column::Kind);
    in_range(&mut select, dust_transactions::Column::CreatedAt, from, to);
    let mut net_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for row in db.query_all(&select).await? {
        let date = day_key(&row)?;
        let kind: TransactionKind = row.try_get("", "kind")?;
        let total: i64 = row.try_get("", "total")?;
        *net_by_day.entry(date).or_default() += total;
        let measures = days.entry(date).or_default();
        let (slot, value) = match kind {
            TransactionKind::Grant => (&mut measures.granted, total),
            TransactionKind::Consume => (&mut measures.consumed, -total),
            TransactionKind::Purchase => (&mut measures.purchased, total),
            TransactionKind::Refund => (&mut measures.refunded, total),
            TransactionKind::Reward => (&mut measures.rewarded, total),
            TransactionKind::Adjustment => (&mut measures.adjusted, total),
        };
        *slot += value;
    }
    let mut select = Query::select();
    select
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(dust_balance), 0) AS BIGINT)"),
            "total",
        )
        .from(users::Entity);
    let held_now: i64 = match db.query_one(&select).await? {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    let mut select = Query::select();
    select
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
            "total",
        )
        .from(dust_transactions::Entity)
        .and_where(dust_transactions::Column::CreatedAt.gte(from));
    let moved_since: i64 = match db.query_one(&select).await? {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    let mut circulation = held_now - moved_since;
    for (date, measures) in days.iter_mut() {
        circulation += net_by_day.get(date).copied().unwrap_or(0);
        measures.circulation = circulation;
        totals.granted += measures.granted;
        totals.consumed += measures.consumed;
        totals.purchased += measures.purchased;
        totals.refunded += measures.refunded;
        totals.rewarded += measures.rewarded;
        totals.adjusted += measures.adjusted;
    }
    totals.circulation = circulation;

    // LLM calls, fallbacks and cost.
    let filter = UsageFilter {
        app_id: None,
        user_id: None,
        from,
        to,
    };
    for group in analytics::grouped(db, &filter, GroupBy::Day).await? {
        let date = NaiveDate::parse_from_str(&group.key, "%Y-%m-%d")
            .map_err(|e| sea_orm::DbErr::Type(format!("bad day {:?}: {e}", group.key)))?;
        let measures = days.entry(date).or_default();
        measures.llm_calls = group.totals.requests;
        measures.llm_fallbacks = group.totals.fallbacks;
        measures.llm_cost_micros = group.totals.cost_micros;
        totals.llm_calls += group.totals.requests;
        totals.llm_fallbacks += group.totals.fallbacks;
        totals.llm_cost_micros += group.totals.cost_micros;
    }
    let top_apps_by_cost = analytics::grouped(db, &filter, GroupBy::App)
        .await?
        .into_iter()
        .filter_map(|g| {
            g.app_id
                .map(|id| (id, g.totals.cost_micros, g.totals.requests))
        })
        .take(TOP_APPS as usize)
        .collect();

    // Apps.
    let apps_by_status = crate::apps::review::status_counts(db, &Default::default()).await?;
    let mut select = Query::select();
    select
        .column(dust_transactions::Column::AppId)
        .expr_as(Expr::cust("CAST(-SUM(amount) AS BIGINT)"), "spent")
        .from(dust_transactions::Entity)
        .and_where(dust_transactions::Column::AppId.is_not_null())
        .and_where(
            dust_transactions::Column::Kind
                .is_in([TransactionKind::Consume, TransactionKind::Refund]),
        )
        .group_by_col(dust_transactions::Column::AppId)
        .order_by(Alias::new("spent"), Order::Desc)
        .limit(TOP_APPS);
    in_range(&mut select, dust_transactions::Column::CreatedAt, from, to);
    let top_apps_by_dust = db
        .query_all(&select)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("", "app_id")?, row.try_get("", "spent")?)))
        .collect::<Result<Vec<(Uuid, i64)>, sea_orm::DbErr>>()?
        .into_iter()
        .filter(|(_, spent)| *spent > 0)
        .collect();

    Ok(PlatformStats {
        days: days.into_iter().collect(),
        totals,
        apps_by_status,
        top_apps_by_dust,
        top_apps_by_cost,
    })
}
