//! LLM usage over GraphQL: logging an app's own model calls, the usage log entry, the totals and
//! breakdowns of `llmUsage`/`llmAnalytics` (with their `window` check and `groups` helper), and an
//! app's per-day `AppUsageDay`.

use async_graphql::{ComplexObject, Context, ID, InputObject, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::llm_usage_logs;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::apps::graphql::App;
use crate::error::{ApiError, ApiResult};
use crate::llm::analytics::{self, GroupBy, UsageFilter, UsageGroup, UsageTotals};
use crate::llm::config::FallbackTrigger;
use crate::llm::pricing;
use crate::llm::provider::Provider;

#[derive(InputObject)]
pub struct LogLlmUsageInput {
    pub app_id: ID,
    pub provider: Provider,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// When given, must equal promptTokens + completionTokens.
    pub total_tokens: Option<i64>,
    pub latency_ms: i64,
    pub finish_reason: Option<String>,
    pub fallback_reason: Option<FallbackTrigger>,
    pub action: Option<String>,
}

#[derive(SimpleObject)]
pub struct LlmUsageLog {
    pub id: ID,
    pub model: String,
    pub total_tokens: i32,
    /// Computed on the server; clients never send a cost.
    pub cost_usd: Decimal,
    pub created_at: DateTime<Utc>,
}

impl From<llm_usage_logs::Model> for LlmUsageLog {
    fn from(row: llm_usage_logs::Model) -> Self {
        Self {
            id: ID(row.id.to_string()),
            model: row.model,
            total_tokens: row.total_tokens,
            cost_usd: row.cost_usd.0,
            created_at: row.created_at,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct LlmUsageTotals {
    pub requests: i64,
    pub successes: i64,
    pub fallbacks: i64,
    /// Share of calls answered by a fallback model, 0–1.
    pub fallback_rate: f64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: Decimal,
    pub unique_users: i64,
    /// Of `requests`, the calls the app reported itself with `logLlmUsage`.
    pub logged_requests: i64,
    /// Of `costUsd`, the cost of the calls the app reported itself.
    pub logged_cost_usd: Decimal,
}

impl From<UsageTotals> for LlmUsageTotals {
    fn from(totals: UsageTotals) -> Self {
        Self {
            requests: totals.requests,
            successes: totals.successes,
            fallbacks: totals.fallbacks,
            fallback_rate: if totals.requests == 0 {
                0.0
            } else {
                totals.fallbacks as f64 / totals.requests as f64
            },
            prompt_tokens: totals.prompt_tokens,
            completion_tokens: totals.completion_tokens,
            cost_usd: pricing::from_micros(totals.cost_micros),
            unique_users: totals.unique_users,
            logged_requests: totals.logged_requests,
            logged_cost_usd: pricing::from_micros(totals.logged_cost_micros),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct LlmUsageGroup {
    /// A day (YYYY-MM-DD), a model id, an app id or an action, depending on the breakdown.
    pub key: String,
    pub totals: LlmUsageTotals,
    #[graphql(skip)]
    pub app_id: Option<Uuid>,
}

#[ComplexObject]
impl LlmUsageGroup {
    /// In the by-app breakdown: the app (its name and slug for display); null in the others and
    /// for an app that no longer exists.
    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        match self.app_id {
            Some(app_id) => App::load(ctx, app_id).await,
            None => Ok(None),
        }
    }
}

#[derive(SimpleObject)]
pub struct LlmUsageReport {
    pub totals: LlmUsageTotals,
    pub by_day: Vec<LlmUsageGroup>,
    /// With `appId`: the app's spend against its daily and monthly cost limits right now, how much
    /// of it the app logged itself, and how many calls the limits refused. Null without `appId` or
    /// when the app has no model configuration.
    pub cost_limits: Option<Vec<CostLimitWindow>>,
}

/// One of an app's cost limits (`daily` or `monthly`, UTC calendar windows).
#[derive(SimpleObject)]
pub struct CostLimitWindow {
    pub period: String,
    pub max_usd: Decimal,
    /// Everything counted toward the limit: gateway calls and logged usage.
    pub spent_usd: Decimal,
    /// The part of `spentUsd` reported with `logLlmUsage`.
    pub logged_usd: Decimal,
    /// True when the limit is reached: calls are refused (RATE_LIMITED) until `resetsAt`.
    pub reached: bool,
    /// Calls refused in this window because the limit was reached.
    pub refused_calls: i64,
    pub resets_at: DateTime<Utc>,
}

impl From<crate::llm::limits::WindowStatus> for CostLimitWindow {
    fn from(status: crate::llm::limits::WindowStatus) -> Self {
        Self {
            period: status.period.to_owned(),
            reached: status.reached(),
            max_usd: status.max,
            spent_usd: status.spent,
            logged_usd: status.logged,
            refused_calls: status.refused_calls,
            resets_at: status.resets_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct LlmAnalytics {
    pub totals: LlmUsageTotals,
    pub by_model: Vec<LlmUsageGroup>,
    pub by_app: Vec<LlmUsageGroup>,
    pub by_action: Vec<LlmUsageGroup>,
    pub by_day: Vec<LlmUsageGroup>,
    pub fallback_rate: f64,
}

pub fn window(from: DateTime<Utc>, to: DateTime<Utc>) -> ApiResult<()> {
    if to <= from || to - from > chrono::Duration::days(366) {
        return Err(ApiError::bad_input(
            "to must be after from, at most 366 days later",
        ));
    }
    Ok(())
}

impl From<UsageGroup> for LlmUsageGroup {
    fn from(group: UsageGroup) -> Self {
        Self {
            key: group.key,
            totals: group.totals.into(),
            app_id: group.app_id,
        }
    }
}

pub async fn groups(
    db: &sea_orm::DatabaseConnection,
    filter: &UsageFilter,
    by: GroupBy,
) -> ApiResult<Vec<LlmUsageGroup>> {
    Ok(analytics::grouped(db, filter, by)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// `app { usageStats }`: one UTC day of an app's LLM and DUST use.
#[derive(SimpleObject)]
pub struct AppUsageDay {
    pub date: NaiveDate,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_usd: Decimal,
    pub dust_consumed: i64,
    pub unique_users: i64,
}
