//! Limits shared by every replica (through the cache): calls per minute per user per app and per app,
//! and each app's daily and monthly spend.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use fairydust_entities::llm_usage_logs;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::LlmError;
use super::pricing::{from_micros, to_micros};
use crate::cache::{Cache, RateLimit, Write};
use crate::settings::Settings;

const MINUTE: Duration = Duration::from_secs(60);

/// The minute windows a call counts against: per user per app, and per app.
pub fn call_windows(settings: &Settings, user_id: Uuid, app_id: Uuid) -> [(String, RateLimit); 2] {
    [
        (
            format!("llm-rate:{app_id}:{user_id}"),
            RateLimit::per(settings.llm_user_rate_limit, MINUTE),
        ),
        (
            format!("llm-rate:{app_id}"),
            RateLimit::per(settings.llm_app_rate_limit, MINUTE),
        ),
    ]
}

/// Counts one call against the per-user-per-app and per-app minute limits.
pub async fn admit_call(
    cache: &dyn Cache,
    settings: &Settings,
    user_id: Uuid,
    app_id: Uuid,
) -> Result<(), LlmError> {
    for (key, limit) in call_windows(settings, user_id, app_id) {
        if let Some(retry_after) = cache.hit(&key, limit).await?.retry_after_seconds() {
            return Err(LlmError::RateLimited { retry_after });
        }
    }
    Ok(())
}

/// One of an app's spend windows.
#[derive(Clone, Copy, Debug)]
struct Window {
    name: &'static str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn windows(now: DateTime<Utc>) -> [Window; 2] {
    let today = now.date_naive();
    let day_start = Utc.from_utc_datetime(&today.and_hms_opt(0, 0, 0).expect("midnight"));
    let month_start =
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first of month");
    let next_month = month_start
        .checked_add_months(chrono::Months::new(1))
        .expect("next month");
    [
        Window {
            name: "daily",
            start: day_start,
            end: day_start + chrono::Duration::days(1),
        },
        Window {
            name: "monthly",
            start: Utc.from_utc_datetime(&month_start.and_hms_opt(0, 0, 0).expect("midnight")),
            end: Utc.from_utc_datetime(&next_month.and_hms_opt(0, 0, 0).expect("midnight")),
        },
    ]
}

fn counter_key(app_id: Uuid, window: &Window) -> String {
    format!(
        "llm-spend:{app_id}:{}:{}",
        window.name,
        window.start.format("%Y-%m-%d")
    )
}

fn refusals_key(app_id: Uuid, window: &Window) -> String {
    format!(
        "llm-refused:{app_id}:{}:{}",
        window.name,
        window.start.format("%Y-%m-%d")
    )
}

fn ttl(window: &Window, now: DateTime<Utc>) -> Duration {
    (window.end - now)
        .to_std()
        .unwrap_or(Duration::from_secs(1))
        + Duration::from_secs(3600)
}

/// The app's spend in a window, in micro-dollars: the shared counter, seeded from the usage log the
/// first time (or after the cache lost it).
async fn spent(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    window: &Window,
    now: DateTime<Utc>,
) -> Result<i64, LlmError> {
    let cached = cache.get(&counter_key(app_id, window)).await?;
    spent_from(db, cache, app_id, window, now, cached.as_deref()).await
}

/// [`spent`] when the counter's value was already read (`cached`).
async fn spent_from(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    window: &Window,
    now: DateTime<Utc>,
    cached: Option<&str>,
) -> Result<i64, LlmError> {
    let key = counter_key(app_id, window);
    if let Some(micros) = cached.and_then(|value| value.parse().ok()) {
        return Ok(micros);
    }
    let backend = db.get_database_backend();
    let select = Query::select()
        .expr_as(Expr::cust(crate::sql::cost_micros_sum(backend)), "micros")
        .from(llm_usage_logs::Entity)
        .and_where(llm_usage_logs::Column::AppId.eq(app_id))
        .and_where(llm_usage_logs::Column::CreatedAt.gte(window.start))
        .take();
    let micros: i64 = match db.query_one(&select).await? {
        Some(row) => row.try_get("", "micros")?,
        None => 0,
    };
    cache
        .set_if_absent(&key, &micros.to_string(), ttl(window, now))
        .await?;
    Ok(micros)
}

/// The keys of the app's spend counters at `now` (daily, monthly), for reading them with other steps.
pub fn spend_keys(app_id: Uuid, now: DateTime<Utc>) -> [String; 2] {
    windows(now).map(|window| counter_key(app_id, &window))
}

/// Refuses a call when the app already spent its daily or monthly limit.
pub async fn check_spend(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    daily_max: Decimal,
    monthly_max: Decimal,
    now: DateTime<Utc>,
) -> Result<(), LlmError> {
    let keys = spend_keys(app_id, now);
    let read = cache.get_many(&[&keys[0], &keys[1]]).await?;
    check_spend_read(db, cache, app_id, [daily_max, monthly_max], now, read).await
}

/// [`check_spend`] with the counters' values already read (`read`, in [`spend_keys`] order); an absent
/// counter is seeded from the usage log.
pub async fn check_spend_read(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    [daily_max, monthly_max]: [Decimal; 2],
    now: DateTime<Utc>,
    read: Vec<Option<String>>,
) -> Result<(), LlmError> {
    let read = read.into_iter().chain(std::iter::repeat(None));
    for ((window, max), cached) in windows(now).iter().zip([daily_max, monthly_max]).zip(read) {
        let spent = spent_from(db, cache, app_id, window, now, cached.as_deref()).await?;
        if from_micros(spent) >= max {
            // Counted for the builder's usage report, which shows what the spend was made of.
            cache
                .increment(&refusals_key(app_id, window), 1, ttl(window, now))
                .await?;
            let retry_after = (window.end - now).num_seconds().max(1) as u64;
            return Err(LlmError::CostLimitReached {
                period: window.name,
                retry_after,
            });
        }
    }
    Ok(())
}

/// Adds a call's cost to the app's spend counters.
pub async fn record_spend(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    cost: Decimal,
    now: DateTime<Utc>,
) -> Result<(), LlmError> {
    let keys = spend_keys(app_id, now);
    let writes = spend_writes(&keys, cost);
    if writes.is_empty() {
        return Ok(());
    }
    // Counters that exist grow atomically; one that does not is seeded from the log, which already
    // holds this call.
    let answers = cache.apply(&writes).await?;
    seed_absent_spend(db, cache, app_id, now, &answers).await
}

/// The writes that add `cost` to the app's spend counters that exist, for [`crate::cache::Cache::apply`]
/// together with other writes; pass their answers to [`seed_absent_spend`]. Empty for a free call.
pub fn spend_writes(keys: &[String; 2], cost: Decimal) -> Vec<Write<'_>> {
    let micros = to_micros(cost);
    if micros == 0 {
        return Vec::new();
    }
    keys.iter()
        .map(|key| Write::AddIfPresent { key, delta: micros })
        .collect()
}

/// After [`spend_writes`]: seeds each counter that was absent (from the usage log, which already holds
/// the call). `answers` are the answers of those writes, in order.
pub async fn seed_absent_spend(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    now: DateTime<Utc>,
    answers: &[Option<i64>],
) -> Result<(), LlmError> {
    for (window, answer) in windows(now).iter().zip(answers) {
        if answer.is_none() {
            spent(db, cache, app_id, window, now).await?;
        }
    }
    Ok(())
}

/// Where an app stands against one of its cost limits, for its builder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowStatus {
    pub period: &'static str,
    pub max: Decimal,
    pub spent: Decimal,
    /// The part of `spent` the app reported itself with `logLlmUsage`.
    pub logged: Decimal,
    /// Calls refused in this window because the limit was reached.
    pub refused_calls: i64,
    pub resets_at: DateTime<Utc>,
}

impl WindowStatus {
    pub fn reached(&self) -> bool {
        self.spent >= self.max
    }
}

/// The app's daily and monthly spend against its limits, with the logged share and the refusals.
pub async fn status(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    daily_max: Decimal,
    monthly_max: Decimal,
    now: DateTime<Utc>,
) -> Result<Vec<WindowStatus>, LlmError> {
    let backend = db.get_database_backend();
    let mut statuses = Vec::with_capacity(2);
    for (window, max) in windows(now).iter().zip([daily_max, monthly_max]) {
        let select = Query::select()
            .expr_as(
                Expr::cust(crate::sql::logged_cost_micros_sum(backend)),
                "micros",
            )
            .from(llm_usage_logs::Entity)
            .and_where(llm_usage_logs::Column::AppId.eq(app_id))
            .and_where(llm_usage_logs::Column::CreatedAt.gte(window.start))
            .take();
        let logged: i64 = match db.query_one(&select).await? {
            Some(row) => row.try_get("", "micros")?,
            None => 0,
        };
        let refused_calls = cache
            .get(&refusals_key(app_id, window))
            .await?
            .and_then(|count| count.parse().ok())
            .unwrap_or(0);
        statuses.push(WindowStatus {
            period: window.name,
            max,
            spent: from_micros(spent(db, cache, app_id, window, now).await?),
            logged: from_micros(logged),
            refused_calls,
            resets_at: window.end,
        });
    }
    Ok(statuses)
}

/// [`status`] under the app's configured limits; `None` when the app has no model configuration.
pub async fn app_status(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Vec<WindowStatus>>, LlmError> {
    let Some(config) = crate::apps::catalog::snapshot(db, cache, app_id)
        .await?
        .and_then(|snapshot| snapshot.model_config)
    else {
        return Ok(None);
    };
    let limits = config.cost_limits;
    Ok(Some(
        status(db, cache, app_id, limits.daily_max, limits.monthly_max, now).await?,
    ))
}
