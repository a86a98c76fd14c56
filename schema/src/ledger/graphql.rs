//! The ledger's GraphQL surface. Resolvers only read the viewer, call the services and map errors.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::dust_transactions;
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use super::admin_ops::{self, BulkOutcome};
use super::consume::{self, ConsumeRequest};
use super::reports::{self, HistoryFilter};
use super::{TransactionKind, events};
use crate::apps::catalog::{self, AppRef};
use crate::apps::graphql::App;
use crate::auth::{ContextExt, RequireAdmin, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::loaders::Loaders;
use crate::pagination::{Cursor, page_size};
use crate::state::AppState;

/// One change of a DUST balance.
#[derive(Clone, Debug)]
pub struct DustTransaction {
    pub row: dust_transactions::Model,
    pub replayed: bool,
}

impl DustTransaction {
    pub fn new(row: dust_transactions::Model) -> Self {
        Self {
            row,
            replayed: false,
        }
    }
}

#[Object]
impl DustTransaction {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    /// Signed: negative for spending.
    async fn amount(&self) -> i32 {
        self.row.amount
    }

    async fn balance_after(&self) -> i32 {
        self.row.balance_after
    }

    #[graphql(name = "type")]
    async fn kind(&self) -> Option<TransactionKind> {
        TransactionKind::parse(&self.row.kind)
    }

    async fn status(&self) -> &str {
        &self.row.status
    }

    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        let Some(app_id) = self.row.app_id else {
            return Ok(None);
        };
        let app = ctx
            .data_unchecked::<Loaders>()
            .apps
            .load_one(app_id)
            .await
            .map_err(|e| ApiError::internal(&*e))?;
        Ok(app.map(App))
    }

    async fn action(&self) -> Option<&str> {
        self.row.action.as_deref()
    }

    async fn quantity(&self) -> Option<i32> {
        self.row.quantity
    }

    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }

    /// For a refund: the consume it reverses.
    async fn reference_id(&self) -> Option<ID> {
        self.row.reference_id.map(|id| ID(id.to_string()))
    }

    async fn metadata(&self) -> Option<Json<serde_json::Value>> {
        self.row.metadata.clone().map(Json)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }

    /// True when this answer repeats the result of an earlier request with the same idempotency key.
    async fn replayed(&self) -> bool {
        self.replayed
    }
}

crate::connection!(
    DustTransactionConnection,
    DustTransactionEdge,
    DustTransaction
);

#[derive(InputObject)]
pub struct ConsumeDustInput {
    /// The app's id or slug.
    pub app_id: ID,
    /// The app action whose price is charged.
    pub action: String,
    #[graphql(default = 1)]
    pub quantity: i32,
    /// 1–128 characters of A–Z a–z 0–9 _ : -. Retrying with the same key returns the first result.
    pub idempotency_key: String,
    pub metadata: Option<Json<serde_json::Value>>,
}

#[derive(SimpleObject)]
pub struct DustCheck {
    pub sufficient: bool,
    pub balance: i32,
    pub required: i64,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct DustStats {
    pub granted: i64,
    pub consumed: i64,
    pub purchased: i64,
    pub refunded: i64,
    pub rewarded: i64,
    pub adjusted: i64,
    /// Number of transactions.
    pub count: i64,
    #[graphql(skip)]
    pub favorite_app_id: Option<Uuid>,
}

#[async_graphql::ComplexObject]
impl DustStats {
    /// The app the user spent DUST in most often.
    async fn favorite_app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        let Some(app_id) = self.favorite_app_id else {
            return Ok(None);
        };
        let app = ctx
            .data_unchecked::<Loaders>()
            .apps
            .load_one(app_id)
            .await
            .map_err(|e| ApiError::internal(&*e))?;
        Ok(app.map(App))
    }
}

#[derive(SimpleObject)]
pub struct BulkGrantResult {
    pub user_id: ID,
    pub granted: bool,
    pub transaction: Option<DustTransaction>,
    /// Why this user got nothing: NOT_FOUND or BALANCE_LIMIT.
    pub error: Option<String>,
}

#[derive(SimpleObject)]
pub struct LedgerDiscrepancy {
    pub user_id: ID,
    pub balance: i32,
    pub transaction_sum: i64,
}

#[derive(SimpleObject)]
pub struct AppDustDay {
    pub date: NaiveDate,
    pub unique_users: i64,
    pub transactions: i64,
    pub dust_consumed: i64,
}

#[derive(SimpleObject)]
pub struct BalanceChange {
    pub balance: i32,
    pub transaction: DustTransaction,
}

fn parse_user_id(id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id)
        .map_err(|_| ApiError::bad_input(format!("{:?} is not a user id", id.as_str())))
}

/// `me { dustTransactions }`: the caller's history, newest first.
pub async fn transactions_page(
    ctx: &Context<'_>,
    user_id: Uuid,
    first: Option<i32>,
    after: Option<String>,
    kind: Option<TransactionKind>,
    app_id: Option<ID>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<DustTransactionConnection> {
    let state = ctx.data_unchecked::<AppState>();
    let size = page_size(first)?;
    let after = Cursor::parse_after(after.as_deref())?;
    let app_id = match app_id {
        Some(app) => Some(
            catalog::resolve_app_id(&state.db, &AppRef::parse(&app))
                .await?
                .ok_or_else(|| ApiError::not_found("App"))?,
        ),
        None => None,
    };
    let filter = HistoryFilter {
        kind,
        app_id,
        from,
        to,
    };
    let with_total = ctx.look_ahead().field("totalCount").exists();
    let (rows, total) =
        reports::history(&state.db, user_id, &filter, after, size + 1, with_total).await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            (
                Cursor {
                    created_at: row.created_at,
                    id: row.id,
                },
                DustTransaction::new(row),
            )
        })
        .collect();
    Ok(DustTransactionConnection::from_rows(
        rows,
        size,
        after.is_some(),
        total,
    ))
}

pub async fn stats_of(ctx: &Context<'_>, user_id: Uuid) -> ApiResult<DustStats> {
    let stats = reports::stats(&ctx.data_unchecked::<AppState>().db, user_id).await?;
    Ok(DustStats {
        granted: stats.granted,
        consumed: stats.consumed,
        purchased: stats.purchased,
        refunded: stats.refunded,
        rewarded: stats.rewarded,
        adjusted: stats.adjusted,
        count: stats.count,
        favorite_app_id: stats.favorite_app_id,
    })
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
        let state = ctx.data_unchecked::<AppState>();
        let user = ctx.principal()?;
        let check = consume::check(
            &state.db,
            &*state.cache,
            user.user_id,
            &AppRef::parse(&app_id),
            &action,
            quantity,
        )
        .await?;
        Ok(DustCheck {
            sufficient: check.sufficient,
            balance: check.balance,
            required: check.required,
        })
    }

    /// Users whose balance differs from the sum of their transactions. Always empty unless something
    /// is badly wrong.
    #[graphql(guard = "RequireAdmin")]
    async fn ledger_audit(&self, ctx: &Context<'_>) -> ApiResult<Vec<LedgerDiscrepancy>> {
        let rows = reports::audit(&ctx.data_unchecked::<AppState>().db).await?;
        Ok(rows
            .into_iter()
            .map(|row| LedgerDiscrepancy {
                user_id: ID(row.user_id.to_string()),
                balance: row.balance,
                transaction_sum: row.transaction_sum,
            })
            .collect())
    }

    /// DUST spent in an app per UTC day, for its builder or an admin. `to` is exclusive; at most 366 days.
    #[graphql(guard = "RequireUser")]
    async fn app_dust_analytics(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<AppDustDay>> {
        let state = ctx.data_unchecked::<AppState>();
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
        let state = ctx.data_unchecked::<AppState>();
        let request = ConsumeRequest {
            user_id: ctx.principal()?.user_id,
            app: AppRef::parse(&input.app_id),
            action: input.action,
            quantity: input.quantity,
            idempotency_key: input.idempotency_key,
            metadata: input.metadata.map(|m| m.0),
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
        let state = ctx.data_unchecked::<AppState>();
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
        let state = ctx.data_unchecked::<AppState>();
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
                    BulkOutcome::Granted(row) => (Some(DustTransaction::new(row)), None),
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
        let state = ctx.data_unchecked::<AppState>();
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
        let state = ctx.data_unchecked::<AppState>();
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
        let state = ctx.data_unchecked::<AppState>();
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
    /// The caller's balance after every change, from any server replica. Ends when the access token
    /// expires; reconnect with a fresh one.
    #[graphql(guard = "RequireUser")]
    async fn dust_balance_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = BalanceChange> + use<>, ApiError> {
        let state = ctx.data_unchecked::<AppState>();
        let viewer = ctx.principal()?;
        let remaining = (viewer.token_expires_at - Utc::now().timestamp()).max(0) as u64;
        let expiry = tokio::time::sleep(std::time::Duration::from_secs(remaining));
        let changes = events::subscribe(&*state.cache, viewer.user_id).await?;
        Ok(changes
            .map(|row| BalanceChange {
                balance: row.balance_after,
                transaction: DustTransaction::new(row),
            })
            .take_until(expiry))
    }
}
