//! `platformStats`: the platform per UTC day and in total. A day's figures come from its rollup once
//! the day has closed (`crate::rollups`), and from grouped queries over the range otherwise (never a
//! query per day); days without activity are zeros.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fairydust_entities::{auth_sessions, dust_transactions, llm_usage_logs, users};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, QueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::invalid;
use super::{AdminError, circulation};
use crate::ledger::TransactionKind;
use crate::rollups;
use crate::user_sketch::UserSketch;

pub const MAX_DAYS: i64 = 366;
pub const TOP_APPS: usize = 10;
pub(super) const PLATFORM_REPORT: &str = "platform";
const APPS_REPORT: &str = "platform-apps";
const ACTIVE_USERS_REPORT: &str = "platform-active-users";

/// One UTC day, or the whole range. DUST amounts are positive sums of their kind; `adjusted` and
/// `net` are signed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Σ of every DUST amount (the change in circulation).
    #[serde(default)]
    pub net: i64,
    /// DUST held by all users at the end of the day (of the range, for the totals). Not stored in a
    /// rollup: it depends on every later day.
    #[serde(skip)]
    pub circulation: i64,
    pub llm_calls: i64,
    pub llm_fallbacks: i64,
    pub llm_cost_micros: i64,
}

/// Per app and day: DUST spent net of refunds, LLM cost in micro-dollars, LLM calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDay {
    pub dust_spent: i64,
    pub llm_cost_micros: i64,
    pub llm_calls: i64,
}

type AppDays = BTreeMap<Uuid, AppDay>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformStats {
    pub days: Vec<(NaiveDate, Measures)>,
    pub totals: Measures,
    /// (status, count) for every status.
    pub apps_by_status: Vec<(fairydust_entities::apps::AppStatus, i64)>,
    /// (app, DUST spent net of refunds), most first; empty unless asked for.
    pub top_apps_by_dust: Vec<(Uuid, i64)>,
    /// (app, LLM cost in micro-dollars, calls), most first; empty unless asked for.
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

/// (day, user) of the users with a session row (sign-in or refresh) or a consume in `[from, to)`.
fn active_users(day: &'static str, from: DateTime<Utc>, to: DateTime<Utc>) -> SelectStatement {
    let mut sessions = Query::select();
    let mut spends = Query::select();
    sessions.expr_as(Expr::cust(day), "day");
    spends.expr_as(Expr::cust(day), "day");
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
}

/// The sketch of each day's active users in `[from, to)`, from the raw rows.
async fn active_user_days(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, UserSketch>, AdminError> {
    let day = crate::sql::day_of_created_at(db.get_database_backend());
    let mut select = Query::select();
    select
        .column(Alias::new("day"))
        .column(Alias::new("user_id"))
        .from_subquery(active_users(day, from, to), Alias::new("a"));
    let mut days: BTreeMap<NaiveDate, UserSketch> = BTreeMap::new();
    for row in db.query_all(&select).await? {
        days.entry(day_key(&row)?)
            .or_default()
            .insert(row.try_get("", "user_id")?);
    }
    Ok(days)
}

/// Every measure but the circulation, per day of `[from, to)`, from the raw rows.
pub(super) async fn measure_days(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, Measures>, AdminError> {
    let day = crate::sql::day_of_created_at(db.get_database_backend());
    let mut days: BTreeMap<NaiveDate, Measures> = BTreeMap::new();

    let mut select = Query::select();
    select
        .expr_as(Expr::cust(day), "day")
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from(users::Entity)
        .and_where(users::Column::IsSystem.eq(false))
        .group_by_col(Alias::new("day"));
    in_range(&mut select, users::Column::CreatedAt, from, to);
    for row in db.query_all(&select).await? {
        days.entry(day_key(&row)?).or_default().new_users = row.try_get("", "n")?;
    }

    let mut select = Query::select();
    select
        .column(Alias::new("day"))
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(active_users(day, from, to), Alias::new("a"))
        .group_by_col(Alias::new("day"));
    for row in db.query_all(&select).await? {
        days.entry(day_key(&row)?).or_default().active_users = row.try_get("", "n")?;
    }

    let mut select = Query::select();
    select
        .expr_as(Expr::cust(day), "day")
        .expr_as(Expr::col(dust_transactions::Column::Kind), "kind")
        .expr_as(Expr::cust("CAST(SUM(amount) AS BIGINT)"), "total")
        .from(dust_transactions::Entity)
        .group_by_col(Alias::new("day"))
        .group_by_col(dust_transactions::Column::Kind);
    in_range(&mut select, dust_transactions::Column::CreatedAt, from, to);
    for row in db.query_all(&select).await? {
        let kind: TransactionKind = row.try_get("", "kind")?;
        let total: i64 = row.try_get("", "total")?;
        let measures = days.entry(day_key(&row)?).or_default();
        measures.net += total;
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

    let backend = db.get_database_backend();
    let mut select = Query::select();
    select
        .expr_as(Expr::cust(day), "day")
        .expr_as(Expr::cust("COUNT(*)"), "calls")
        .expr_as(
            Expr::cust(
                "CAST(COALESCE(SUM(CASE WHEN was_fallback THEN 1 ELSE 0 END), 0) AS BIGINT)",
            ),
            "fallbacks",
        )
        .expr_as(Expr::cust(crate::sql::cost_micros_sum(backend)), "cost")
        .from(llm_usage_logs::Entity)
        .group_by_col(Alias::new("day"));
    in_range(&mut select, llm_usage_logs::Column::CreatedAt, from, to);
    for row in db.query_all(&select).await? {
        let measures = days.entry(day_key(&row)?).or_default();
        measures.llm_calls = row.try_get("", "calls")?;
        measures.llm_fallbacks = row.try_get("", "fallbacks")?;
        measures.llm_cost_micros = row.try_get("", "cost")?;
    }
    Ok(days)
}

/// DUST spent and LLM use per app, per day of `[from, to)`, from the raw rows.
async fn app_days(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, AppDays>, AdminError> {
    let backend = db.get_database_backend();
    let day = crate::sql::day_of_created_at(backend);
    let mut days: BTreeMap<NaiveDate, AppDays> = BTreeMap::new();

    let mut select = Query::select();
    select
        .expr_as(Expr::cust(day), "day")
        .column(dust_transactions::Column::AppId)
        .expr_as(Expr::cust("CAST(-SUM(amount) AS BIGINT)"), "spent")
        .from(dust_transactions::Entity)
        .and_where(dust_transactions::Column::AppId.is_not_null())
        .and_where(
            dust_transactions::Column::Kind
                .is_in([TransactionKind::Consume, TransactionKind::Refund]),
        )
        .group_by_col(Alias::new("day"))
        .group_by_col(dust_transactions::Column::AppId);
    in_range(&mut select, dust_transactions::Column::CreatedAt, from, to);
    for row in db.query_all(&select).await? {
        let app: Uuid = row.try_get("", "app_id")?;
        let apps = days.entry(day_key(&row)?).or_default();
        apps.entry(app).or_default().dust_spent = row.try_get("", "spent")?;
    }

    let mut select = Query::select();
    select
        .expr_as(Expr::cust(day), "day")
        .column(llm_usage_logs::Column::AppId)
        .expr_as(Expr::cust("COUNT(*)"), "calls")
        .expr_as(Expr::cust(crate::sql::cost_micros_sum(backend)), "cost")
        .from(llm_usage_logs::Entity)
        .group_by_col(Alias::new("day"))
        .group_by_col(llm_usage_logs::Column::AppId);
    in_range(&mut select, llm_usage_logs::Column::CreatedAt, from, to);
    for row in db.query_all(&select).await? {
        let app: Uuid = row.try_get("", "app_id")?;
        let figures = days
            .entry(day_key(&row)?)
            .or_default()
            .entry(app)
            .or_default();
        figures.llm_calls = row.try_get("", "calls")?;
        figures.llm_cost_micros = row.try_get("", "cost")?;
    }
    Ok(days)
}

/// Computes and stores whatever rollups of `days` (all closed) the platform report lacks, and the
/// circulation anchor of `now`, so the next report reads them instead.
pub async fn fill_rollups(
    db: &DatabaseConnection,
    days: &[NaiveDate],
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    rollups::closed_days(db, PLATFORM_REPORT, days, |from, to| {
        measure_days(db, from, to)
    })
    .await?;
    rollups::closed_days(db, APPS_REPORT, days, |from, to| app_days(db, from, to)).await?;
    rollups::closed_days(db, ACTIVE_USERS_REPORT, days, |from, to| {
        active_user_days(db, from, to)
    })
    .await?;
    circulation::held_at(db, now, now).await?;
    Ok(())
}

fn top<T>(mut rows: Vec<T>, key: impl Fn(&T) -> i64) -> Vec<T> {
    rows.sort_by_key(|row| std::cmp::Reverse(key(row)));
    rows.truncate(TOP_APPS);
    rows
}

pub async fn platform_stats(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    with_top_apps: bool,
) -> Result<PlatformStats, AdminError> {
    if to <= from || to - from > Duration::days(MAX_DAYS) {
        return Err(invalid(format!(
            "to must be after from, at most {MAX_DAYS} days later"
        )));
    }
    let now = Utc::now();
    let split = rollups::split(from, to, now);
    let mut measured = rollups::per_day(db, PLATFORM_REPORT, &split, |from, to| {
        measure_days(db, from, to)
    })
    .await?;

    let mut days: BTreeMap<NaiveDate, Measures> = BTreeMap::new();
    let mut date = from.date_naive();
    let last = (to - Duration::microseconds(1)).date_naive();
    while date <= last {
        days.insert(date, measured.remove(&date).unwrap_or_default());
        date = date.succ_opt().unwrap_or(date);
        if date == NaiveDate::MAX {
            break;
        }
    }

    let mut circulation = circulation::held_at(db, from, now).await?;
    let mut totals = Measures::default();
    for measures in days.values_mut() {
        circulation += measures.net;
        measures.circulation = circulation;
        totals.new_users += measures.new_users;
        totals.granted += measures.granted;
        totals.consumed += measures.consumed;
        totals.purchased += measures.purchased;
        totals.refunded += measures.refunded;
        totals.rewarded += measures.rewarded;
        totals.adjusted += measures.adjusted;
        totals.net += measures.net;
        totals.llm_calls += measures.llm_calls;
        totals.llm_fallbacks += measures.llm_fallbacks;
        totals.llm_cost_micros += measures.llm_cost_micros;
    }
    totals.circulation = circulation;
    // Someone active on two days counts once: the days' sketches merge, they do not add up.
    let active = rollups::per_day(db, ACTIVE_USERS_REPORT, &split, |from, to| {
        active_user_days(db, from, to)
    })
    .await?;
    totals.active_users = UserSketch::union(active.values()).count();

    let (mut top_apps_by_dust, mut top_apps_by_cost) = (Vec::new(), Vec::new());
    if with_top_apps {
        let per_day =
            rollups::per_day(db, APPS_REPORT, &split, |from, to| app_days(db, from, to)).await?;
        let mut per_app: BTreeMap<Uuid, AppDay> = BTreeMap::new();
        for (app, figures) in per_day.into_values().flatten() {
            let sum = per_app.entry(app).or_default();
            sum.dust_spent += figures.dust_spent;
            sum.llm_cost_micros += figures.llm_cost_micros;
            sum.llm_calls += figures.llm_calls;
        }
        top_apps_by_dust = top(
            per_app
                .iter()
                .filter(|(_, sum)| sum.dust_spent > 0)
                .map(|(app, sum)| (*app, sum.dust_spent))
                .collect(),
            |(_, spent)| *spent,
        );
        top_apps_by_cost = top(
            per_app
                .iter()
                .filter(|(_, sum)| sum.llm_calls > 0)
                .map(|(app, sum)| (*app, sum.llm_cost_micros, sum.llm_calls))
                .collect(),
            |(_, cost, _)| *cost,
        );
    }

    Ok(PlatformStats {
        days: days.into_iter().collect(),
        totals,
        apps_by_status: crate::apps::review::status_counts(db, &Default::default()).await?,
        top_apps_by_dust,
        top_apps_by_cost,
    })
}
