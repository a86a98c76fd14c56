//! An app's numbers for its builder: per UTC day and in total over a range, the model calls (from the
//! LLM usage log) next to the DUST earned (from the ledger), and how many people used the app either
//! way. Every day of the range is present, zeros included, so charts have no gaps.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fairydust_entities::{dust_transactions, llm_usage_logs};
use sea_orm::sea_query::{Alias, Expr, Order, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::AppsError;
use crate::ledger::LedgerError;
use crate::ledger::app_reports::{self, EARNING_KINDS};
use crate::llm::LlmError;
use crate::llm::analytics::{self, GroupBy, UsageFilter};

/// Reading reports fails only in the database; keep that error's kind.
fn read_error(error: impl Into<ReportError>) -> AppsError {
    match error.into() {
        ReportError::Llm(LlmError::Database(e)) | ReportError::Ledger(LedgerError::Database(e)) => {
            AppsError::Database(e)
        }
        ReportError::Llm(other) => AppsError::Database(sea_orm::DbErr::Custom(other.to_string())),
        ReportError::Ledger(other) => {
            AppsError::Database(sea_orm::DbErr::Custom(other.to_string()))
        }
    }
}

enum ReportError {
    Llm(LlmError),
    Ledger(LedgerError),
}

impl From<LlmError> for ReportError {
    fn from(error: LlmError) -> Self {
        ReportError::Llm(error)
    }
}

impl From<LedgerError> for ReportError {
    fn from(error: LedgerError) -> Self {
        ReportError::Ledger(error)
    }
}

/// The longest range one question may cover.
pub const MAX_DAYS: i64 = 366;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppNumbers {
    pub requests: i64,
    pub fallbacks: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
    pub dust_earned: i64,
    pub consumes: i64,
    /// People who called the model or paid DUST in the app.
    pub unique_users: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppStats {
    pub totals: AppNumbers,
    pub days: Vec<(NaiveDate, AppNumbers)>,
}

pub async fn app_stats(
    db: &DatabaseConnection,
    app_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<AppStats, AppsError> {
    if to <= from || to - from > Duration::days(MAX_DAYS) {
        return Err(AppsError::InvalidInput(format!(
            "to must be after from, at most {MAX_DAYS} days later"
        )));
    }
    let mut days: Vec<(NaiveDate, AppNumbers)> = from
        .date_naive()
        .iter_days()
        .take_while(|day| *day <= (to - Duration::microseconds(1)).date_naive())
        .map(|day| (day, AppNumbers::default()))
        .collect();
    let filter = UsageFilter {
        app_id: Some(app_id),
        user_id: None,
        from,
        to,
    };
    for group in analytics::grouped(db, &filter, GroupBy::Day)
        .await
        .map_err(read_error)?
    {
        let Ok(date) = NaiveDate::parse_from_str(&group.key, "%Y-%m-%d") else {
            continue;
        };
        if let Some(day) = day_of(&mut days, date) {
            let t = group.totals;
            day.requests = t.requests;
            day.fallbacks = t.fallbacks;
            day.prompt_tokens = t.prompt_tokens;
            day.completion_tokens = t.completion_tokens;
            day.cost_micros = t.cost_micros;
        }
    }
    for earned in app_reports::earnings_by_day(db, app_id, from, to)
        .await
        .map_err(read_error)?
    {
        if let Some(day) = day_of(&mut days, earned.date) {
            day.dust_earned = earned.dust_earned;
            day.consumes = earned.consumes;
        }
    }
    for (date, users) in users_by_day(db, app_id, from, to).await? {
        if let Some(day) = day_of(&mut days, date) {
            day.unique_users = users;
        }
    }
    let mut totals = days
        .iter()
        .fold(AppNumbers::default(), |mut sum, (_, day)| {
            sum.requests += day.requests;
            sum.fallbacks += day.fallbacks;
            sum.prompt_tokens += day.prompt_tokens;
            sum.completion_tokens += day.completion_tokens;
            sum.cost_micros += day.cost_micros;
            sum.dust_earned += day.dust_earned;
            sum.consumes += day.consumes;
            sum
        });
    totals.unique_users = unique_users(db, app_id, from, to).await?;
    Ok(AppStats { totals, days })
}

fn day_of(days: &mut [(NaiveDate, AppNumbers)], date: NaiveDate) -> Option<&mut AppNumbers> {
    days.iter_mut()
        .find(|(day, _)| *day == date)
        .map(|(_, numbers)| numbers)
}

/// `(day, user_id)` of everyone who called a model or paid DUST in the app: one row per person and
/// day (UNION drops the duplicates).
fn users_and_days(
    db: &DatabaseConnection,
    app_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> SelectStatement {
    let day = crate::sql::day_of_created_at(db.get_database_backend());
    let mut llm = Query::select()
        .expr_as(Expr::cust(day), "day")
        .column(llm_usage_logs::Column::UserId)
        .from(llm_usage_logs::Entity)
        .and_where(llm_usage_logs::Column::AppId.eq(app_id))
        .and_where(llm_usage_logs::Column::UserId.is_not_null())
        .and_where(llm_usage_logs::Column::CreatedAt.gte(from))
        .and_where(llm_usage_logs::Column::CreatedAt.lt(to))
        .take();
    let dust = Query::select()
        .expr_as(Expr::cust(day), "day")
        .column(dust_transactions::Column::UserId)
        .from(dust_transactions::Entity)
        .and_where(dust_transactions::Column::AppId.eq(app_id))
        .and_where(dust_transactions::Column::Kind.is_in(EARNING_KINDS))
        .and_where(dust_transactions::Column::CreatedAt.gte(from))
        .and_where(dust_transactions::Column::CreatedAt.lt(to))
        .take();
    llm.union(UnionType::Distinct, dust);
    llm
}

async fn users_by_day(
    db: &DatabaseConnection,
    app_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(NaiveDate, i64)>, AppsError> {
    let select = Query::select()
        .column(Alias::new("day"))
        .expr_as(Expr::cust("COUNT(*)"), "users")
        .from_subquery(users_and_days(db, app_id, from, to), Alias::new("seen"))
        .group_by_col(Alias::new("day"))
        .order_by(Alias::new("day"), Order::Asc)
        .take();
    let rows = db.query_all(&select).await?;
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        let day: String = row.try_get("", "day")?;
        if let Ok(date) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
            days.push((date, row.try_get("", "users")?));
        }
    }
    Ok(days)
}

async fn unique_users(
    db: &DatabaseConnection,
    app_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, AppsError> {
    let select = Query::select()
        .expr_as(Expr::cust("COUNT(DISTINCT user_id)"), "users")
        .from_subquery(users_and_days(db, app_id, from, to), Alias::new("seen"))
        .take();
    let row = db.query_one(&select).await?;
    Ok(match row {
        Some(row) => row.try_get("", "users")?,
        None => 0,
    })
}
