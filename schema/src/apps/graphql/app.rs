//! The `App` object over GraphQL with its connection, and the enums and priced actions it exposes:
//! `AppCategory`, `AppStatus`, `AppAction`.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use fairydust_entities::{app_actions, apps};
use uuid::Uuid;

use crate::apps::access;
use crate::auth::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::identity::graphql::PublicUser;
use crate::ledger::{app_reports, reports};
use crate::llm::analytics::{self, GroupBy, UsageFilter};
use crate::llm::graphql::{AppModelConfig, AppUsageDay, model_config_of, window};
use crate::llm::pricing;
use crate::loaders::{load_error, selects};
use crate::pagination::{Cursor, page_size};

use super::builder::{AppStats, AppTransaction, AppTransactionConnection};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "fairydust_entities::apps::AppCategory")]
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

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "fairydust_entities::apps::AppStatus")]
pub enum AppStatus {
    Pending,
    Approved,
    Rejected,
    Suspended,
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
    /// The app with this id through the request's loader (lists of transactions, recipes, … share it),
    /// if the viewer may see it (`apps::access::is_visible`): an app off the marketplace is null to
    /// everyone but its builder and admins.
    pub async fn load(ctx: &Context<'_>, app_id: Uuid) -> ApiResult<Option<App>> {
        let app = ctx
            .loaders()
            .apps
            .load_one(app_id)
            .await
            .map_err(load_error)?;
        Ok(app
            .filter(|app| access::is_visible(app, ctx.viewer().principal()))
            .map(App))
    }

    /// The builder and admins see everything; others the public fields.
    pub(super) fn privileged(&self, ctx: &Context<'_>) -> bool {
        access::is_privileged(&self.0, ctx.viewer().principal())
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
        self.0.category.into()
    }

    async fn status(&self) -> AppStatus {
        self.0.status.into()
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
            .loaders()
            .users
            .load_one(self.0.builder_id)
            .await
            .map_err(load_error)?;
        Ok(user.map(PublicUser))
    }

    /// The priced actions.
    async fn actions(&self, ctx: &Context<'_>) -> ApiResult<Vec<AppAction>> {
        let actions = ctx
            .loaders()
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
    #[graphql(complexity = "crate::graphql::EXPENSIVE_FIELD + child_complexity")]
    async fn usage_stats(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<AppUsageDay>> {
        self.require_privileged(ctx)?;
        window(from, to)?;
        let db = &ctx.state().db;
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

    /// The app's numbers per UTC day over `from`–`to` (exclusive, at most 366 days) and in total:
    /// model calls, tokens, LLM cost, fallback rate, DUST earned, unique users. Its builder and
    /// admins only.
    #[graphql(complexity = "crate::graphql::EXPENSIVE_FIELD + child_complexity")]
    async fn stats(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<AppStats> {
        self.require_privileged(ctx)?;
        let db = &ctx.state().db;
        let stats = crate::apps::stats::app_stats(db, self.0.id, from, to).await?;
        Ok(AppStats::new(from, to, stats))
    }

    /// The DUST moved in this app, newest first (`to` exclusive): charges, refunds and rewards, each
    /// with the user's public profile. Its builder and admins only.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> ApiResult<AppTransactionConnection> {
        self.require_privileged(ctx)?;
        let db = &ctx.state().db;
        let size = page_size(first)?;
        let after = Cursor::parse_after(after.as_deref())?;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let (rows, total) =
            app_reports::history(db, self.0.id, from, to, after, size + 1, with_total).await?;
        if selects(ctx, &["user"]) {
            ctx.loaders()
                .users
                .load_many(rows.iter().map(|row| row.user_id))
                .await
                .map_err(load_error)?;
        }
        let rows = rows
            .into_iter()
            .map(|row| {
                (
                    Cursor {
                        created_at: row.created_at,
                        id: row.id,
                    },
                    AppTransaction(row),
                )
            })
            .collect();
        Ok(AppTransactionConnection::from_rows(
            rows,
            size,
            after.is_some(),
            total,
        ))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

crate::connection!(AppConnection, AppEdge, App);
