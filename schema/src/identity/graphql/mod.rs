//! The `User` type and `me`, and the identity operations.

mod account;
mod auth;
mod portal;

pub use account::{AccountMutation, AccountQuery, PublicUser};
pub use auth::{AuthMutation, AuthQuery};
pub use portal::{PortalSession, PortalSessionMutation};

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::users;
use sea_orm::EntityTrait;

use crate::auth::{ContextExt, RequireUser};
use crate::content::graphql::{
    RecipeConnection, StoryConnection, StoryStats, recipes_page, stories_page, story_stats_of,
};
use crate::content::library::StorySort;
use crate::content::stories::Genre;
use crate::error::{ApiError, ApiResult};
use crate::identity::oauth::OAuthProvider;
use crate::identity::{daily_bonus, sign_in};
use crate::ledger::ApiTransactionKind;
use crate::ledger::graphql::{
    DustStats, DustTransactionConnection, TransactionsArgs, stats_of, transactions_page,
};
use crate::profile::graphql::{Person, ProfileDataItem, people_of, profile_data_of};

/// A fairydust account, as its owner (or an admin) sees it.
#[derive(Clone)]
pub struct User(pub users::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unique public name, e.g. `shimmering_moonbeam_0421`.
    async fn fairyname(&self) -> &str {
        &self.0.fairyname
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    async fn first_name(&self) -> Option<&str> {
        self.0.first_name.as_deref()
    }

    async fn birth_date(&self) -> Option<NaiveDate> {
        self.0.birth_date
    }

    async fn age_range(&self) -> Option<&str> {
        self.0.age_range.as_deref()
    }

    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }

    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    async fn is_builder(&self) -> bool {
        self.0.is_builder
    }

    async fn is_admin(&self) -> bool {
        self.0.is_admin
    }

    async fn dust_balance(&self) -> i32 {
        self.0.dust_balance
    }

    async fn streak_days(&self) -> i32 {
        self.0.streak_days
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// False once an admin deactivated the account: it cannot sign in.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }

    /// When the user last signed in (started a session) on any device.
    async fn last_sign_in_at(&self, ctx: &Context<'_>) -> ApiResult<Option<DateTime<Utc>>> {
        self_or_admin(ctx, self.0.id)?;
        crate::admin::graphql::last_sign_in_of(ctx, self.0.id).await
    }

    /// The user's signed-in devices (the user themself or an admin).
    async fn sessions(&self, ctx: &Context<'_>) -> ApiResult<Vec<auth::DeviceSession>> {
        let viewer = self_or_admin(ctx, self.0.id)?;
        let list = crate::identity::sessions::list(&ctx.state().db, self.0.id).await?;
        Ok(list
            .into_iter()
            .map(|session| auth::DeviceSession {
                id: ID(session.id.to_string()),
                current: viewer.user_id == self.0.id && session.id == viewer.session_id,
                user_agent: session.user_agent,
                ip: session.ip,
                last_used_at: session.last_used_at,
                expires_at: session.expires_at,
            })
            .collect())
    }

    /// The user's LLM use over `from`–`to` (exclusive, at most 366 days).
    async fn llm_usage(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<crate::llm::graphql::LlmUsageReport> {
        self_or_admin(ctx, self.0.id)?;
        crate::admin::graphql::llm_usage_of(ctx, self.0.id, from, to).await
    }

    /// DUST history, newest first. `to` is exclusive.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn dust_transactions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(name = "type")] kind: Option<ApiTransactionKind>,
        app_id: Option<ID>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> ApiResult<DustTransactionConnection> {
        let args = TransactionsArgs {
            first,
            after,
            kind,
            app_id,
            from,
            to,
        };
        transactions_page(ctx, self.0.id, args).await
    }

    /// Totals by kind of transaction.
    async fn dust_stats(&self, ctx: &Context<'_>) -> ApiResult<DustStats> {
        stats_of(ctx, self.0.id).await
    }

    async fn daily_bonus(&self, ctx: &Context<'_>) -> DailyBonus {
        let table = &ctx.state().settings.daily_bonus_table;
        let status = daily_bonus::status(&self.0, table, Utc::now());
        DailyBonus {
            eligible: status.eligible,
            amount: status.amount,
            next_eligible_at: status.next_eligible_at,
        }
    }

    /// Progressive-profile facts, optionally of one category.
    async fn profile_data(
        &self,
        ctx: &Context<'_>,
        category: Option<String>,
    ) -> ApiResult<Vec<ProfileDataItem>> {
        profile_data_of(ctx, self.0.id, category.as_deref()).await
    }

    /// Saved recipes, newest first; `search` looks in titles.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn recipes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        app_id: Option<ID>,
        favorites_only: Option<bool>,
        search: Option<String>,
    ) -> ApiResult<RecipeConnection> {
        let favorites_only = favorites_only.unwrap_or(false);
        recipes_page(ctx, self.0.id, first, after, app_id, favorites_only, search).await
    }

    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn stories(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        genre: Option<Genre>,
        favorites_only: Option<bool>,
        #[graphql(desc = "NEWEST (default) or OLDEST first")] sort: Option<StorySort>,
    ) -> ApiResult<StoryConnection> {
        let (favorites_only, sort) = (favorites_only.unwrap_or(false), sort.unwrap_or_default());
        stories_page(ctx, self.0.id, first, after, genre, favorites_only, sort).await
    }

    async fn story_stats(&self, ctx: &Context<'_>) -> ApiResult<StoryStats> {
        story_stats_of(ctx, self.0.id).await
    }

    /// People in My Life, oldest first.
    async fn people(&self, ctx: &Context<'_>) -> ApiResult<Vec<Person>> {
        people_of(ctx, self.0.id).await
    }

    /// OAuth providers this account can sign in with.
    async fn linked_providers(&self, ctx: &Context<'_>) -> ApiResult<Vec<OAuthProvider>> {
        Ok(sign_in::linked_providers(&ctx.state().db, self.0.id).await?)
    }
}

/// `User` is only handed to the user themself and to admins; the fields that reveal activity check
/// it again, so a future path to `User` cannot leak them.
fn self_or_admin<'a>(
    ctx: &'a Context<'_>,
    user_id: uuid::Uuid,
) -> ApiResult<&'a crate::auth::Principal> {
    let viewer = ctx.principal()?;
    if viewer.user_id == user_id || viewer.roles.admin {
        Ok(viewer)
    } else {
        Err(ApiError::forbidden(
            "Only the user themself or an admin can see this",
        ))
    }
}

#[derive(SimpleObject)]
pub struct DailyBonus {
    pub eligible: bool,
    /// What a claim pays now (or tomorrow, when today's is claimed).
    pub amount: i32,
    pub next_eligible_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in user.
    #[graphql(guard = "RequireUser")]
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        let user = users::Entity::find_by_id(user_id).one(&state.db).await?;
        user.map(User)
            .ok_or_else(|| ApiError::unauthenticated("The account no longer exists"))
    }
}
