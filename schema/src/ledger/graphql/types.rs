//! The ledger's GraphQL types: `DustTransaction` and its connection, the `consumeDust` input, and the
//! check, stats, bulk-grant, audit, analytics and balance-change results; plus `transactions_page`
//! and `stats_of`, which `me` resolves through.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::dust_transactions;
use uuid::Uuid;

use crate::apps::catalog::{self, AppRef};
use crate::apps::graphql::App;
use crate::auth::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::identity::graphql::User;
use crate::ledger::reports::{self, TransactionFilter};
use crate::ledger::{ApiTransactionKind, TransactionKind};
use crate::loaders::load_error;
use crate::pagination::{Cursor, page_size};
use sea_orm::ActiveEnum;

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
    async fn kind(&self) -> Option<ApiTransactionKind> {
        Some(self.row.kind.into())
    }

    async fn status(&self) -> String {
        self.row.status.to_value()
    }

    /// Whose balance moved: for admins, and for the user themself; null for anyone else.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        crate::admin::graphql::user_of(ctx, self.row.user_id).await
    }

    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        let Some(app_id) = self.row.app_id else {
            return Ok(None);
        };
        App::load(ctx, app_id).await
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

    /// For a consume: the refund that gave its DUST back, if any (a consume is refunded at most once);
    /// null for every other kind.
    async fn refunded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<DustTransaction>> {
        if self.row.kind != TransactionKind::Consume {
            return Ok(None);
        }
        let refund = ctx
            .loaders()
            .refunds
            .load_one(self.row.id)
            .await
            .map_err(load_error)?;
        Ok(refund.flatten().map(DustTransaction::new))
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
    /// The most DUST (price × quantity) the user agreed to, e.g. the price they were shown. When the
    /// price has since been raised above it, nothing is charged and the answer is `CONFLICT`
    /// (`reason: PRICE_ABOVE_MAX_DUST`, with `required` and `maxDust`). At least 1.
    pub max_dust: Option<i32>,
}

#[derive(SimpleObject)]
pub struct DustCheck {
    /// Whether `available` covers `required`.
    pub sufficient: bool,
    /// The caller's balance, exact.
    pub balance: i32,
    /// The balance less the DUST held for the caller's model calls in flight (`generateText`,
    /// `generateStory`): what can be spent now.
    pub available: i32,
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
        App::load(ctx, app_id).await
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
#[graphql(complex)]
pub struct LedgerDiscrepancy {
    /// Kept for older clients; `user` has the whole account.
    pub user_id: ID,
    pub balance: i32,
    pub transaction_sum: i64,
}

/// One step of the ledger audit's walk over the users, in id order.
#[derive(SimpleObject)]
pub struct LedgerAuditChunk {
    /// Users of this chunk whose balance differs from the sum of their transactions.
    pub discrepancies: Vec<LedgerDiscrepancy>,
    /// Users checked by this call.
    pub checked_users: i64,
    /// Pass as `after` for the next chunk; null when this chunk reached the last user.
    pub next_after: Option<ID>,
    /// All users, to show how far the walk has come.
    pub total_users: i64,
}

impl From<crate::ledger::audit::AuditChunk> for LedgerAuditChunk {
    fn from(chunk: crate::ledger::audit::AuditChunk) -> Self {
        Self {
            discrepancies: chunk
                .discrepancies
                .into_iter()
                .map(|row| LedgerDiscrepancy {
                    user_id: ID(row.user_id.to_string()),
                    balance: row.balance,
                    transaction_sum: row.transaction_sum,
                })
                .collect(),
            checked_users: chunk.checked_users as i64,
            next_after: chunk.next_after.map(|id| ID(id.to_string())),
            total_users: chunk.total_users as i64,
        }
    }
}

#[async_graphql::ComplexObject]
impl LedgerDiscrepancy {
    /// The account whose balance differs.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Ok(id) = Uuid::parse_str(&self.user_id) else {
            return Ok(None);
        };
        crate::admin::graphql::user_of(ctx, id).await
    }
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

/// The arguments of `dustTransactions`.
pub struct TransactionsArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub kind: Option<ApiTransactionKind>,
    pub app_id: Option<ID>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// `me { dustTransactions }`: the caller's history, newest first.
pub async fn transactions_page(
    ctx: &Context<'_>,
    user_id: Uuid,
    args: TransactionsArgs,
) -> ApiResult<DustTransactionConnection> {
    let TransactionsArgs {
        first,
        after,
        kind,
        app_id,
        from,
        to,
    } = args;
    let state = ctx.state();
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
    let filter = TransactionFilter {
        user_id: Some(user_id),
        kind: kind.map(Into::into),
        app_id,
        from,
        to,
    };
    let with_total = ctx.look_ahead().field("totalCount").exists();
    let (rows, total) =
        reports::transactions(&state.db, &filter, after, size + 1, with_total).await?;
    ctx.loaders()
        .prime_refunds(ctx, rows.iter().map(|row| row.id))
        .await
        .map_err(load_error)?;
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
    let stats = reports::stats(&ctx.state().db, user_id).await?;
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
