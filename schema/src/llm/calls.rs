//! Asking an app's models: rate and spend limits, the primary model, then each fallback whose trigger
//! matches how the previous attempt failed. Failed attempts are logged here; the successful one is
//! returned for the caller to log together with whatever it charges, in one transaction.

use std::time::Instant;

use chrono::Utc;
use fairydust_entities::llm_models;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::config::{FallbackTrigger, ModelConfig, Parameters};
use super::pricing::Prices;
use super::provider::{ChatMessage, Completion, CompletionRequest, LlmCallError, Provider};
use super::usage::{self, Attempt};
use super::{LlmError, limits, pricing};
use crate::ledger::holds::HoldGuard;
use crate::state::AppState;

/// What the model is asked.
#[derive(Clone, Debug)]
pub struct Prompt {
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
}

/// Who asks, for which app action: what the limits and the usage log are keyed on.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: Uuid,
    pub app_id: Uuid,
    pub action: String,
}

/// A successful answer with everything its usage row needs.
#[derive(Clone, Debug)]
pub struct ModelAnswer {
    pub text: String,
    pub provider: Provider,
    pub model: String,
    /// Why the answering model was a fallback; `None` when the primary answered.
    pub fallback_reason: Option<FallbackTrigger>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost: Decimal,
    pub latency_ms: u32,
    pub finish_reason: Option<String>,
}

impl ModelAnswer {
    /// The usage row of this answer.
    pub fn usage(&self, caller: &Caller) -> Attempt {
        Attempt {
            user_id: caller.user_id,
            app_id: caller.app_id,
            provider: self.provider,
            model: self.model.clone(),
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            cost: self.cost,
            latency_ms: self.latency_ms,
            finish_reason: self.finish_reason.clone(),
            fallback_reason: self.fallback_reason,
            action: Some(caller.action.clone()),
            error: None,
            logged: false,
        }
    }
}

/// [`ask`] while the caller's DUST is held for the charge: a failed call releases the hold, so a
/// failure costs the user nothing; on success the hold comes back for the charge to settle.
pub async fn ask_held(
    state: &AppState,
    caller: &Caller,
    config: &ModelConfig,
    prompt: &Prompt,
    hold: HoldGuard,
) -> Result<(ModelAnswer, HoldGuard), LlmError> {
    match ask(state, caller, config, prompt).await {
        Ok(answer) => Ok((answer, hold)),
        Err(error) => {
            hold.release().await;
            Err(error)
        }
    }
}

/// Counts the call against the rate limits, checks the app's spend, then asks the models.
pub async fn ask(
    state: &AppState,
    caller: &Caller,
    config: &ModelConfig,
    prompt: &Prompt,
) -> Result<ModelAnswer, LlmError> {
    limits::admit_call(
        &*state.cache,
        &state.settings,
        caller.user_id,
        caller.app_id,
    )
    .await?;
    limits::check_spend(
        &state.db,
        &*state.cache,
        caller.app_id,
        config.cost_limits.daily_max,
        config.cost_limits.monthly_max,
        Utc::now(),
    )
    .await?;
    call_with_fallbacks(state, caller, config, prompt, &Prices::default()).await
}

/// Adds an answered call's cost to the app's shared spend counters (after its usage row is stored).
pub async fn record_spend(
    state: &AppState,
    caller: &Caller,
    answer: &ModelAnswer,
) -> Result<(), LlmError> {
    limits::record_spend(
        &state.db,
        &*state.cache,
        caller.app_id,
        answer.cost,
        Utc::now(),
    )
    .await
}

/// [`record_spend`] after a charge committed: a failure is logged (the spend counters reseed from the
/// usage log when they expire), never reported, since the user was charged and must get the answer.
pub async fn record_spend_after_charge(state: &AppState, caller: &Caller, answer: &ModelAnswer) {
    if let Err(error) = record_spend(state, caller, answer).await {
        tracing::warn!(%error, app_id = %caller.app_id, "could not add a charged call to the spend counters");
    }
}

/// A rough token count (≈ 4 characters a token) for projecting a call's cost before making it.
fn estimated_prompt_tokens(prompt: &Prompt) -> u32 {
    let chars: usize = prompt
        .messages
        .iter()
        .map(|m| m.content.len() + 16)
        .sum::<usize>()
        + prompt.system.as_ref().map_or(0, String::len);
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

/// The primary model, then each fallback whose trigger matches how the previous attempt failed; every
/// failed attempt is logged. Prices come from `prices` (the database for models it lacks).
pub async fn call_with_fallbacks(
    state: &AppState,
    caller: &Caller,
    config: &ModelConfig,
    prompt: &Prompt,
    prices: &Prices,
) -> Result<ModelAnswer, LlmError> {
    let mut candidate = Candidate {
        provider: config.provider,
        model: config.model.clone(),
        parameters: config.parameters,
        reason: None,
    };
    let mut next_fallback = 0;
    let mut failures = Vec::new();
    let mut all_unconfigured = true;
    let mut all_over_cost = true;
    loop {
        let trigger = match attempt(state, caller, config, prompt, prices, &candidate).await? {
            Ok((completion, model, latency_ms)) => {
                return Ok(ModelAnswer {
                    text: completion.text,
                    provider: candidate.provider,
                    cost: pricing::cost(
                        completion.prompt_tokens,
                        completion.completion_tokens,
                        &model,
                    ),
                    model: model.model_id,
                    fallback_reason: candidate.reason,
                    prompt_tokens: completion.prompt_tokens,
                    completion_tokens: completion.completion_tokens,
                    latency_ms,
                    finish_reason: completion.finish_reason,
                });
            }
            Err(failure) => {
                all_unconfigured &= failure.unconfigured;
                all_over_cost &= failure.trigger == Some(FallbackTrigger::CostThresholdExceeded);
                failures.push(format!("{}: {}", candidate.model, failure.description));
                match failure.trigger {
                    Some(trigger) => trigger,
                    None => return Err(LlmError::Rejected(failure.description)),
                }
            }
        };
        let Some(position) = config.fallbacks[next_fallback..]
            .iter()
            .position(|f| f.trigger == trigger)
        else {
            tracing::warn!(app_id = %caller.app_id, ?failures, "every model failed");
            return Err(if all_unconfigured {
                LlmError::NotConfigured(
                    "No model provider is configured on this server for this app".into(),
                )
            } else if all_over_cost {
                // No model was called: the request itself is too big for the app's limit.
                LlmError::InvalidInput(format!(
                    "The projected cost of this call (prompt and maxTokens) is over the app's \
                     per-request maximum of {} USD; send a shorter prompt",
                    config.cost_limits.per_request_max
                ))
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

/// How an attempt failed: the fallback trigger (none when falling back cannot help), a description,
/// and whether the provider simply is not configured here.
struct Failure {
    trigger: Option<FallbackTrigger>,
    description: String,
    unconfigured: bool,
}

/// One model call; a failure is logged here (and costs nothing).
async fn attempt(
    state: &AppState,
    caller: &Caller,
    config: &ModelConfig,
    prompt: &Prompt,
    prices: &Prices,
    candidate: &Candidate,
) -> Result<Result<(Completion, llm_models::Model, u32), Failure>, LlmError> {
    let mut log = Attempt {
        user_id: caller.user_id,
        app_id: caller.app_id,
        provider: candidate.provider,
        model: candidate.model.clone(),
        prompt_tokens: 0,
        completion_tokens: 0,
        cost: Decimal::ZERO,
        latency_ms: 0,
        finish_reason: None,
        fallback_reason: candidate.reason,
        action: Some(caller.action.clone()),
        error: None,
        logged: false,
    };
    let failed = |trigger, description: String, unconfigured| {
        Ok(Err(Failure {
            trigger,
            description,
            unconfigured,
        }))
    };
    let Some(model) = prices.of(&state.db, &candidate.model).await? else {
        log.error = Some("the model has no price".into());
        usage::record(&state.db, &log).await?;
        return failed(
            Some(FallbackTrigger::ModelUnavailable),
            "no price for the model".into(),
            false,
        );
    };
    let projected = pricing::exact_cost(
        estimated_prompt_tokens(prompt),
        candidate.parameters.max_tokens,
        &model,
    );
    if projected > config.cost_limits.per_request_max {
        log.error = Some(format!(
            "projected cost {projected} USD is over the per-request maximum"
        ));
        usage::record(&state.db, &log).await?;
        return failed(
            Some(FallbackTrigger::CostThresholdExceeded),
            "projected cost over the per-request maximum".into(),
            false,
        );
    }
    let client = match state.llm.client(candidate.provider) {
        Ok(client) => client,
        Err(error) => {
            log.error = Some(error.to_string());
            usage::record(&state.db, &log).await?;
            return failed(trigger_of(&error), error.to_string(), true);
        }
    };
    let call = CompletionRequest {
        model: candidate.model.clone(),
        system: prompt.system.clone(),
        messages: prompt.messages.clone(),
        temperature: candidate.parameters.temperature,
        max_tokens: candidate.parameters.max_tokens,
        top_p: candidate.parameters.top_p,
    };
    let started = Instant::now();
    let result = client.complete(&call).await;
    log.latency_ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
    match result {
        Ok(completion) => Ok(Ok((completion, model, log.latency_ms))),
        Err(error) => {
            log.error = Some(error.to_string());
            usage::record(&state.db, &log).await?;
            failed(trigger_of(&error), error.to_string(), false)
        }
    }
}
