//! `llmAnalytics`: platform-wide LLM usage over a range, by day, model, app and action. Closed days
//! come from their rollups (`crate::rollups`), the rest from the raw rows. Distinct users are not a
//! sum of days: the range's total merges each day's sketch of its users (`crate::user_sketch`); the
//! breakdowns' are counted live over the range, and only for the breakdowns a caller asks them of.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::llm_usage_logs::{self, Column};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::LlmError;
use super::analytics::{self, GroupBy, UsageFilter, UsageGroup, UsageTotals};
use crate::rollups;
use crate::user_sketch::UserSketch;

const REPORT: &str = "llm";
const USERS_REPORT: &str = "llm-users";

/// One day's usage, split three ways. Each breakdown's `unique_users` is left at 0 (not a sum);
/// `totals.unique_users` is the day's own distinct users.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct UsageDay {
    totals: UsageTotals,
    by_model: BTreeMap<String, UsageTotals>,
    by_app: BTreeMap<Uuid, UsageTotals>,
    by_action: BTreeMap<String, UsageTotals>,
}

/// Which breakdowns need their distinct users counted (each is a pass over the range's rows).
#[derive(Clone, Copy, Debug, Default)]
pub struct DistinctUsers {
    pub totals: bool,
    pub by_model: bool,
    pub by_app: bool,
    pub by_action: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformUsage {
    pub totals: UsageTotals,
    /// Days with calls, oldest first.
    pub by_day: Vec<UsageGroup>,
    /// The breakdowns, costliest first.
    pub by_model: Vec<UsageGroup>,
    pub by_app: Vec<UsageGroup>,
    pub by_action: Vec<UsageGroup>,
}

fn filter(from: DateTime<Utc>, to: DateTime<Utc>) -> UsageFilter {
    UsageFilter {
        app_id: None,
        user_id: None,
        from,
        to,
    }
}

/// Per day of `[from, to)`, from the raw rows: one pass grouped by day, model, app and action, and
/// one for each day's distinct users.
async fn usage_days(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, UsageDay>, LlmError> {
    let backend = db.get_database_backend();
    let mut select = analytics::base(db, &filter(from, to));
    select
        .expr_as(Expr::cust(GroupBy::Day.key(backend)), "day")
        .expr_as(Expr::cust(GroupBy::Model.key(backend)), "model_key")
        .expr_as(Expr::cust(GroupBy::App.key(backend)), "app_key")
        .expr_as(Expr::cust(GroupBy::Action.key(backend)), "action_key")
        .group_by_col(Alias::new("day"))
        .group_by_col(Alias::new("model_key"))
        .group_by_col(Alias::new("app_key"))
        .group_by_col(Alias::new("action_key"));
    let mut days: BTreeMap<NaiveDate, UsageDay> = BTreeMap::new();
    for row in db.query_all(&select).await? {
        let mut totals = analytics::totals_of(&row)?;
        totals.unique_users = 0;
        let day = day_of(&row.try_get::<String>("", "day")?)?;
        let model: String = row.try_get("", "model_key")?;
        let app: Uuid = row.try_get("", "app_key")?;
        let action: String = row.try_get("", "action_key")?;
        let entry = days.entry(day).or_default();
        entry.totals.add(&totals);
        entry.by_model.entry(model).or_default().add(&totals);
        entry.by_app.entry(app).or_default().add(&totals);
        entry.by_action.entry(action).or_default().add(&totals);
    }
    for (key, users) in distinct_users(db, from, to, GroupBy::Day).await? {
        days.entry(day_of(&key)?).or_default().totals.unique_users = users;
    }
    Ok(days)
}

/// The sketch of each day's users in `[from, to)`, from the raw rows.
async fn user_days(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, UserSketch>, LlmError> {
    let backend = db.get_database_backend();
    let mut select = Query::select();
    select
        .distinct()
        .expr_as(Expr::cust(GroupBy::Day.key(backend)), "day")
        .column(Column::UserId)
        .from(llm_usage_logs::Entity)
        .and_where(Column::CreatedAt.gte(from))
        .and_where(Column::CreatedAt.lt(to));
    let mut days: BTreeMap<NaiveDate, UserSketch> = BTreeMap::new();
    for row in db.query_all(&select).await? {
        days.entry(day_of(&row.try_get::<String>("", "day")?)?)
            .or_default()
            .insert(row.try_get("", "user_id")?);
    }
    Ok(days)
}

fn day_of(key: &str) -> Result<NaiveDate, LlmError> {
    NaiveDate::parse_from_str(key, "%Y-%m-%d")
        .map_err(|e| sea_orm::DbErr::Type(format!("bad day {key:?}: {e}")).into())
}

/// Distinct users of `[from, to)` per group of `by`.
async fn distinct_users(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: GroupBy,
) -> Result<BTreeMap<String, i64>, LlmError> {
    let backend = db.get_database_backend();
    let mut select = Query::select();
    select
        .expr_as(Expr::cust("COUNT(DISTINCT user_id)"), "users")
        .from(llm_usage_logs::Entity)
        .and_where(Column::CreatedAt.gte(from))
        .and_where(Column::CreatedAt.lt(to));
    match by {
        // The app key is a uuid column: read it as one, like the other keys as text.
        GroupBy::App => select.column(Column::AppId).group_by_col(Column::AppId),
        by => select
            .expr_as(Expr::cust(by.key(backend)), "group_key")
            .group_by_col(Alias::new("group_key")),
    };
    let mut found = BTreeMap::new();
    for row in crate::sql::query_all_with_room(db, &select).await? {
        let key = match by {
            GroupBy::App => row.try_get::<Uuid>("", "app_id")?.to_string(),
            _ => row.try_get("", "group_key")?,
        };
        found.insert(key, row.try_get("", "users")?);
    }
    Ok(found)
}

/// Computes and stores whatever rollups of `days` (all closed) the report lacks.
pub async fn fill_rollups(db: &DatabaseConnection, days: &[NaiveDate]) -> Result<(), LlmError> {
    rollups::closed_days(db, REPORT, days, |from, to| usage_days(db, from, to)).await?;
    rollups::closed_days(db, USERS_REPORT, days, |from, to| user_days(db, from, to)).await?;
    Ok(())
}

fn ranked<K: ToString>(
    groups: BTreeMap<K, UsageTotals>,
    users: Option<&BTreeMap<String, i64>>,
    app_id: impl Fn(&K) -> Option<Uuid>,
) -> Vec<UsageGroup> {
    let mut rows: Vec<UsageGroup> = groups
        .into_iter()
        .map(|(key, mut totals)| {
            let key_text = key.to_string();
            totals.unique_users = users
                .and_then(|users| users.get(&key_text).copied())
                .unwrap_or(0);
            UsageGroup {
                app_id: app_id(&key),
                key: key_text,
                totals,
            }
        })
        .collect();
    rows.sort_by_key(|group| std::cmp::Reverse(group.totals.cost_micros));
    rows
}

pub async fn platform_usage(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    distinct: DistinctUsers,
) -> Result<PlatformUsage, LlmError> {
    let split = rollups::split(from, to, Utc::now());
    let days = rollups::per_day(db, REPORT, &split, |from, to| usage_days(db, from, to)).await?;

    let mut result = PlatformUsage::default();
    let (mut by_model, mut by_app, mut by_action) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (day, usage) in days {
        if usage.totals.requests == 0 {
            continue;
        }
        result.totals.add(&usage.totals);
        for (model, totals) in &usage.by_model {
            by_model
                .entry(model.clone())
                .or_insert_with(UsageTotals::default)
                .add(totals);
        }
        for (app, totals) in &usage.by_app {
            by_app
                .entry(*app)
                .or_insert_with(UsageTotals::default)
                .add(totals);
        }
        for (action, totals) in &usage.by_action {
            by_action
                .entry(action.clone())
                .or_insert_with(UsageTotals::default)
                .add(totals);
        }
        result.by_day.push(UsageGroup {
            key: day.format("%Y-%m-%d").to_string(),
            app_id: None,
            totals: usage.totals,
        });
    }

    let count = async |wanted: bool, by: GroupBy| -> Result<_, LlmError> {
        Ok(if wanted {
            Some(distinct_users(db, from, to, by).await?)
        } else {
            None
        })
    };
    if distinct.totals {
        let days =
            rollups::per_day(db, USERS_REPORT, &split, |from, to| user_days(db, from, to)).await?;
        result.totals.unique_users = UserSketch::union(days.values()).count();
    }
    let users = count(distinct.by_model, GroupBy::Model).await?;
    result.by_model = ranked(by_model, users.as_ref(), |_| None);
    let users = count(distinct.by_app, GroupBy::App).await?;
    result.by_app = ranked(by_app, users.as_ref(), |app| Some(*app));
    let users = count(distinct.by_action, GroupBy::Action).await?;
    result.by_action = ranked(by_action, users.as_ref(), |_| None);
    Ok(result)
}
