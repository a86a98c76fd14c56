//! `generateText`: the app's primary model, fallbacks on the configured triggers, cost and rate limits,
//! a usage row per attempt, and the action's DUST price charged once, only on success.

use chrono::Utc;
use fairydust_entities::dust_transactions;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::LlmError;
use super::calls::{self, Caller, ModelAnswer, Prompt};
use super::config::ModelConfig;
use super::in_progress::{self, InProgress};
use super::pricing::{self, Prices};
use super::provider::{ChatMessage, Provider, Role};
use super::{limits, usage};
use crate::apps::catalog::{self, AppRef, AppSnapshot};
use crate::cache::{Admission, Admit, RateDecision, RateLimit, Write};
use crate::db_errors::violates_unique;
use crate::ledger::consume::{UNIQUE_IDEMPOTENCY_KEY, request_hash, validate_idempotency_key};
use crate::ledger::holds::HoldGuard;
use crate::ledger::{Entry, LedgerError, TransactionKind, events, posting};
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

/// A refusal, unless the key was already charged: then the retry replays the first result (as it
/// would have before anything was checked).
async fn earlier_or(
    db: &DatabaseConnection,
    request: &GenerateRequest,
    hash: &str,
    error: LlmError,
) -> Result<Generated, LlmError> {
    match earlier_charge(db, request.user_id, &request.idempotency_key).await? {
        Some(earlier) => replay(earlier, hash),
        None => Err(error),
    }
}

/// The app a request names. A slug goes through the process's hint first (no round trip), which the
/// app's snapshot confirms before anything relies on it.
async fn resolve(state: &AppState, app: &AppRef) -> Result<Uuid, LlmError> {
    catalog::resolve_app_id_cached(&state.db, &*state.cache, app)
        .await?
        .ok_or(LlmError::NotFound("App"))
}

/// A call costs, beyond the model: one cache round trip in front ([`Cache::admit`]: the app's snapshot,
/// the price table and the spend counters read, the rate windows counted, the in-progress mark set),
/// the hold (PostgreSQL: two statements; SQLite: one, which also finds an earlier charge under the key),
/// the charge (PostgreSQL: one statement with the usage row and the hold's settling; SQLite: four), and
/// one cache round trip after ([`Cache::apply`]: the spend added, the mark released, the balance
/// published). Refusals and replays may cost more; see `tests/tests/api/gateway_cost.rs`.
pub async fn generate(state: &AppState, request: GenerateRequest) -> Result<Generated, LlmError> {
    validate(&request, state.settings.llm.max_prompt_chars)?;
    let hint = match &request.app {
        AppRef::Slug(slug) => catalog::slug_hint(slug),
        AppRef::Id(_) => None,
    };
    if let Some(app_id) = hint
        && let Some(generated) = generate_for(state, &request, app_id, true).await?
    {
        return Ok(generated);
    }
    let app_id = resolve(state, &request.app).await?;
    generate_for(state, &request, app_id, false)
        .await?
        .ok_or(LlmError::NotFound("App"))
}

/// The cache keys of one call.
struct Keys {
    snapshot: String,
    mark: String,
    windows: [(String, RateLimit); 2],
    spend: [String; 2],
}

impl Keys {
    fn new(state: &AppState, request: &GenerateRequest, app_id: Uuid) -> Self {
        Self {
            snapshot: catalog::snapshot_cache_key(app_id),
            mark: in_progress::mark_key("llm", request.user_id, &request.idempotency_key),
            windows: limits::call_windows(&state.settings, request.user_id, app_id),
            spend: limits::spend_keys(app_id, Utc::now()),
        }
    }

    /// Reads: the snapshot, the price table, the daily and monthly spend (in this order).
    fn admission(&self) -> Admission<'_> {
        Admission {
            reads: vec![
                self.snapshot.as_str(),
                pricing::TABLE_KEY,
                self.spend[0].as_str(),
                self.spend[1].as_str(),
            ],
            mark: Some((&self.mark, in_progress::IN_PROGRESS_TTL)),
            windows: self
                .windows
                .iter()
                .map(|(key, limit)| (key.as_str(), *limit))
                .collect(),
        }
    }
}

/// A call let in by [`Cache::admit`]: its rate-limit slots taken, its in-progress mark set (released
/// in the background should the request be cancelled).
struct Admitted<'k> {
    state: &'k AppState,
    keys: &'k Keys,
    mark: InProgress,
}

impl Admitted<'_> {
    /// The call did not happen (refused before the model, or a replay): gives the slots back and
    /// releases the mark, in one round trip. A failure is logged; the mark's TTL frees the key.
    async fn give_back(self) {
        let mark = self.mark.into_key();
        let [(user_window, _), (app_window, _)] = &self.keys.windows;
        let writes = [
            Write::Unhit(user_window),
            Write::Unhit(app_window),
            Write::Delete(&mark),
        ];
        if let Err(error) = self.state.cache.apply(&writes).await {
            tracing::warn!(%error, "could not give back a refused call's rate slots and mark");
        }
    }

    /// The call was attempted: keeps its slots, and releases the mark together with `writes`, in one
    /// round trip. Answers `writes`' answers; a failure is logged (the mark's TTL frees the key).
    async fn finish(self, writes: Vec<Write<'_>>) -> Option<Vec<Option<i64>>> {
        let mark = self.mark.into_key();
        let mut writes: Vec<Write<'_>> = writes;
        writes.push(Write::Delete(&mark));
        match self.state.cache.apply(&writes).await {
            Ok(answers) => Some(answers),
            Err(error) => {
                tracing::warn!(%error, "could not record a call's spend, release its mark or publish its charge");
                None
            }
        }
    }
}

/// [`generate`] for the app `app_id`. `Ok(None)`: `app_id` came from a slug hint (`hinted`) that the
/// app's snapshot does not confirm; nothing was counted or charged.
async fn generate_for(
    state: &AppState,
    request: &GenerateRequest,
    app_id: Uuid,
    hinted: bool,
) -> Result<Option<Generated>, LlmError> {
    let db = &state.db;
    let hash = fingerprint(request, app_id);
    let keys = Keys::new(state, request, app_id);
    let admission = state.cache.admit(&keys.admission()).await?;
    let mut values = admission.values.into_iter();
    let mut next = || values.next().flatten();
    let (snapshot, prices, spent) = (next(), next(), vec![next(), next()]);
    let admitted = (admission.decision == Admit::Admitted).then(|| Admitted {
        state,
        keys: &keys,
        mark: InProgress::adopt(&state.cache, keys.mark.clone()),
    });
    let snapshot =
        match catalog::snapshot_from_cached(db, &*state.cache, app_id, snapshot.as_deref()).await {
            Ok(snapshot) => snapshot,
            Err(error) => {
                if let Some(admitted) = admitted {
                    admitted.give_back().await;
                }
                return Err(error.into());
            }
        };
    if let AppRef::Slug(slug) = &request.app {
        if snapshot.as_ref().is_some_and(|s| &s.slug == slug) {
            catalog::remember_slug_hint(slug, app_id);
        } else if hinted {
            catalog::forget_slug_hint(slug);
            if let Some(admitted) = admitted {
                admitted.give_back().await;
            }
            return Ok(None);
        }
    }
    let admitted = match (admission.decision, admitted) {
        (Admit::Admitted, Some(admitted)) => admitted,
        (Admit::Limited { retry_after }, _) => {
            let retry_after = RateDecision::Limited { retry_after }
                .retry_after_seconds()
                .unwrap_or(1);
            return earlier_or(db, request, &hash, LlmError::RateLimited { retry_after })
                .await
                .map(Some);
        }
        _ => {
            return earlier_or(db, request, &hash, LlmError::InProgress)
                .await
                .map(Some);
        }
    };
    let (price, config) = match chargeable(snapshot, request) {
        Ok(found) => found,
        Err(error) => {
            admitted.give_back().await;
            return earlier_or(db, request, &hash, error).await.map(Some);
        }
    };
    // Held, not just checked: parallel calls cannot reach the model for more DUST than there is. The
    // same statement finds an earlier charge under the key, which this request then replays.
    let hold = match HoldGuard::reserve_unless_charged(
        db,
        request.user_id,
        price,
        &request.idempotency_key,
    )
    .await
    {
        Ok(Some(hold)) => hold,
        Ok(None) => {
            admitted.give_back().await;
            let earlier = earlier_charge(db, request.user_id, &request.idempotency_key)
                .await?
                .ok_or(LedgerError::IdempotencyKeyReused)?;
            return replay(earlier, &hash).map(Some);
        }
        Err(error) => {
            admitted.give_back().await;
            return Err(error.into());
        }
    };
    let caller = Caller {
        user_id: request.user_id,
        app_id,
        action: request.action.clone(),
    };
    let call = Call {
        caller: &caller,
        config: &config,
        price,
        hash: &hash,
        spent,
        prices: prices.as_deref(),
    };
    let (result, settlement) = call_and_charge(state, request, call, hold).await;

    // One round trip: the spend added to the counters, the mark released, the charge published.
    let spend = limits::spend_keys(app_id, Utc::now());
    let mut writes = limits::spend_writes(&spend, settlement.cost);
    let spend_writes = writes.len();
    let channel = events::channel(request.user_id);
    let message = settlement.charged.as_ref().map(events::message);
    if let Some(message) = &message {
        writes.push(Write::Publish {
            channel: &channel,
            message,
        });
    }
    if let Some(answers) = admitted.finish(writes).await
        && let Err(error) = limits::seed_absent_spend(
            db,
            &*state.cache,
            app_id,
            Utc::now(),
            &answers[..spend_writes],
        )
        .await
    {
        tracing::warn!(%error, %app_id, "could not seed the spend counters after a call");
    }
    result.map(Some)
}

/// The action's price and the model configuration, when the caller may use the app; the one
/// visibility rule (`apps::access`): an app off the marketplace does not exist for users; its builder
/// and admins see it, and learn that it cannot charge.
fn chargeable(
    snapshot: Option<AppSnapshot>,
    request: &GenerateRequest,
) -> Result<(i32, ModelConfig), LlmError> {
    let snapshot = snapshot.ok_or(LlmError::NotFound("App"))?;
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
        .ok_or_else(|| LlmError::NotConfigured("This app has no model configuration".into()))?;
    Ok((price, config))
}

/// What the call needs besides the request and its hold.
struct Call<'a> {
    caller: &'a Caller,
    config: &'a ModelConfig,
    price: i32,
    hash: &'a str,
    /// The daily and monthly spend counters as the admission read them.
    spent: Vec<Option<String>>,
    /// The price table as the admission read it.
    prices: Option<&'a str>,
}

/// What the cache must learn once the call is over: the cost to add to the app's spend, and the
/// transaction to publish.
#[derive(Default)]
struct Settlement {
    cost: Decimal,
    charged: Option<dust_transactions::Model>,
}

/// Checks the app's spend, asks the models and charges; `hold` is settled or released whatever
/// happens.
async fn call_and_charge(
    state: &AppState,
    request: &GenerateRequest,
    call: Call<'_>,
    hold: HoldGuard,
) -> (Result<Generated, LlmError>, Settlement) {
    let db = &state.db;
    let Call {
        caller,
        config,
        price,
        hash,
        spent,
        prices,
    } = call;
    let limits = config.cost_limits;
    let checked = async {
        limits::check_spend_read(
            db,
            &*state.cache,
            caller.app_id,
            [limits.daily_max, limits.monthly_max],
            Utc::now(),
            spent,
        )
        .await?;
        Ok::<_, LlmError>(Prices::from_cached(db, &*state.cache, prices).await?)
    };
    let prices = match checked.await {
        Ok(prices) => prices,
        Err(error) => {
            hold.release().await;
            return (Err(error), Settlement::default());
        }
    };
    let prompt = Prompt {
        system: request.system.clone(),
        messages: request.messages.clone(),
    };
    let answer = match calls::call_with_fallbacks(state, caller, config, &prompt, &prices).await {
        Ok(answer) => answer,
        Err(error) => {
            hold.release().await;
            return (Err(error), Settlement::default());
        }
    };
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
    let result = charge(state, request, caller, charge_of, generation, &answer).await;
    let charged = result
        .as_ref()
        .ok()
        .filter(|generated| !generated.replayed)
        .map(|generated| generated.transaction.clone());
    // The model was paid for whether or not the user could be charged.
    let settlement = Settlement {
        cost: answer.cost,
        charged,
    };
    (result, settlement)
}

/// What the charge needs besides the request: the price, the request's fingerprint and its hold.
struct Charge<'a> {
    price: i32,
    hash: &'a str,
    hold: HoldGuard,
}

/// Records the successful attempt and charges the action's price, settling the hold, in one statement
/// on PostgreSQL (one transaction on SQLite). A charge refused for want of DUST still records the
/// attempt and drops the hold (the model was paid for).
async fn charge(
    state: &AppState,
    request: &GenerateRequest,
    caller: &Caller,
    charge: Charge<'_>,
    generation: Generation,
    answer: &ModelAnswer,
) -> Result<Generated, LlmError> {
    let Charge { price, hash, hold } = charge;
    let attempt = answer.usage(caller);
    let db = &state.db;
    let entry = Entry {
        app_id: Some(caller.app_id),
        action: Some(request.action.clone()),
        quantity: Some(1),
        idempotency_key: Some(request.idempotency_key.clone()),
        request_hash: Some(hash.to_owned()),
        metadata: Some(serde_json::json!({ "generation": generation })),
        description: Some(format!("{} ({})", request.action, generation.model)),
        settles_hold: hold.id(),
        ..Entry::new(request.user_id, -price, TransactionKind::Consume)
    };
    match posting::post_alone_with(db, entry, Some(usage::insert_of(&attempt))).await {
        Ok(row) => {
            hold.settled();
            Ok(Generated {
                generation,
                transaction: row,
                replayed: false,
            })
        }
        Err(error @ LedgerError::InsufficientDust { .. }) => {
            // The statement recorded the attempt and removed the hold.
            hold.settled();
            Err(error.into())
        }
        Err(error) => {
            hold.release().await;
            // The model was paid for even though the user cannot be charged: keep the record.
            usage::record(db, &attempt).await?;
            match error {
                LedgerError::Database(e) if violates_unique(&e, UNIQUE_IDEMPOTENCY_KEY) => {
                    let earlier = earlier_charge(db, request.user_id, &request.idempotency_key)
                        .await?
                        .ok_or(LedgerError::Database(e))?;
                    replay(earlier, hash)
                }
                other => Err(other.into()),
            }
        }
    }
}
