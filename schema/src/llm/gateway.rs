//! `generateText`: the app's primary model, fallbacks on the configured triggers, cost and rate limits,
//! a usage row per attempt, and the action's DUST price charged once, only on success.

use std::time::Instant;

use chrono::Utc;
use fairydust_entities::{dust_transactions, llm_models};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::config::{FallbackTrigger, ModelConfig, Parameters};
use super::provider::{ChatMessage, Completion, CompletionRequest, LlmCallError, Provider, Role};
use super::usage::{self, Attempt};
use super::{LlmError, limits, pricing};
use crate::apps::catalog::{self, AppRef};
use crate::db_errors::violates_unique;
use crate::ledger::consume::{UNIQUE_IDEMPOTENCY_KEY, request_hash, validate_idempotency_key};
use crate::ledger::{self, Entry, LedgerError, TransactionKind, events};
use crate::state::AppState;

const MAX_MESSAGES: usize = 50;
const MAX_PROMPT_CHARS: usize = 200_000;
/// A generation holds its idempotency key this long at most, so a crashed request frees it.
const IN_PROGRESS_TTL: std::time::Duration = std::time::Duration::from_secs(180);

#[derive(Clone, Debug)]
pub struct GenerateRequest {
    pub user_id: Uuid,
    pub app: AppRef,
    pub action: String,
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub idempotency_key: String,
}

/// The result, also stored in the charge's metadata so a replay returns it without calling the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub model: String,
    pub provider: Provider,
    pub was_fallback: bool,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost_usd: Decimal,
}

#[derive(Clone, Debug)]
pub struct Generated {
    pub generation: Generation,
    pub transaction: dust_transactions::Model,
    pub replayed: bool,
}

fn validate(request: &GenerateRequest) -> Result<(), LlmError> {
    validate_idempotency_key(&request.idempotency_key)
        .map_err(|e| LlmError::InvalidInput(e.to_string()))?;
    crate::validation::snake_slug("action", &request.action, 64).map_err(LlmError::InvalidInput)?;
    if request.messages.is_empty() || request.messages.len() > MAX_MESSAGES {
        return Err(LlmError::InvalidInput(format!(
            "send a prompt, or 1–{MAX_MESSAGES} messages"
        )));
    }
    if request
        .messages
        .last()
        .is_some_and(|m| m.role != Role::User)
    {
        return Err(LlmError::InvalidInput(
            "the last message must be the user's".into(),
        ));
    }
    let chars: usize = request
        .messages
        .iter()
        .map(|m| m.content.chars().count())
        .sum::<usize>()
        + request.system.as_ref().map_or(0, |s| s.chars().count());
    if chars > MAX_PROMPT_CHARS || request.messages.iter().any(|m| m.content.trim().is_empty()) {
        return Err(LlmError::InvalidInput(format!(
            "messages must be non-empty and at most {MAX_PROMPT_CHARS} characters in all"
        )));
    }
    Ok(())
}

fn fingerprint(request: &GenerateRequest, app_id: Uuid) -> String {
    let mut conversation = Sha256::new();
    conversation.update(request.system.as_deref().unwrap_or_default());
    for message in &request.messages {
        conversation.update([0, u8::from(message.role == Role::User)]);
        conversation.update(&message.content);
    }
    let conversation = hex::encode(conversation.finalize());
    request_hash(&[
        "generate",
        &app_id.to_string(),
        &request.action,
        &conversation,
    ])
}

/// A rough token count (≈ 4 characters a token) for projecting a call's cost before making it.
fn estimated_prompt_tokens(request: &GenerateRequest) -> u32 {
    let chars: usize = request
        .messages
        .iter()
        .map(|m| m.content.len() + 16)
        .sum::<usize>()
        + request.system.as_ref().map_or(0, String::len);
    (chars / 4 + 1) as u32
}

fn trigger_of(error: &LlmCallError) -> Option<FallbackTrigger> {
    match error {
        LlmCallError::ProviderError(_) | LlmCallError::Timeout | LlmCallError::NotConfigured(_) => {
            Some(FallbackTrigger::ProviderError)
        }
        LlmCallError::RateLimited { .. } => Some(FallbackTrigger::RateLimit),
        LlmCallError::ModelUnavailable(_) => Some(FallbackTrigger::ModelUnavailable),
        // Our request was wrong; another model will not fix that.
        LlmCallError::Rejected(_) => None,
    }
}

struct Candidate {
    provider: Provider,
    model: String,
    parameters: Parameters,
    reason: Option<FallbackTrigger>,
}

fn replay(earlier: dust_transactions::Model, hash: &str) -> Result<Generated, LlmError> {
    if earlier.request_hash.as_deref() != Some(hash) {
        return Err(LedgerError::IdempotencyKeyReused.into());
    }
    let generation = earlier
        .metadata
        .as_ref()
        .and_then(|metadata| serde_json::from_value(metadata["generation"].clone()).ok())
        .ok_or(LedgerError::IdempotencyKeyReused)?;
    Ok(Generated {
        generation,
        transaction: earlier,
        replayed: true,
    })
}

async fn earlier_charge(
    db: &DatabaseConnection,
    user_id: Uuid,
    key: &str,
) -> Result<Option<dust_transactions::Model>, LlmError> {
    Ok(dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user_id))
        .filter(dust_transactions::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

pub async fn generate(state: &AppState, request: GenerateRequest) -> Result<Generated, LlmError> {
    validate(&request)?;
    let db = &state.db;
    let app_id = catalog::resolve_app_id(db, &request.app)
        .await?
        .ok_or(LlmError::NotFound("App"))?;
    let hash = fingerprint(&request, app_id);
    if let Some(earlier) = earlier_charge(db, request.user_id, &request.idempotency_key).await? {
        return replay(earlier, &hash);
    }
    let snapshot = catalog::snapshot(db, &*state.cache, app_id)
        .await?
        .ok_or(LlmError::NotFound("App"))?;
    if !snapshot.chargeable {
        return Err(LlmError::AppUnavailable);
    }
    let price = snapshot
        .price_of(&request.action)
        .ok_or(LlmError::NotFound("Action"))?;
    let config = snapshot
        .model_config
        .clone()
        .ok_or_else(|| LlmError::NotConfigured("This app has no model configuration".into()))?;

    let lock = format!(
        "llm-in-progress:{}:{}",
        request.user_id, request.idempotency_key
    );
    if !state
        .cache
        .set_if_absent(&lock, "1", IN_PROGRESS_TTL)
        .await?
    {
        return Err(LlmError::InProgress);
    }
    let result = generate_locked(state, &request, app_id, price, &config, &hash).await;
    state.cache.delete(&lock).await?;
    result
}

async fn generate_locked(
    state: &AppState,
    request: &GenerateRequest,
    app_id: Uuid,
    price: i32,
    config: &ModelConfig,
    hash: &str,
) -> Result<Generated, LlmError> {
    let db = &state.db;
    limits::admit_call(&*state.cache, &state.settings, request.user_id, app_id).await?;
    let balance = ledger::balance_of(db, request.user_id).await?;
    if balance < price {
        return Err(LedgerError::InsufficientDust {
            balance,
            required: i64::from(price),
        }
        .into());
    }
    limits::check_spend(
        db,
        &*state.cache,
        app_id,
        config.cost_limits.daily_max,
        config.cost_limits.monthly_max,
        Utc::now(),
    )
    .await?;

    let (completion, candidate, model, latency_ms) =
        call_with_fallbacks(state, request, app_id, config).await?;
    let cost = pricing::cost(
        completion.prompt_tokens,
        completion.completion_tokens,
        &model,
    );
    let generation = Generation {
        text: completion.text.clone(),
        model: model.model_id.clone(),
        provider: candidate.provider,
        was_fallback: candidate.reason.is_some(),
        prompt_tokens: completion.prompt_tokens,
        completion_tokens: completion.completion_tokens,
        cost_usd: cost,
    };
    let attempt = Attempt {
        user_id: request.user_id,
        app_id,
        provider: candidate.provider,
        model: model.model_id.clone(),
        prompt_tokens: completion.prompt_tokens,
        completion_tokens: completion.completion_tokens,
        cost,
        latency_ms,
        finish_reason: completion.finish_reason.clone(),
        fallback_reason: candidate.reason,
        action: Some(request.action.clone()),
        error: None,
    };
    charge(state, request, app_id, price, hash, generation, attempt).await
}

/// Tries the primary model, then each fallback whose trigger matches how the previous attempt failed.
async fn call_with_fallbacks(
    state: &AppState,
    request: &GenerateRequest,
    app_id: Uuid,
    config: &ModelConfig,
) -> Result<(Completion, Candidate, llm_models::Model, u32), LlmError> {
    let mut candidate = Candidate {
        provider: config.provider,
        model: config.model.clone(),
        parameters: config.parameters,
        reason: None,
    };
    let mut next_fallback = 0;
    let mut failures = Vec::new();
    let mut all_unconfigured = true;
    loop {
        let outcome = attempt(state, request, app_id, config, &candidate).await?;
        let trigger = match outcome {
            Ok((completion, model, latency_ms)) => {
                return Ok((completion, candidate, model, latency_ms));
            }
            Err((trigger, description, unconfigured)) => {
                all_unconfigured &= unconfigured;
                failures.push(format!("{}: {description}", candidate.model));
                match trigger {
                    Some(trigger) => trigger,
                    None => return Err(LlmError::Rejected(description)),
                }
            }
        };
        let Some(position) = config.fallbacks[next_fallback..]
            .iter()
            .position(|f| f.trigger == trigger)
        else {
            tracing::warn!(%app_id, ?failures, "every model failed");
            return Err(if all_unconfigured {
                LlmError::NotConfigured(
                    "No model provider is configured on this server for this app".into(),
                )
            } else {
                LlmError::Unavailable { attempts: failures }
            });
        };
        let fallback = &config.fallbacks[next_fallback + position];
        next_fallback += position + 1;
        candidate = Candidate {
            provider: fallback.provider,
            model: fallback.model.clone(),
            parameters: fallback.parameters,
            reason: Some(trigger),
        };
    }
}

/// A completion with its model and latency, or (the fallback trigger, a description, whether the
/// provider simply is not configured).
type AttemptOutcome =
    Result<(Completion, llm_models::Model, u32), (Option<FallbackTrigger>, String, bool)>;

/// One model call, logged whatever happens. A failed call costs nothing.
async fn attempt(
    state: &AppState,
    request: &GenerateRequest,
    app_id: Uuid,
    config: &ModelConfig,
    candidate: &Candidate,
) -> Result<AttemptOutcome, LlmError> {
    let mut log = Attempt {
        user_id: request.user_id,
        app_id,
        provider: candidate.provider,
        model: candidate.model.clone(),
        prompt_tokens: 0,
        completion_tokens: 0,
        cost: Decimal::ZERO,
        latency_ms: 0,
        finish_reason: None,
        fallback_reason: candidate.reason,
        action: Some(request.action.clone()),
        error: None,
    };
    let Some(model) = usage::priced_model(&state.db, &candidate.model).await? else {
        log.error = Some("the model has no price".into());
        usage::record(&state.db, &log).await?;
        return Ok(Err((
            Some(FallbackTrigger::ModelUnavailable),
            "no price for the model".into(),
            false,
        )));
    };
    let projected = pricing::exact_cost(
        estimated_prompt_tokens(request),
        candidate.parameters.max_tokens,
        &model,
    );
    if projected > config.cost_limits.per_request_max {
        log.error = Some(format!(
            "projected cost {projected} USD is over the per-request maximum"
        ));
        usage::record(&state.db, &log).await?;
        return Ok(Err((
            Some(FallbackTrigger::CostThresholdExceeded),
            "projected cost over the per-request maximum".into(),
            false,
        )));
    }
    let client = match state.llm.client(candidate.provider) {
        Ok(client) => client,
        Err(error) => {
            log.error = Some(error.to_string());
            usage::record(&state.db, &log).await?;
            return Ok(Err((trigger_of(&error), error.to_string(), true)));
        }
    };
    let call = CompletionRequest {
        model: candidate.model.clone(),
        system: request.system.clone(),
        messages: request.messages.clone(),
        temperature: candidate.parameters.temperature,
        max_tokens: candidate.parameters.max_tokens,
        top_p: candidate.parameters.top_p,
    };
    let started = Instant::now();
    let result = client.complete(&call).await;
    log.latency_ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
    match result {
        Ok(completion) => {
            // The successful attempt is logged with its charge, in one transaction.
            Ok(Ok((completion, model, log.latency_ms)))
        }
        Err(error) => {
            log.error = Some(error.to_string());
            usage::record(&state.db, &log).await?;
            Ok(Err((trigger_of(&error), error.to_string(), false)))
        }
    }
}

/// Records the successful attempt and charges the action's price in one transaction.
async fn charge(
    state: &AppState,
    request: &GenerateRequest,
    app_id: Uuid,
    price: i32,
    hash: &str,
    generation: Generation,
    attempt: Attempt,
) -> Result<Generated, LlmError> {
    let db = &state.db;
    let entry = Entry {
        app_id: Some(app_id),
        action: Some(request.action.clone()),
        quantity: Some(1),
        idempotency_key: Some(request.idempotency_key.clone()),
        request_hash: Some(hash.to_owned()),
        metadata: Some(serde_json::json!({ "generation": generation })),
        description: Some(format!("{} ({})", request.action, generation.model)),
        ..Entry::new(request.user_id, -price, TransactionKind::Consume)
    };
    let txn = db.begin().await?;
    let charged = ledger::post(&txn, entry).await;
    let row = match charged {
        Ok(row) => {
            usage::record(&txn, &attempt).await?;
            txn.commit().await?;
            row
        }
        Err(error) => {
            drop(txn);
            // The model was paid for even though the user cannot be charged: keep the record.
            usage::record(db, &attempt).await?;
            limits::record_spend(db, &*state.cache, app_id, attempt.cost, Utc::now()).await?;
            return match error {
                LedgerError::Database(e) if violates_unique(&e, UNIQUE_IDEMPOTENCY_KEY) => {
                    let earlier = earlier_charge(db, request.user_id, &request.idempotency_key)
                        .await?
                        .ok_or(LedgerError::Database(e))?;
                    replay(earlier, hash)
                }
                other => Err(other.into()),
            };
        }
    };
    limits::record_spend(db, &*state.cache, app_id, attempt.cost, row.created_at).await?;
    events::publish(&*state.cache, &row).await;
    Ok(Generated {
        generation,
        transaction: row,
        replayed: false,
    })
}
