//! The admin API over GraphQL: the user directory and account actions, the apps review list, the
//! platform-wide ledger and audit log, and platform statistics. Every field is admin-only; resolvers
//! parse arguments, call one service and map its answer.

mod types;

pub use types::{
    AdminAuditEntry, AdminAuditEntryConnection, AppStatusCount, PlatformStats, UserConnection,
    UserRole,
};

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit_log::{self, AuditFilter};
use super::directory::{self, UserFilter};
use super::{accounts, stats, transactions};
use crate::apps::catalog::{self, AppRef};
use crate::apps::graphql::{App, AppConnection, AppStatus};
use crate::apps::review::{self, ReviewFilter};
use crate::auth::{ContextExt, RequireAdmin};
use crate::error::{ApiError, ApiResult};
use crate::identity::graphql::User;
use crate::ledger::ApiTransactionKind;
use crate::ledger::graphql::{DustTransaction, DustTransactionConnection};
use crate::loaders::load_error;
use crate::pagination::{Cursor, page_size};
use types::{PlatformDay, TopApp};

fn id_arg(name: &str, id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ApiError::bad_input(format!("{name} is not an id")))
}

fn with_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

async fn app_arg(ctx: &Context<'_>, app: Option<ID>) -> ApiResult<Option<Uuid>> {
    match app {
        None => Ok(None),
        Some(app) => Ok(Some(
            catalog::resolve_app_id(&ctx.state().db, &AppRef::parse(&app))
                .await?
                .ok_or_else(|| ApiError::not_found("App"))?,
        )),
    }
}

fn cursor_of(created_at: DateTime<Utc>, id: Uuid) -> Cursor {
    Cursor { created_at, id }
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Every user (not the system account), newest first. `search` matches a part of the fairyname,
    /// email or phone literally (`%` and `_` are not wildcards).
    #[graphql(
        guard = "RequireAdmin",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        role: Option<UserRole>,
        active: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<UserConnection> {
        let size = page_size(first)?;
        let after = Cursor::parse_after(after.as_deref())?;
        let filter = UserFilter {
            search,
            role: role.map(Into::into),
            active,
        };
        let (rows, total) =
            directory::page(&ctx.state().db, &filter, after, size + 1, with_total(ctx)).await?;
        if crate::loaders::selects(ctx, &["lastSignInAt"]) {
            // Primed in one batch, so the page never splits into several by timing.
            ctx.loaders()
                .last_sign_in
                .load_many(rows.iter().map(|user| user.id))
                .await
                .map_err(|e| ApiError::internal(&*e))?;
        }
        let rows = rows
            .into_iter()
            .map(|user| (cursor_of(user.created_at, user.id), User::from(user)))
            .collect();
        Ok(UserConnection::from_rows(
            rows,
            size,
            after.is_some(),
            total,
        ))
    }

    /// Apps in any status for review, newest first; `search` matches a part of the name, slug or
    /// description. The public marketplace is `apps`.
    #[graphql(
        guard = "RequireAdmin",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn admin_apps(
        &self,
        ctx: &Context<'_>,
        status: Option<AppStatus>,
        builder_id: Option<ID>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AppConnection> {
        let size = page_size(first)?;
        let after = Cursor::parse_after(after.as_deref())?;
        let filter = ReviewFilter {
            status: status.map(Into::into),
            builder_id: builder_id.map(|id| id_arg("builderId", &id)).transpose()?,
            search,
        };
        let (rows, total) =
            review::page(&ctx.state().db, &filter, after, size + 1, with_total(ctx)).await?;
        let loaders = ctx.loaders();
        loaders.prime_apps(ctx, &rows).await.map_err(load_error)?;
        let rows = rows
            .into_iter()
            .map(|app| (cursor_of(app.created_at, app.id), App(app)))
            .collect();
        Ok(AppConnection::from_rows(rows, size, after.is_some(), total))
    }

    /// How many apps are in each status (for the review tabs), with the same builder and search
    /// filters as `adminApps`.
    #[graphql(guard = "RequireAdmin")]
    async fn app_status_counts(
        &self,
        ctx: &Context<'_>,
        builder_id: Option<ID>,
        search: Option<String>,
    ) -> ApiResult<Vec<AppStatusCount>> {
        let filter = ReviewFilter {
            status: None,
            builder_id: builder_id.map(|id| id_arg("builderId", &id)).transpose()?,
            search,
        };
        let counts = review::status_counts(&ctx.state().db, &filter).await?;
        Ok(counts
            .into_iter()
            .map(|(status, count)| AppStatusCount {
                status: status.into(),
                count,
            })
            .collect())
    }

    /// The platform per UTC day and in total over `from`–`to` (exclusive, at most 366 days). The
    /// totals' `activeUsers` counts each person once over the range: exact up to 1 000 people, beyond
    /// that an estimate with a standard error of 0.8 %.
    #[graphql(guard = "RequireAdmin")]
    async fn platform_stats(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<PlatformStats> {
        let selection = ctx.look_ahead();
        let with_top_apps =
            selection.field("topAppsByDust").exists() || selection.field("topAppsByCost").exists();
        let found = stats::platform_stats(&ctx.state().db, from, to, with_top_apps).await?;
        let top_ids: Vec<Uuid> = found
            .top_apps_by_dust
            .iter()
            .map(|(id, _)| *id)
            .chain(found.top_apps_by_cost.iter().map(|(id, _, _)| *id))
            .collect();
        ctx.loaders()
            .apps
            .load_many(top_ids)
            .await
            .map_err(load_error)?;
        Ok(PlatformStats {
            from,
            to,
            totals: (&found.totals).into(),
            days: found
                .days
                .iter()
                .map(|(date, m)| PlatformDay {
                    date: *date,
                    measures: m.into(),
                })
                .collect(),
            apps_by_status: found
                .apps_by_status
                .into_iter()
                .map(|(status, count)| AppStatusCount {
                    status: status.into(),
                    count,
                })
                .collect(),
            top_apps_by_dust: found
                .top_apps_by_dust
                .into_iter()
                .map(|(app_id, dust)| TopApp {
                    app_id,
                    dust_spent: dust,
                    llm_calls: 0,
                    llm_cost_usd: Default::default(),
                })
                .collect(),
            top_apps_by_cost: found
                .top_apps_by_cost
                .into_iter()
                .map(|(app_id, micros, calls)| TopApp {
                    app_id,
                    dust_spent: 0,
                    llm_calls: calls,
                    llm_cost_usd: crate::llm::pricing::from_micros(micros),
                })
                .collect(),
        })
    }

    /// Every user's DUST transactions, newest first. `to` is exclusive.
    #[graphql(
        guard = "RequireAdmin",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
        app_id: Option<ID>,
        #[graphql(name = "type")] kind: Option<ApiTransactionKind>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<DustTransactionConnection> {
        let size = page_size(first)?;
        let after = Cursor::parse_after(after.as_deref())?;
        let filter = transactions::TransactionFilter {
            user_id: user_id.map(|id| id_arg("userId", &id)).transpose()?,
            app_id: app_arg(ctx, app_id).await?,
            kind: kind.map(Into::into),
            from,
            to,
        };
        let (rows, total) =
            transactions::page(&ctx.state().db, &filter, after, size + 1, with_total(ctx)).await?;
        ctx.loaders()
            .prime_refunds(ctx, rows.iter().map(|row| row.id))
            .await
            .map_err(load_error)?;
        let rows = rows
            .into_iter()
            .map(|row| (cursor_of(row.created_at, row.id), DustTransaction::new(row)))
            .collect();
        Ok(DustTransactionConnection::from_rows(
            rows,
            size,
            after.is_some(),
            total,
        ))
    }

    /// Any DUST transaction by id.
    #[graphql(guard = "RequireAdmin")]
    async fn transaction(&self, ctx: &Context<'_>, id: ID) -> ApiResult<DustTransaction> {
        let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("Transaction"))?;
        let row = transactions::find(&ctx.state().db, id).await?;
        Ok(DustTransaction::new(row))
    }

    /// What admins did, newest first, with the state before and after. `to` is exclusive.
    #[graphql(
        guard = "RequireAdmin",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn admin_audit_log(
        &self,
        ctx: &Context<'_>,
        actor_id: Option<ID>,
        action: Option<String>,
        target_type: Option<String>,
        target_id: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AdminAuditEntryConnection> {
        let size = page_size(first)?;
        let after = Cursor::parse_after(after.as_deref())?;
        let filter = AuditFilter {
            actor_id: actor_id.map(|id| id_arg("actorId", &id)).transpose()?,
            action,
            target_type,
            target_id,
            from,
            to,
        };
        let (rows, total) =
            audit_log::page(&ctx.state().db, &filter, after, size + 1, with_total(ctx)).await?;
        let rows = rows
            .into_iter()
            .map(|row| (cursor_of(row.created_at, row.id), AdminAuditEntry(row)))
            .collect();
        Ok(AdminAuditEntryConnection::from_rows(
            rows,
            size,
            after.is_some(),
            total,
        ))
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Grants or removes admin rights. Refused for your own rights and for the last active admin.
    #[graphql(guard = "RequireAdmin")]
    async fn set_admin(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        is_admin: bool,
        reason: Option<String>,
    ) -> ApiResult<User> {
        let state = ctx.state();
        let user = accounts::set_admin(
            &state.db,
            &*state.cache,
            ctx.principal()?.user_id,
            id_arg("userId", &user_id)?,
            is_admin,
            reason.as_deref(),
        )
        .await?;
        Ok(User::from(user))
    }

    /// Blocks the account: every session ends at once, sign-in and refresh are refused. Its data
    /// and DUST ledger are kept.
    #[graphql(guard = "RequireAdmin")]
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        reason: String,
    ) -> ApiResult<User> {
        let state = ctx.state();
        let user = accounts::deactivate(
            &state.db,
            &*state.cache,
            ctx.principal()?.user_id,
            id_arg("userId", &user_id)?,
            &reason,
        )
        .await?;
        Ok(User::from(user))
    }

    /// Lets a deactivated user sign in again.
    #[graphql(guard = "RequireAdmin")]
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        reason: Option<String>,
    ) -> ApiResult<User> {
        let user = accounts::reactivate(
            &ctx.state().db,
            ctx.principal()?.user_id,
            id_arg("userId", &user_id)?,
            reason.as_deref(),
        )
        .await?;
        Ok(User::from(user))
    }

    /// Signs a user out of every device at once; returns how many sessions ended.
    #[graphql(guard = "RequireAdmin")]
    async fn revoke_user_sessions(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        reason: Option<String>,
    ) -> ApiResult<i32> {
        let state = ctx.state();
        let n = accounts::revoke_sessions(
            &state.db,
            &*state.cache,
            ctx.principal()?.user_id,
            id_arg("userId", &user_id)?,
            reason.as_deref(),
        )
        .await?;
        Ok(n as i32)
    }
}

/// `User.lastSignInAt`, batched across a page of users.
pub async fn last_sign_in_of(ctx: &Context<'_>, user_id: Uuid) -> ApiResult<Option<DateTime<Utc>>> {
    let loaded = ctx
        .loaders()
        .last_sign_in
        .load_one(user_id)
        .await
        .map_err(|e| ApiError::internal(&*e))?;
    Ok(loaded.flatten())
}

/// `User.llmUsage`: the same report as `llmUsage(userId:)`.
pub async fn llm_usage_of(
    ctx: &Context<'_>,
    user_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<crate::llm::graphql::LlmUsageReport> {
    use crate::llm::analytics::{self, GroupBy, UsageFilter};
    crate::llm::graphql::window(from, to)?;
    let db = &ctx.state().db;
    let filter = UsageFilter {
        app_id: None,
        user_id: Some(user_id),
        from,
        to,
    };
    Ok(crate::llm::graphql::LlmUsageReport {
        totals: analytics::totals(db, &filter).await?.into(),
        by_day: crate::llm::graphql::groups(db, &filter, GroupBy::Day).await?,
        cost_limits: None,
    })
}

/// `DustTransaction.user` and `LedgerDiscrepancy.user`: admins see anyone, a user only themself.
pub async fn user_of(ctx: &Context<'_>, user_id: Uuid) -> ApiResult<Option<User>> {
    let Some(viewer) = ctx.viewer().principal() else {
        return Ok(None);
    };
    if viewer.user_id != user_id && !viewer.roles.admin {
        return Ok(None);
    }
    let user = ctx
        .loaders()
        .users
        .load_one(user_id)
        .await
        .map_err(load_error)?;
    Ok(user.map(User::from))
}
