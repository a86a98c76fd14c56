//! `llm_usage_logs`: one row per model call attempt, with a cost the server computed.

use fairydust_entities::{Usd, llm_models, llm_usage_logs, now};
use rust_decimal::Decimal;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryTrait,
};
use uuid::Uuid;

use super::config::FallbackTrigger;
use super::provider::Provider;
use super::{LlmError, pricing};
use crate::apps::access;
use crate::apps::catalog::{self, AppRef};
use crate::auth::Principal;
use crate::cache::{Cache, RateLimit};
use crate::settings::Settings;

/// One attempt to record.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub user_id: Uuid,
    pub app_id: Uuid,
    pub provider: Provider,
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost: Decimal,
    pub latency_ms: u32,
    pub finish_reason: Option<String>,
    /// Why this attempt was a fallback (`None` for the primary model).
    pub fallback_reason: Option<FallbackTrigger>,
    pub action: Option<String>,
    pub error: Option<String>,
    /// Reported by the app with `logLlmUsage`, not made by the gateway.
    pub logged: bool,
}

pub const SOURCE_GATEWAY: &str = "gateway";
pub const SOURCE_LOGGED: &str = "logged";

pub fn row(attempt: &Attempt) -> llm_usage_logs::Model {
    let at = now();
    llm_usage_logs::Model {
        id: Uuid::now_v7(),
        user_id: attempt.user_id,
        app_id: attempt.app_id,
        provider: attempt.provider.as_str().to_owned(),
        model: attempt.model.clone(),
        prompt_tokens: attempt.prompt_tokens as i32,
        completion_tokens: attempt.completion_tokens as i32,
        total_tokens: (attempt.prompt_tokens + attempt.completion_tokens) as i32,
        cost_usd: Usd(attempt.cost),
        latency_ms: attempt.latency_ms as i32,
        finish_reason: attempt.finish_reason.clone(),
        was_fallback: attempt.fallback_reason.is_some(),
        fallback_reason: attempt
            .fallback_reason
            .map(|reason| reason.as_str().to_owned()),
        action: attempt.action.clone(),
        success: attempt.error.is_none(),
        error: attempt.error.clone(),
        source: if attempt.logged {
            SOURCE_LOGGED
        } else {
            SOURCE_GATEWAY
        }
        .to_owned(),
        created_at: at,
        updated_at: at,
    }
}

/// The INSERT of `attempt`'s row, for a caller that runs it inside a larger statement.
pub fn insert_of(attempt: &Attempt) -> InsertStatement {
    llm_usage_logs::Entity::insert(row(attempt).into_active_model()).into_query()
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    attempt: &Attempt,
) -> Result<llm_usage_logs::Model, sea_orm::DbErr> {
    let row = row(attempt);
    llm_usage_logs::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(row)
}

pub async fn priced_model<C: ConnectionTrait>(
    conn: &C,
    model: &str,
) -> Result<Option<llm_models::Model>, sea_orm::DbErr> {
    llm_models::Entity::find()
        .filter(llm_models::Column::ModelId.eq(model))
        .one(conn)
        .await
}

const EXTERNAL_LOGS_PER_MINUTE: RateLimit = RateLimit::per(600, std::time::Duration::from_secs(60));

/// Usage an app reports for a call it made itself. Token counts are checked; the cost is computed here.
#[derive(Clone, Debug)]
pub struct ReportedUsage {
    pub app: AppRef,
    pub provider: Provider,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: Option<i64>,
    pub latency_ms: i64,
    pub finish_reason: Option<String>,
    pub fallback_reason: Option<FallbackTrigger>,
    pub action: Option<String>,
}

fn validate_reported(usage: &ReportedUsage, max_tokens: i64) -> Result<(), LlmError> {
    let invalid = |message: String| Err(LlmError::InvalidInput(message));
    for (name, value) in [
        ("promptTokens", usage.prompt_tokens),
        ("completionTokens", usage.completion_tokens),
    ] {
        if value < 0 {
            return invalid(format!("{name} must not be negative"));
        }
    }
    if usage.prompt_tokens.saturating_add(usage.completion_tokens) > max_tokens {
        return invalid(format!(
            "one call has at most {max_tokens} tokens (promptTokens + completionTokens)"
        ));
    }
    if let Some(total) = usage.total_tokens
        && total != usage.prompt_tokens + usage.completion_tokens
    {
        return invalid("totalTokens must equal promptTokens + completionTokens".into());
    }
    if !(0..=3_600_000).contains(&usage.latency_ms) {
        return invalid("latencyMs must be between 0 and 3 600 000".into());
    }
    if let Some(action) = &usage.action {
        crate::validation::snake_slug("action", action, 64).map_err(LlmError::InvalidInput)?;
    }
    Ok(())
}

/// Records a call an app made to a model itself. Only the app's builder (with the app's credentials)
/// or an admin may: logged cost counts toward the app's cost limits, so anyone else could stop the app.
pub async fn record_reported(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    settings: &Settings,
    viewer: &Principal,
    usage: ReportedUsage,
) -> Result<llm_usage_logs::Model, LlmError> {
    validate_reported(&usage, settings.llm.max_logged_tokens)?;
    let app = access::operated_by(
        db,
        viewer,
        &usage.app,
        "Only the app's builder or an admin can log usage for it",
    )
    .await?;
    let snapshot = catalog::snapshot(db, cache, app.id)
        .await?
        .ok_or(LlmError::NotFound("App"))?;
    if !snapshot.chargeable {
        return Err(LlmError::AppUnavailable);
    }
    let model = priced_model(db, &usage.model).await?.ok_or_else(|| {
        LlmError::InvalidInput(format!("{:?} has no price in the model table", usage.model))
    })?;
    if model.provider != usage.provider.as_str() {
        return Err(LlmError::InvalidInput(format!(
            "{:?} is a {} model",
            usage.model, model.provider
        )));
    }
    let app_id = app.id;
    if let Some(retry_after) = cache
        .hit(
            &format!("llm-log-rate:{app_id}:{}", viewer.user_id),
            EXTERNAL_LOGS_PER_MINUTE,
        )
        .await?
        .retry_after_seconds()
    {
        return Err(LlmError::RateLimited { retry_after });
    }
    let (prompt, completion) = (usage.prompt_tokens as u32, usage.completion_tokens as u32);
    let attempt = Attempt {
        user_id: viewer.user_id,
        app_id,
        provider: usage.provider,
        model: model.model_id.clone(),
        prompt_tokens: prompt,
        completion_tokens: completion,
        cost: pricing::cost(prompt, completion, &model),
        latency_ms: usage.latency_ms as u32,
        finish_reason: usage
            .finish_reason
            .map(|reason| reason.chars().take(50).collect()),
        fallback_reason: usage.fallback_reason,
        action: usage.action,
        error: None,
        logged: true,
    };
    let row = record(db, &attempt).await?;
    super::limits::record_spend(db, cache, app_id, attempt.cost, row.created_at).await?;
    Ok(row)
}
