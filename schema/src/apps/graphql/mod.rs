//! The marketplace, builders' apps and the admin decisions over GraphQL.
//!
//! This module holds the `AppsQuery`/`AppsMutation` roots and `decide`. The `App` object and its
//! enums live in `app.rs` and the mutation inputs in `inputs.rs`; both are re-exported here, so
//! their paths stay `crate::apps::graphql::X`.

mod app;
mod builder;
mod inputs;

pub use app::{App, AppAction, AppCategory, AppConnection, AppEdge, AppStatus};
pub use builder::{
    AppStats, AppStatsDay, AppTransaction, AppTransactionConnection, SlugAvailability,
};
pub use inputs::{CreateAppInput, UpdateAppInput};

use async_graphql::{Context, ID, Object};
use uuid::Uuid;

use super::access;
use super::catalog::{self, AppRef};
use super::listing::{self, MarketFilter};
use super::service::{self, AppFields, Decision};
use crate::auth::{ContextExt, RequireAdmin, RequireBuilder, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::identity::graphql::User;
use crate::loaders::load_error;
use crate::pagination::{Cursor, page_size};

async fn app_id(ctx: &Context<'_>, app: &ID) -> ApiResult<Uuid> {
    catalog::resolve_app_id(&ctx.state().db, &AppRef::parse(app))
        .await?
        .ok_or_else(|| ApiError::not_found("App"))
}

#[derive(Default)]
pub struct AppsQuery;

#[Object]
impl AppsQuery {
    /// The marketplace: approved, active apps, newest first. A `search` scans names and descriptions,
    /// so it costs more complexity.
    #[graphql(
        complexity = "search.as_ref().map_or(0, |_| crate::graphql::EXPENSIVE_FIELD) + first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn apps(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        category: Option<AppCategory>,
        search: Option<String>,
    ) -> ApiResult<AppConnection> {
        let size = page_size(first)?;
        let after = Cursor::parse_after(after.as_deref())?;
        let filter = MarketFilter {
            category: category.map(Into::into),
            search,
            builder_id: None,
        };
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let (rows, total) =
            listing::page(&ctx.state().db, &filter, after, size + 1, with_total).await?;
        let loaders = ctx.loaders();
        loaders.prime_apps(ctx, &rows).await.map_err(load_error)?;
        let rows = rows
            .into_iter()
            .map(|app| {
                (
                    Cursor {
                        created_at: app.created_at,
                        id: app.id,
                    },
                    App(app),
                )
            })
            .collect();
        Ok(AppConnection::from_rows(rows, size, after.is_some(), total))
    }

    /// One app by id or slug. Apps off the marketplace are visible only to their builder and admins.
    async fn app(&self, ctx: &Context<'_>, id: Option<ID>, slug: Option<String>) -> ApiResult<App> {
        let reference = match (id, slug) {
            (Some(id), None) => AppRef::parse(&id),
            (None, Some(slug)) => AppRef::Slug(slug.trim().to_lowercase()),
            _ => return Err(ApiError::bad_input("Give exactly one of id or slug")),
        };
        let viewer = ctx.viewer().principal();
        Ok(App(
            access::visible(&ctx.state().db, viewer, &reference).await?
        ))
    }

    /// The caller's apps, in any status.
    #[graphql(guard = "RequireUser")]
    async fn my_apps(&self, ctx: &Context<'_>) -> ApiResult<Vec<App>> {
        let filter = MarketFilter {
            builder_id: Some(ctx.principal()?.user_id),
            ..MarketFilter::default()
        };
        let (rows, _) = listing::page(&ctx.state().db, &filter, None, 1_000, false).await?;
        let loaders = ctx.loaders();
        loaders.prime_apps(ctx, &rows).await.map_err(load_error)?;
        Ok(rows.into_iter().map(App).collect())
    }

    /// Whether `slug` is free for an app, for a live preview; `appId` names the app being edited,
    /// whose own slug counts as free. `createApp`/`updateApp` still decide (CONFLICT when taken).
    #[graphql(guard = "RequireUser")]
    async fn slug_available(
        &self,
        ctx: &Context<'_>,
        slug: String,
        app_id: Option<ID>,
    ) -> ApiResult<SlugAvailability> {
        // Only an app the caller may edit keeps its own slug free.
        let own = match app_id {
            Some(id) => {
                let viewer = ctx.principal()?;
                service::editable(&ctx.state().db, viewer, self::app_id(ctx, &id).await?)
                    .await
                    .map(|app| Some(app.id))?
            }
            None => None,
        };
        let availability = super::slug_check::availability(&ctx.state().db, &slug, own).await?;
        Ok(availability.into())
    }
}

#[derive(Default)]
pub struct AppsMutation;

#[Object]
impl AppsMutation {
    /// Opts the caller in as a builder, who can publish apps.
    #[graphql(guard = "RequireUser")]
    async fn become_builder(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let viewer = ctx.principal()?;
        Ok(User::from(
            service::set_builder(
                &ctx.state().db,
                &*ctx.state().cache,
                viewer,
                viewer.user_id,
                true,
            )
            .await?,
        ))
    }

    #[graphql(guard = "RequireAdmin")]
    async fn set_builder(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        is_builder: bool,
    ) -> ApiResult<User> {
        let user_id = Uuid::parse_str(&user_id).map_err(|_| ApiError::not_found("User"))?;
        Ok(User::from(
            service::set_builder(
                &ctx.state().db,
                &*ctx.state().cache,
                ctx.principal()?,
                user_id,
                is_builder,
            )
            .await?,
        ))
    }

    /// Publishes an app: approved at once, or pending an admin's review when the server is set to
    /// review new apps (`APP_AUTO_APPROVE=false`).
    #[graphql(guard = "RequireBuilder")]
    async fn create_app(&self, ctx: &Context<'_>, input: CreateAppInput) -> ApiResult<App> {
        let fields = AppFields {
            name: Some(input.name),
            slug: input.slug,
            description: Some(input.description),
            category: Some(input.category.into()),
            icon_url: Some(input.icon_url),
            website_url: Some(input.website_url),
            demo_url: Some(input.demo_url),
            callback_url: Some(input.callback_url),
            is_active: None,
        };
        let state = ctx.state();
        let builder_id = ctx.principal()?.user_id;
        let limits = &state.settings.content;
        service::throttle_create(&*state.cache, limits, builder_id).await?;
        Ok(App(service::create(
            &state.db,
            builder_id,
            fields,
            limits.max_apps_per_builder,
            state.settings.app_auto_approve,
        )
        .await?))
    }

    #[graphql(guard = "RequireUser")]
    async fn update_app(&self, ctx: &Context<'_>, id: ID, input: UpdateAppInput) -> ApiResult<App> {
        let fields = AppFields {
            name: input.name,
            slug: input.slug,
            description: input.description,
            category: input.category.map(Into::into),
            icon_url: input.icon_url.into(),
            website_url: input.website_url.into(),
            demo_url: input.demo_url.into(),
            callback_url: input.callback_url.into(),
            is_active: input.is_active,
        };
        let app_id = app_id(ctx, &id).await?;
        Ok(App(service::update(
            &ctx.state().db,
            &*ctx.state().cache,
            ctx.principal()?,
            app_id,
            fields,
        )
        .await?))
    }

    /// Adds or re-prices an action (1–10 000 DUST).
    #[graphql(guard = "RequireUser")]
    async fn set_app_action(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
        action: String,
        dust_cost: i32,
        description: Option<String>,
    ) -> ApiResult<AppAction> {
        let id = self::app_id(ctx, &app_id).await?;
        let row = service::set_action(
            &ctx.state().db,
            &*ctx.state().cache,
            ctx.principal()?,
            id,
            &action,
            dust_cost,
            description,
        )
        .await?;
        Ok(row.into())
    }

    #[graphql(guard = "RequireUser")]
    async fn remove_app_action(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
        action: String,
    ) -> ApiResult<bool> {
        let id = self::app_id(ctx, &app_id).await?;
        service::remove_action(
            &ctx.state().db,
            &*ctx.state().cache,
            ctx.principal()?,
            id,
            &action,
        )
        .await?;
        Ok(true)
    }

    /// pending → approved.
    #[graphql(guard = "RequireAdmin")]
    async fn approve_app(&self, ctx: &Context<'_>, id: ID, note: Option<String>) -> ApiResult<App> {
        decide(ctx, &id, Decision::Approve, note).await
    }

    /// pending → rejected.
    #[graphql(guard = "RequireAdmin")]
    async fn reject_app(&self, ctx: &Context<'_>, id: ID, note: String) -> ApiResult<App> {
        decide(ctx, &id, Decision::Reject, Some(note)).await
    }

    /// approved → suspended: the app stops charging and leaves the marketplace.
    #[graphql(guard = "RequireAdmin")]
    async fn suspend_app(&self, ctx: &Context<'_>, id: ID, note: String) -> ApiResult<App> {
        decide(ctx, &id, Decision::Suspend, Some(note)).await
    }

    /// suspended or rejected → approved.
    #[graphql(guard = "RequireAdmin")]
    async fn reactivate_app(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
    ) -> ApiResult<App> {
        decide(ctx, &id, Decision::Reactivate, note).await
    }
}

async fn decide(
    ctx: &Context<'_>,
    id: &ID,
    decision: Decision,
    note: Option<String>,
) -> ApiResult<App> {
    let app_id = app_id(ctx, id).await?;
    let admin = ctx.principal()?.user_id;
    Ok(App(service::decide(
        &ctx.state().db,
        &*ctx.state().cache,
        admin,
        app_id,
        decision,
        note,
    )
    .await?))
}
