//! `generateText`: the app's primary model, fallbacks on the configured triggers, cost and rate limits,
//! a usage row per attempt, and the action's DUST price charged once, only on success.

use fairydust_entities::dust_transactions;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::LlmError;
use super::calls::{self, Caller, ModelAnswer, Prompt};
use super::config::ModelConfig;
use super::in_progress;
use super::provider::{ChatMessage, Provider, Role};
use super::usage;
use crate::apps::catalog::{self, AppRef};
use crate::db_errors::violates_unique;
use crate::ledger::consume::{UNIQUE_IDEMPOTENCY_KEY, request_hash, validate_idempotency_key};
use crate::ledger::holds::HoldGuard;
use crate::ledger::{self, Entry, LedgerError, TransactionKind, events};
use crate::state::AppState;

const MAX_MESSAGES: usize = 50;

#[derive(Clone, Debug)]
pub struct GenerateRequest {
    pub user_id: Uuid,
    /// Whether the caller is an admin: like the app's builder, they see an app off the marketplace.
    pub viewer_is_admin: bool,
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

fn validate(request: &GenerateRequest, max_prompt_chars: usize) -> Result<(), LlmError> {
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
    if chars > max_prompt_chars || request.messages.iter().any(|m| m.content.trim().is_empty()) {
        return Err(LlmError::InvalidInput(format!(
            "messages must be non-empty and at most {max_prompt_chars} characters in all"
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
    validate(&request, state.settings.llm.max_prompt_chars)?;
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
    // The one visibility rule (`apps::access`): an app off the marketplace does not exist for users;
    // its builder and admins see it, and learn that it cannot charge.
    let visible =
        snapshot.chargeable || snapshot.builder_id == request.user_id || request.viewer_is_admin;
    if !visible {
        return Err(LlmError::NotFound("App"));
    }
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

    in_progress::exclusively(
        &state.cache,
        "llm",
        request.user_id,
        &request.idempotency_key,
        generate_locked(state, &request, app_id, price, &config, &hash),
    )
    .await
}

async fn generate_locked(
    state: &AppState,
    request: &GenerateRequest,
    app_id: Uuid,
    price: i32,
    config: &ModelConfig,
    hash: &str,
) -> Result<Generated, LlmError> {
    // Held, not just checked: parallel calls cannot reach the model for more DUST than there is.
    let hold = HoldGuard::reserve(&state.db, request.user_id, price).await?;
    let caller = Caller {
        user_id: request.user_id,
        app_id,
        action: request.action.clone(),
    };
    let prompt = Prompt {
        system: request.system.clone(),
        messages: request.messages.clone(),
    };
    let (answer, hold) = calls::ask_held(state, &caller, config, &prompt, hold).await?;
    let generation = Generation {
        text: answer.text.clone(),
        model: answer.model.clone(),
        provider: answer.provider,
        was_fallback: answer.fallback_reason.is_some(),
        prompt_tokens: answer.prompt_tokens,
        completion_tokens: answer.completion_tokens,
        cost_usd: answer.cost,
    };
    let charge_of = Charge { price, hash, hold };
    charge(state, request, &caller, charge_of, generation, &answer).await
}

/// What the charge needs besides the request: the price, the request's fingerprint and its hold.
struct Charge<'a> {
    price: i32,
    hash: &'a str,
    hold: HoldGuard,
}

/// Records the successful attempt and charges the action's price in one transaction.
async fn charge(
    state: &AppState,
    request: &GenerateRequest,
    caller: &Caller,
    charge: Charge<'_>,
    generation: Generation,
    answer: &ModelAnswer,
) -> Result<Generated, LlmError> {
    let Charge { price, hash, hold } = charge;
    let app_id = caller.app_id;
    let attempt = answer.usage(caller);
    let db = &state.db;
    let entry = Entry {
        app_id: Some(app_id),
        action: Some(request.action.clone()),
        quantity: Some(1),
        idempotency_key: Some(request.idempotency_key.clone()),
        request_hash: Some(hash.to_owned()),
        metadata: Some(serde_json::json!({ "generation": generation })),
        description: Some(format!("{} ({})", request.action, generation.model)),
        settles_hold: hold.id(),
        ..Entry::new(request.user_id, -price, TransactionKind::Consume)
    };
    let txn = db.begin().await?;
    let charged = ledger::post(&txn, entry).await;
    let row = match charged {
        Ok(row) => {
            usage::record(&txn, &attempt).await?;
            txn.commit().await?;
            hold.settled();
            row
        }
        Err(error) => {
            drop(txn);
            hold.release().await;
            // The model was paid for even though the user cannot be charged: keep the record.
            usage::record(db, &attempt).await?;
            calls::record_spend(state, caller, answer).await?;
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
    // The charge committed: from here on nothing may turn it into an error.
    calls::record_spend_after_charge(state, caller, answer).await;
    events::publish(&*state.cache, &row).await;
    Ok(Generated {
        generation,
        transaction: row,
        replayed: false,
    })
}
