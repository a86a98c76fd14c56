//! Models, prices and configurations; `generateText`; usage logging and analytics over GraphQL.
//!
//! This module holds the `LlmQuery`/`LlmMutation` roots and the `generateText` input and result.
//! The model and configuration types live in `models.rs` and the usage and analytics types in
//! `usage.rs`; both are re-exported here, so their paths stay `crate::llm::graphql::X`. (Inside
//! this module, `super::usage` is the domain module, not that file.)

mod models;
mod usage;

pub use models::{
    AppModelConfig, AppModelConfigInput, CostLimitsView, FallbackModel, FeatureFlagsView,
    LlmCostEstimate, LlmModel, ModelParameters, model_config_of,
};
pub use usage::{
    AppUsageDay, CostLimitWindow, LlmAnalytics, LlmUsageGroup, LlmUsageLog, LlmUsageReport,
    LlmUsageTotals, LogLlmUsageInput, groups, window,
};

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::analytics::{self, GroupBy, UsageFilter};
use super::gateway::{self, GenerateRequest};
use super::platform_usage::{self, DistinctUsers};
use super::provider::{ChatMessage, Provider, Role};
use super::usage::ReportedUsage;
use super::{admin, pricing};
use crate::apps::catalog::{self, AppRef};
use crate::auth::{ContextExt, RequireAdmin, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::ledger::graphql::DustTransaction;
use crate::loaders::load_error;

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum MessageRole {
    User,
    Assistant,
}

#[derive(InputObject)]
pub struct MessageInput {
    pub role: MessageRole,
    pub content: String,
}

/// Give `prompt` (one user message) or `messages` (a conversation ending with the user's turn).
#[derive(InputObject)]
pub struct GenerateTextInput {
    /// The app's id or slug.
    pub app_id: ID,
    /// The app action whose DUST price is charged on success.
    pub action: String,
    pub prompt: Option<String>,
    pub messages: Option<Vec<MessageInput>>,
    pub system: Option<String>,
    pub idempotency_key: String,
}

#[derive(SimpleObject)]
pub struct LlmCallUsage {
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    /// Computed on the server from the price table.
    pub cost_usd: Decimal,
}

#[derive(SimpleObject)]
pub struct GenerateTextResult {
    pub text: String,
    pub model: String,
    pub provider: Provider,
    pub was_fallback: bool,
    pub usage: LlmCallUsage,
    pub dust_charged: i32,
    pub transaction: DustTransaction,
}

#[derive(Default)]
pub struct LlmQuery;

#[Object]
impl LlmQuery {
    /// The price table every LLM call is billed from.
    async fn llm_models(&self, ctx: &Context<'_>) -> ApiResult<Vec<LlmModel>> {
        let models = pricing::price_table(&ctx.state().db).await?;
        Ok(models.into_iter().map(LlmModel::from).collect())
    }

    /// The most one request to `model` can cost: `promptTokens` (0–2 000 000) in and all of
    /// `maxTokens` (1–8 000) out, at the price table's rates, in exact decimals. NOT_FOUND for a
    /// model without a price.
    async fn estimate_llm_cost(
        &self,
        ctx: &Context<'_>,
        model: String,
        prompt_tokens: i32,
        max_tokens: i32,
    ) -> ApiResult<LlmCostEstimate> {
        let models = pricing::price_table(&ctx.state().db).await?;
        Ok(super::estimate::estimate(&models, &model, prompt_tokens, max_tokens)?.into())
    }

    /// Usage of an app (its builder or an admin), of a user (themself or an admin), or both.
    #[graphql(
        guard = "RequireUser",
        complexity = "crate::graphql::EXPENSIVE_FIELD + child_complexity"
    )]
    async fn llm_usage(
        &self,
        ctx: &Context<'_>,
        app_id: Option<ID>,
        user_id: Option<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<LlmUsageReport> {
        window(from, to)?;
        let state = ctx.state();
        let viewer = ctx.principal()?;
        let app = match &app_id {
            Some(app) => Some(
                catalog::find_app(&state.db, &AppRef::parse(app))
                    .await?
                    .ok_or_else(|| ApiError::not_found("App"))?,
            ),
            None => None,
        };
        let user_id = user_id
            .map(|id| Uuid::parse_str(&id).map_err(|_| ApiError::not_found("User")))
            .transpose()?;
        let owns_app = app
            .as_ref()
            .is_some_and(|app| app.builder_id == viewer.user_id);
        let is_self = user_id == Some(viewer.user_id);
        let allowed = viewer.roles.admin || owns_app || (is_self && app.is_none());
        if !allowed || (app.is_none() && user_id.is_none() && !viewer.roles.admin) {
            return Err(ApiError::forbidden(
                "Only an app's builder, the user themself or an admin can see this usage",
            ));
        }
        let cost_limits = match &app {
            Some(app) => super::limits::app_status(&state.db, &*state.cache, app.id, Utc::now())
                .await?
                .map(|windows| windows.into_iter().map(CostLimitWindow::from).collect()),
            None => None,
        };
        let filter = UsageFilter {
            app_id: app.map(|a| a.id),
            user_id,
            from,
            to,
        };
        Ok(LlmUsageReport {
            totals: analytics::totals(&state.db, &filter).await?.into(),
            by_day: groups(&state.db, &filter, GroupBy::Day).await?,
            cost_limits,
        })
    }

    /// Platform-wide LLM usage. `totals.uniqueUsers` counts each person once over the range: exact up
    /// to 1 000 people, beyond that an estimate with a standard error of 0.8 %.
    #[graphql(guard = "RequireAdmin")]
    async fn llm_analytics(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<LlmAnalytics> {
        window(from, to)?;
        let selection = ctx.look_ahead();
        let asks_users = |breakdown: &str| {
            selection
                .field(breakdown)
                .field("totals")
                .field("uniqueUsers")
                .exists()
        };
        let distinct = DistinctUsers {
            totals: selection.field("totals").field("uniqueUsers").exists(),
            by_model: asks_users("byModel"),
            by_app: asks_users("byApp"),
            by_action: asks_users("byAction"),
        };
        let db = &ctx.state().db;
        let usage = platform_usage::platform_usage(db, from, to, distinct).await?;
        if selection.field("byApp").field("app").exists() {
            // One query for every app of the breakdown; each row's `app` then hits the cache.
            ctx.loaders()
                .apps
                .load_many(usage.by_app.iter().filter_map(|group| group.app_id))
                .await
                .map_err(load_error)?;
        }
        let totals: LlmUsageTotals = usage.totals.into();
        Ok(LlmAnalytics {
            fallback_rate: totals.fallback_rate,
            totals,
            by_model: usage.by_model.into_iter().map(Into::into).collect(),
            by_app: usage.by_app.into_iter().map(Into::into).collect(),
            by_action: usage.by_action.into_iter().map(Into::into).collect(),
            by_day: usage.by_day.into_iter().map(Into::into).collect(),
        })
    }
}

#[derive(Default)]
pub struct LlmMutation;

#[Object]
impl LlmMutation {
    /// Calls the app's model (falling back as configured) and charges the action's DUST price once, on
    /// success only. Retrying with the same idempotency key returns the first answer.
    #[graphql(guard = "RequireUser")]
    async fn generate_text(
        &self,
        ctx: &Context<'_>,
        input: GenerateTextInput,
    ) -> ApiResult<GenerateTextResult> {
        let state = ctx.state();
        let messages = match (input.prompt, input.messages) {
            (Some(prompt), None) => vec![ChatMessage {
                role: Role::User,
                content: prompt,
            }],
            (None, Some(messages)) => messages
                .into_iter()
                .map(|m| ChatMessage {
                    role: if m.role == MessageRole::User {
                        Role::User
                    } else {
                        Role::Assistant
                    },
                    content: m.content,
                })
                .collect(),
            _ => {
                return Err(ApiError::bad_input(
                    "Give exactly one of prompt or messages",
                ));
            }
        };
        let viewer = ctx.principal()?;
        let request = GenerateRequest {
            user_id: viewer.user_id,
            viewer_is_admin: viewer.roles.admin,
            app: AppRef::parse(&input.app_id),
            action: input.action,
            system: input.system,
            messages,
            idempotency_key: input.idempotency_key,
        };
        let generated = gateway::generate(state, request).await?;
        let generation = generated.generation;
        Ok(GenerateTextResult {
            text: generation.text,
            model: generation.model,
            provider: generation.provider,
            was_fallback: generation.was_fallback,
            usage: LlmCallUsage {
                prompt_tokens: generation.prompt_tokens as i32,
                completion_tokens: generation.completion_tokens as i32,
                cost_usd: generation.cost_usd,
            },
            dust_charged: -generated.transaction.amount,
            transaction: DustTransaction {
                row: generated.transaction,
                replayed: generated.replayed,
            },
        })
    }

    /// Records a call an app made to a model itself; the cost is computed here from the price table.
    /// Only the app's builder or an admin; at most `LLM_MAX_LOGGED_TOKENS` tokens per call.
    #[graphql(guard = "RequireUser")]
    async fn log_llm_usage(
        &self,
        ctx: &Context<'_>,
        input: LogLlmUsageInput,
    ) -> ApiResult<LlmUsageLog> {
        let state = ctx.state();
        let reported = ReportedUsage {
            app: AppRef::parse(&input.app_id),
            provider: input.provider,
            model: input.model,
            prompt_tokens: input.prompt_tokens,
            completion_tokens: input.completion_tokens,
            total_tokens: input.total_tokens,
            latency_ms: input.latency_ms,
            finish_reason: input.finish_reason,
            fallback_reason: input.fallback_reason,
            action: input.action,
        };
        Ok(super::usage::record_reported(
            &state.db,
            &*state.cache,
            &state.settings,
            ctx.principal()?,
            reported,
        )
        .await?
        .into())
    }

    /// Sets the app's models; its builder or an admin.
    #[graphql(guard = "RequireUser")]
    async fn set_app_model_config(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
        input: AppModelConfigInput,
    ) -> ApiResult<AppModelConfig> {
        let state = ctx.state();
        let app_id = catalog::resolve_app_id(&state.db, &AppRef::parse(&app_id))
            .await?
            .ok_or_else(|| ApiError::not_found("App"))?;
        let config = admin::set_model_config(
            &state.db,
            &*state.cache,
            &state.settings.llm,
            ctx.principal()?,
            app_id,
            input.into_config()?,
        )
        .await?;
        Ok(config.into())
    }

    /// Sets a model's USD prices per million tokens; with `provider`, adds a new model. `reason`
    /// (1–500 characters) is kept in the admin audit log.
    #[graphql(guard = "RequireAdmin")]
    #[allow(clippy::too_many_arguments)]
    async fn set_llm_model_price(
        &self,
        ctx: &Context<'_>,
        model_id: String,
        provider: Option<Provider>,
        input_usd_per_million: Decimal,
        output_usd_per_million: Decimal,
        is_active: Option<bool>,
        reason: String,
    ) -> ApiResult<LlmModel> {
        let state = ctx.state();
        let admin_id = ctx.principal()?.user_id;
        let change = admin::PriceChange {
            model_id,
            provider,
            input_usd_per_million,
            output_usd_per_million,
            is_active,
            reason,
        };
        let model = admin::set_model_price(&state.db, &*state.cache, admin_id, change).await?;
        Ok(model.into())
    }
}
