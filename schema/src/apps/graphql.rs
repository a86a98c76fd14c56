//! The marketplace, builders' apps and the admin decisions over GraphQL.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use fairydust_entities::{app_actions, apps};
use uuid::Uuid;

use super::catalog::{self, AppRef};
use super::listing::{self, MarketFilter};
use super::service::{self, AppFields, Decision};
use crate::auth::{ContextExt, RequireAdmin, RequireBuilder, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::identity::graphql::{PublicUser, User};
use crate::ledger::reports;
use crate::llm::analytics::{self, GroupBy, UsageFilter};
use crate::llm::graphql::{AppModelConfig, AppUsageDay, model_config_of, window};
use crate::llm::pricing;
use crate::loaders::{Loaders, load_error};
use crate::pagination::{Cursor, page_size};
use crate::state::AppState;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppCategory {
    Productivity,
    Entertainment,
    Education,
    Business,
    Creative,
    Utilities,
    Games,
    Lifestyle,
    Other,
}

impl AppCategory {
    fn as_str(self) -> &'static str {
        match self {
            AppCategory::Productivity => "productivity",
            AppCategory::Entertainment => "entertainment",
            AppCategory::Education => "education",
            AppCategory::Business => "business",
            AppCategory::Creative => "creative",
            AppCategory::Utilities => "utilities",
            AppCategory::Games => "games",
            AppCategory::Lifestyle => "lifestyle",
            AppCategory::Other => "other",
        }
    }

    fn parse(stored: &str) -> Self {
        [
            AppCategory::Productivity,
            AppCategory::Entertainment,
            AppCategory::Education,
            AppCategory::Business,
            AppCategory::Creative,
            AppCategory::Utilities,
            AppCategory::Games,
            AppCategory::Lifestyle,
        ]
        .into_iter()
        .find(|c| c.as_str() == stored)
        .unwrap_or(AppCategory::Other)
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppStatus {
    Pending,
    Approved,
    Rejected,
    Suspended,
}

impl AppStatus {
    fn parse(stored: &str) -> Self {
        match stored {
            "pending" => AppStatus::Pending,
            "rejected" => AppStatus::Rejected,
            "suspended" => AppStatus::Suspended,
            _ => AppStatus::Approved,
        }
    }
}

/// A priced action of an app: what `consumeDust` and `generateText` charge.
#[derive(SimpleObject, Clone)]
pub struct AppAction {
    pub action: String,
    pub dust_cost: i32,
    pub description: Option<String>,
}

impl From<app_actions::Model> for AppAction {
    fn from(row: app_actions::Model) -> Self {
        Self {
            action: row.action,
            dust_cost: row.dust_cost,
            description: row.description,
        }
    }
}

#[derive(Clone, Debug)]
pub struct App(pub apps::Model);

impl App {
    /// The builder and admins see everything; others the public fields.
    fn privileged(&self, ctx: &Context<'_>) -> bool {
        ctx.viewer()
            .principal()
            .is_some_and(|viewer| viewer.user_id == self.0.builder_id || viewer.roles.admin)
    }

    fn require_privileged(&self, ctx: &Context<'_>) -> ApiResult<()> {
        if self.privileged(ctx) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "Only the app's builder or an admin can see this",
            ))
        }
    }
}

#[Object]
impl App {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn category(&self) -> AppCategory {
        AppCategory::parse(&self.0.category)
    }

    async fn status(&self) -> AppStatus {
        AppStatus::parse(&self.0.status)
    }

    async fn is_active(&self) -> bool {
        self.0.is_active
    }

    async fn icon_url(&self) -> Option<&str> {
        self.0.icon_url.as_deref()
    }

    async fn website_url(&self) -> Option<&str> {
        self.0.website_url.as_deref()
    }

    async fn demo_url(&self) -> Option<&str> {
        self.0.demo_url.as_deref()
    }

    /// The builder's and admins' eyes only; null for everyone else.
    async fn callback_url(&self, ctx: &Context<'_>) -> Option<&str> {
        self.privileged(ctx)
            .then_some(self.0.callback_url.as_deref())
            .flatten()
    }

    /// Notes from the admins' decisions: the builder's and admins' eyes only; null for everyone else.
    async fn admin_notes(&self, ctx: &Context<'_>) -> Option<&str> {
        self.privileged(ctx)
            .then_some(self.0.admin_notes.as_deref())
            .flatten()
    }

    async fn builder(&self, ctx: &Context<'_>) -> ApiResult<Option<PublicUser>> {
        let user = ctx
            .data_unchecked::<Loaders>()
            .users
            .load_one(self.0.builder_id)
            .await
            .map_err(load_error)?;
        Ok(user.map(PublicUser))
    }

    /// The priced actions.
    async fn actions(&self, ctx: &Context<'_>) -> ApiResult<Vec<AppAction>> {
        let actions = ctx
            .data_unchecked::<Loaders>()
            .app_actions
            .load_one(self.0.id)
            .await
            .map_err(load_error)?;
        Ok(actions
            .unwrap_or_default()
            .into_iter()
            .map(AppAction::from)
            .collect())
    }

    /// Which models the app uses: the builder's and admins' eyes only.
    async fn model_config(&self, ctx: &Context<'_>) -> ApiResult<Option<AppModelConfig>> {
        self.require_privileged(ctx)?;
        model_config_of(ctx, self.0.id).await
    }

    /// LLM and DUST use per UTC day: the builder's and admins' eyes only. `to` is exclusive.
    async fn usage_stats(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<AppUsageDay>> {
        self.require_privileged(ctx)?;
        window(from, to)?;
        let db = &ctx.data_unchecked::<AppState>().db;
        let filter = UsageFilter {
            app_id: Some(self.0.id),
            user_id: None,
            from,
            to,
        };
        let llm = analytics::grouped(db, &filter, GroupBy::Day).await?;
        let dust = reports::app_analytics(db, self.0.id, from, to).await?;
        let mut days: BTreeMap<chrono::NaiveDate, AppUsageDay> = BTreeMap::new();
        let blank = |date| AppUsageDay {
            date,
            requests: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: rust_decimal::Decimal::ZERO,
            dust_consumed: 0,
            unique_users: 0,
        };
        for group in llm {
            let Ok(date) = chrono::NaiveDate::parse_from_str(&group.key, "%Y-%m-%d") else {
                continue;
            };
            let day = days.entry(date).or_insert_with(|| blank(date));
            day.requests = group.totals.requests;
            day.prompt_tokens = group.totals.prompt_tokens;
            day.completion_tokens = group.totals.completion_tokens;
            day.cost_usd = pricing::from_micros(group.totals.cost_micros);
            day.unique_users = group.totals.unique_users;
        }
        for spent in dust {
            let day = days.entry(spent.date).or_insert_with(|| blank(spent.date));
            day.dust_consumed = spent.dust_consumed;
            day.unique_users = day.unique_users.max(spent.unique_users);
        }
        Ok(days.into_values().collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

crate::connection!(AppConnection, AppEdge, App);

#[derive(InputObject)]
pub struct CreateAppInput {
    /// 1–100 characters.
    pub name: String,
    /// Lower-case words joined by dashes, ≤ 64; derived from the name when left out.
    pub slug: Option<String>,
    /// 1–2000 characters.
    pub description: String,
    pub category: AppCategory,
    pub icon_url: Option<String>,
    pub website_url: Option<String>,
    pub demo_url: Option<String>,
    pub callback_url: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional URL.
#[derive(InputObject)]
pub struct UpdateAppInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub category: Option<AppCategory>,
    pub icon_url: MaybeUndefined<String>,
    pub website_url: MaybeUndefined<String>,
    pub demo_url: MaybeUndefined<String>,
    pub callback_url: MaybeUndefined<String>,
    /// The builder's own switch to take the app off the marketplace.
    pub is_active: Option<bool>,
}

fn change(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

async fn app_id(ctx: &Context<'_>, app: &ID) -> ApiResult<Uuid> {
    catalog::resolve_app_id(&state(ctx).db, &AppRef::parse(app))
        .await?
        .ok_or_else(|| ApiError::not_found("App"))
}

#[derive(Default)]
pub struct AppsQuery;

#[Object]
impl AppsQuery {
    /// The marketplace: approved, active apps, newest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
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
            category: category.map(|c| c.as_str().to_owned()),
            search,
            builder_id: None,
        };
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let (rows, total) =
            listing::page(&state(ctx).db, &filter, after, size + 1, with_total).await?;
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
        let app = App(catalog::find_app(&state(ctx).db, &reference)
            .await?
            .ok_or_else(|| ApiError::not_found("App"))?);
        let public = app.0.status == "approved" && app.0.is_active;
        if public || app.privileged(ctx) {
            Ok(app)
        } else {
            Err(ApiError::not_found("App"))
        }
    }

    /// The caller's apps, in any status.
    #[graphql(guard = "RequireUser")]
    async fn my_apps(&self, ctx: &Context<'_>) -> ApiResult<Vec<App>> {
        let filter = MarketFilter {
            builder_id: Some(ctx.principal()?.user_id),
            ..MarketFilter::default()
        };
        let (rows, _) = listing::page(&state(ctx).db, &filter, None, 1_000, false).await?;
        Ok(rows.into_iter().map(App).collect())
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
        Ok(User(
            service::set_builder(
                &state(ctx).db,
                &*state(ctx).cache,
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
        Ok(User(
            service::set_builder(
                &state(ctx).db,
                &*state(ctx).cache,
                ctx.principal()?,
                user_id,
                is_builder,
            )
            .await?,
        ))
    }

    /// Publishes an app; it is approved and active at once.
    #[graphql(guard = "RequireBuilder")]
    async fn create_app(&self, ctx: &Context<'_>, input: CreateAppInput) -> ApiResult<App> {
        let fields = AppFields {
            name: Some(input.name),
            slug: input.slug,
            description: Some(input.description),
            category: Some(input.category.as_str().to_owned()),
            icon_url: Some(input.icon_url),
            website_url: Some(input.website_url),
            demo_url: Some(input.demo_url),
            callback_url: Some(input.callback_url),
            is_active: None,
        };
        Ok(App(service::create(
            &state(ctx).db,
            ctx.principal()?.user_id,
            fields,
        )
        .await?))
    }

    #[graphql(guard = "RequireUser")]
    async fn update_app(&self, ctx: &Context<'_>, id: ID, input: UpdateAppInput) -> ApiResult<App> {
        let fields = AppFields {
            name: input.name,
            slug: input.slug,
            description: input.description,
            category: input.category.map(|c| c.as_str().to_owned()),
            icon_url: change(input.icon_url),
            website_url: change(input.website_url),
            demo_url: change(input.demo_url),
            callback_url: change(input.callback_url),
            is_active: input.is_active,
        };
        let app_id = app_id(ctx, &id).await?;
        Ok(App(service::update(
            &state(ctx).db,
            &*state(ctx).cache,
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
            &state(ctx).db,
            &*state(ctx).cache,
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
            &state(ctx).db,
            &*state(ctx).cache,
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
        &state(ctx).db,
        &*state(ctx).cache,
        admin,
        app_id,
        decision,
        note,
    )
    .await?))
}
