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
use crate::cache::{Cache, RateLimit};
use crate::settings::Settings;

const MINUTE: Duration = Duration::from_secs(60);

/// Counts one call against the per-user-per-app and per-app minute limits.
pub async fn admit_call(
    cache: &dyn Cache,
    settings: &Settings,
    user_id: Uuid,
    app_id: Uuid,
) -> Result<(), LlmError> {
    let per_user = RateLimit::per(settings.llm_user_rate_limit, MINUTE);
    let per_app = RateLimit::per(settings.llm_app_rate_limit, MINUTE);
    for (key, limit) in [
        (format!("llm-rate:{app_id}:{user_id}"), per_user),
        (format!("llm-rate:{app_id}"), per_app),
    ] {
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
    let key = counter_key(app_id, window);
    if let Some(value) = cache.get(&key).await?
        && let Ok(micros) = value.parse()
    {
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

/// Refuses a call when the app already spent its daily or monthly limit.
pub async fn check_spend(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    app_id: Uuid,
    daily_max: Decimal,
    monthly_max: Decimal,
    now: DateTime<Utc>,
) -> Result<(), LlmError> {
    for (window, max) in windows(now).iter().zip([daily_max, monthly_max]) {
        if from_micros(spent(db, cache, app_id, window, now).await?) >= max {
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
    let micros = to_micros(cost);
    if micros == 0 {
        return Ok(());
    }
    for window in windows(now) {
        // Make sure the counter exists (seeded from the log, which already holds this call) before adding.
        let key = counter_key(app_id, &window);
        if cache.get(&key).await?.is_none() {
            spent(db, cache, app_id, &window, now).await?;
        } else {
            cache.increment(&key, micros, ttl(&window, now)).await?;
        }
    }
    Ok(())
}
