//! The ledger's GraphQL surface. Resolvers only read the viewer, call the services and map errors.
//!
//! This module holds the `LedgerQuery`/`LedgerMutation`/`LedgerSubscription` roots. The types they
//! return and take live in `types.rs` and are re-exported here, so their paths stay
//! `crate::ledger::graphql::X`.

mod types;

pub use types::{
    AppDustDay, BalanceChange, BulkGrantResult, ConsumeDustInput, DustCheck, DustStats,
    DustTransaction, DustTransactionConnection, DustTransactionEdge, LedgerAuditChunk,
    LedgerDiscrepancy, TransactionsArgs, stats_of, transactions_page,
};

use async_graphql::{Context, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use super::admin_ops::{self, BulkOutcome};
use super::consume::{self, ConsumeRequest};
use super::{audit, events, reports};
use crate::apps::catalog::{self, AppRef};
use crate::auth::{ContextExt, RequireAdmin, RequireUser};
use crate::error::{ApiError, ApiResult};

fn parse_user_id(id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id)
        .map_err(|_| ApiError::bad_input(format!("{:?} is not a user id", id.as_str())))
}

#[derive(Default)]
pub struct LedgerQuery;

#[Object]
impl LedgerQuery {
    /// Whether the caller could afford an app action now.
    #[graphql(guard = "RequireUser")]
    async fn check_dust(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
        action: String,
        #[graphql(default = 1)] quantity: i32,
    ) -> ApiResult<DustCheck> {
        let state = ctx.state();
        let check = consume::check(
            &state.db,
            &*state.cache,
            ctx.principal()?,
            &AppRef::parse(&app_id),
            &action,
            quantity,
        )
        .await?;
        Ok(DustCheck {
            sufficient: check.sufficient,
            balance: check.balance,
            available: check.available,
            required: check.required,
        })
    }

    /// Users whose balance differs from the sum of their transactions: always none unless something
    /// is badly wrong. One call checks one chunk of users in id order (`users`, at most 50 000); pass
    /// the answer's `nextAfter` as `after` until it is null to audit everyone.
    #[graphql(guard = "RequireAdmin")]
    async fn ledger_audit(
        &self,
        ctx: &Context<'_>,
        after: Option<ID>,
        #[graphql(default_with = "audit::DEFAULT_CHUNK_USERS as i32")] users: i32,
    ) -> ApiResult<LedgerAuditChunk> {
        let after = after.as_ref().map(parse_user_id).transpose()?;
        let users = u64::try_from(users).map_err(|_| {
            ApiError::bad_input(format!(
                "users must be between 1 and {}",
                audit::MAX_CHUNK_USERS
            ))
        })?;
        Ok(audit::audit_chunk(&ctx.state().db, after, users)
            .await?
            .into())
    }

    /// DUST spent in an app per UTC day, for its builder or an admin. `to` is exclusive; at most 366 days.
    #[graphql(
        guard = "RequireUser",
        complexity = "crate::graphql::EXPENSIVE_FIELD + child_complexity"
    )]
    async fn app_dust_analytics(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<AppDustDay>> {
        let state = ctx.state();
        let viewer = ctx.principal()?;
        if to <= from || to - from > chrono::Duration::days(366) {
            return Err(ApiError::bad_input(
                "to must be after from, at most 366 days later",
            ));
        }
        let app = catalog::find_app(&state.db, &AppRef::parse(&app_id))
            .await?
            .ok_or_else(|| ApiError::not_found("App"))?;
        if app.builder_id != viewer.user_id && !viewer.roles.admin {
            return Err(ApiError::forbidden(
                "Only the app's builder or an admin can see its analytics",
            ));
        }
        let days = reports::app_analytics(&state.db, app.id, from, to).await?;
        Ok(days
            .into_iter()
            .map(|day| AppDustDay {
                date: day.date,
                unique_users: day.unique_users,
                transactions: day.transactions,
                dust_consumed: day.dust_consumed,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct LedgerMutation;

#[Object]
impl LedgerMutation {
    /// Spends DUST on an app action, at the action's price, from the caller's balance.
    #[graphql(guard = "RequireUser")]
    async fn consume_dust(
        &self,
        ctx: &Context<'_>,
        input: ConsumeDustInput,
    ) -> ApiResult<DustTransaction> {
        let state = ctx.state();
        let request = ConsumeRequest {
            viewer: ctx.principal()?.clone(),
            app: AppRef::parse(&input.app_id),
            action: input.action,
            quantity: input.quantity,
            idempotency_key: input.idempotency_key,
            metadata: input.metadata.map(|m| m.0),
            max_dust: input.max_dust,
        };
        let posted = consume::consume(&state.db, &*state.cache, request).await?;
        Ok(DustTransaction {
            row: posted.transaction,
            replayed: posted.replayed,
        })
    }

    #[graphql(guard = "RequireAdmin")]
    async fn grant_dust(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        amount: i32,
        reason: String,
    ) -> ApiResult<DustTransaction> {
        let state = ctx.state();
        let actor = ctx.principal()?.user_id;
        let row = admin_ops::grant(
            &state.db,
            &*state.cache,
            actor,
            parse_user_id(&user_id)?,
            amount,
            &reason,
        )
        .await?;
        Ok(DustTransaction::new(row))
    }

    /// The same grant to up to 1 000 users at once, with a result per user.
    #[graphql(guard = "RequireAdmin")]
    async fn grant_dust_bulk(
        &self,
        ctx: &Context<'_>,
        user_ids: Vec<ID>,
        amount: i32,
        reason: String,
    ) -> ApiResult<Vec<BulkGrantResult>> {
        let state = ctx.state();
        let actor = ctx.principal()?.user_id;
        let ids = user_ids
            .iter()
            .map(parse_user_id)
            .collect::<ApiResult<Vec<_>>>()?;
        let outcomes =
            admin_ops::grant_bulk(&state.db, &*state.cache, actor, &ids, amount, &reason).await?;
        Ok(outcomes
            .into_iter()
            .map(|(user_id, outcome)| {
                let (transaction, error) = match outcome {
                    BulkOutcome::Granted(row) => (Some(DustTransaction::new(*row)), None),
                    BulkOutcome::UserNotFound => (None, Some("NOT_FOUND".to_owned())),
                    BulkOutcome::BalanceLimit => (None, Some("BALANCE_LIMIT".to_owned())),
                };
                BulkGrantResult {
                    user_id: ID(user_id.to_string()),
                    granted: transaction.is_some(),
                    transaction,
                    error,
                }
            })
            .collect())
    }

    /// Corrects a balance by `delta` (never below 0).
    #[graphql(guard = "RequireAdmin")]
    async fn adjust_dust(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        delta: i32,
        reason: String,
    ) -> ApiResult<DustTransaction> {
        let state = ctx.state();
        let actor = ctx.principal()?.user_id;
        let row = admin_ops::adjust(
            &state.db,
            &*state.cache,
            actor,
            parse_user_id(&user_id)?,
            delta,
            &reason,
        )
        .await?;
        Ok(DustTransaction::new(row))
    }

    /// Credits DUST bought with a payment (1 DUST = 1 cent); each payment id counts once.
    #[graphql(guard = "RequireAdmin")]
    async fn record_purchase(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        amount: i32,
        payment_id: String,
        payment_amount_cents: i32,
    ) -> ApiResult<DustTransaction> {
        let state = ctx.state();
        let actor = ctx.principal()?.user_id;
        let user_id = parse_user_id(&user_id)?;
        let row = admin_ops::record_purchase(
            &state.db,
            &*state.cache,
            actor,
            user_id,
            amount,
            &payment_id,
            payment_amount_cents,
        )
        .await?;
        Ok(DustTransaction::new(row))
    }

    /// Returns the DUST a consume took. A consume can be refunded once.
    #[graphql(guard = "RequireAdmin")]
    async fn refund_transaction(
        &self,
        ctx: &Context<'_>,
        transaction_id: ID,
        reason: String,
    ) -> ApiResult<DustTransaction> {
        let state = ctx.state();
        let actor = ctx.principal()?.user_id;
        let id = Uuid::parse_str(&transaction_id)
            .map_err(|_| ApiError::bad_input("transactionId is not an id"))?;
        let row = admin_ops::refund(&state.db, &*state.cache, actor, id, &reason).await?;
        Ok(DustTransaction::new(row))
    }
}

#[derive(Default)]
pub struct LedgerSubscription;

#[Subscription]
impl LedgerSubscription {
    /// The caller's balance now (with the transaction that set it), then after every change, from any
    /// server replica. Ends when the access token expires; reconnect with a fresh one.
    #[graphql(guard = "RequireUser")]
    async fn dust_balance_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = BalanceChange> + use<>, ApiError> {
        let state = ctx.state();
        let viewer = ctx.principal()?;
        let remaining = (viewer.token_expires_at - Utc::now().timestamp()).max(0) as u64;
        let expiry = tokio::time::sleep(std::time::Duration::from_secs(remaining));
        // Listen first, then read: a change committed in between is sent twice rather than lost.
        let changes = events::subscribe(&*state.cache, viewer.user_id).await?;
        let current = events::latest(&state.db, viewer.user_id).await?;
        Ok(futures_util::stream::iter(current)
            .chain(changes)
            .map(|row| BalanceChange {
                balance: row.balance_after,
                transaction: DustTransaction::new(row),
            })
            .take_until(expiry))
    }
}
