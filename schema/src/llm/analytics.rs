//! LLM usage reports: totals and breakdowns by day, model, app and action, with exact cost sums.

use chrono::{DateTime, Utc};
use fairydust_entities::llm_usage_logs::{self, Column};
use sea_orm::sea_query::{Alias, Expr, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, QueryResult};
use uuid::Uuid;

use super::LlmError;

#[derive(Clone, Copy, Debug)]
pub struct UsageFilter {
    pub app_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UsageTotals {
    pub requests: i64,
    pub successes: i64,
    pub fallbacks: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
    pub unique_users: i64,
    /// Of the above, the calls an app reported with `logLlmUsage`, and their cost.
    pub logged_requests: i64,
    pub logged_cost_micros: i64,
}

impl GroupBy {
    /// The SQL expression of a row's group.
    pub(super) fn key(self, backend: sea_orm::DbBackend) -> &'static str {
        match self {
            GroupBy::Day => crate::sql::day_of_created_at(backend),
            GroupBy::Model => "model",
            GroupBy::App => "app_id",
            GroupBy::Action => "COALESCE(action, '')",
        }
    }
}

impl UsageTotals {
    /// Adds every sum of `other`; `unique_users` is not a sum and stays as it is.
    pub fn add(&mut self, other: &UsageTotals) {
        self.requests += other.requests;
        self.successes += other.successes;
        self.fallbacks += other.fallbacks;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.cost_micros += other.cost_micros;
        self.logged_requests += other.logged_requests;
        self.logged_cost_micros += other.logged_cost_micros;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Model,
    App,
    Action,
}

/// A breakdown row: its key (a day `YYYY-MM-DD`, a model id, an app id or an action) and totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageGroup {
    pub key: String,
    pub app_id: Option<Uuid>,
    pub totals: UsageTotals,
}

pub(super) fn base(db: &DatabaseConnection, filter: &UsageFilter) -> SelectStatement {
    let backend = db.get_database_backend();
    let mut select = Query::select();
    select
        .expr_as(Expr::cust("COUNT(*)"), "requests")
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(CASE WHEN success THEN 1 ELSE 0 END), 0) AS BIGINT)"),
            "successes",
        )
        .expr_as(
            Expr::cust(
                "CAST(COALESCE(SUM(CASE WHEN was_fallback THEN 1 ELSE 0 END), 0) AS BIGINT)",
            ),
            "fallbacks",
        )
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT)"),
            "prompt_tokens",
        )
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT)"),
            "completion_tokens",
        )
        .expr_as(
            Expr::cust(crate::sql::cost_micros_sum(backend)),
            "cost_micros",
        )
        .expr_as(Expr::cust("COUNT(DISTINCT user_id)"), "unique_users")
        .expr_as(
            Expr::cust(
                "CAST(COALESCE(SUM(CASE WHEN source = 'logged' THEN 1 ELSE 0 END), 0) AS BIGINT)",
            ),
            "logged_requests",
        )
        .expr_as(
            Expr::cust(crate::sql::logged_cost_micros_sum(backend)),
            "logged_cost_micros",
        )
        .from(llm_usage_logs::Entity)
        .and_where(Column::CreatedAt.gte(filter.from))
        .and_where(Column::CreatedAt.lt(filter.to));
    if let Some(app_id) = filter.app_id {
        select.and_where(Column::AppId.eq(app_id));
    }
    if let Some(user_id) = filter.user_id {
        select.and_where(Column::UserId.eq(user_id));
    }
    select
}

pub(super) fn totals_of(row: &QueryResult) -> Result<UsageTotals, sea_orm::DbErr> {
    Ok(UsageTotals {
        requests: row.try_get("", "requests")?,
        successes: row.try_get("", "successes")?,
        fallbacks: row.try_get("", "fallbacks")?,
        prompt_tokens: row.try_get("", "prompt_tokens")?,
        completion_tokens: row.try_get("", "completion_tokens")?,
        cost_micros: row.try_get("", "cost_micros")?,
        unique_users: row.try_get("", "unique_users")?,
        logged_requests: row.try_get("", "logged_requests")?,
        logged_cost_micros: row.try_get("", "logged_cost_micros")?,
    })
}

pub async fn totals(
    db: &DatabaseConnection,
    filter: &UsageFilter,
) -> Result<UsageTotals, LlmError> {
    let row = db.query_one(&base(db, filter)).await?;
    Ok(row
        .map(|row| totals_of(&row))
        .transpose()?
        .unwrap_or_default())
}

pub async fn grouped(
    db: &DatabaseConnection,
    filter: &UsageFilter,
    by: GroupBy,
) -> Result<Vec<UsageGroup>, LlmError> {
    let backend = db.get_database_backend();
    let mut select = base(db, filter);
    let key = by.key(backend);
    select
        .expr_as(Expr::cust(key), "group_key")
        .group_by_col(Alias::new("group_key"));
    match by {
        GroupBy::Day => select.order_by(Alias::new("group_key"), Order::Asc),
        _ => select.order_by(Alias::new("cost_micros"), Order::Desc),
    };
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| {
            let (key, app_id) = match by {
                GroupBy::App => {
                    let id: Uuid = row.try_get("", "group_key")?;
                    (id.to_string(), Some(id))
                }
                _ => (row.try_get::<String>("", "group_key")?, None),
            };
            Ok(UsageGroup {
                key,
                app_id,
                totals: totals_of(row)?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(LlmError::from)
}
