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
use tokio::sync::OnceCell;

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
///
/// `me` knows only the id at first: the row is read when a field needs it, so a page that asks
/// `me { recipes … }` costs no `users` statement.
#[derive(Clone)]
pub struct User {
    id: uuid::Uuid,
    row: OnceCell<users::Model>,
}

impl From<users::Model> for User {
    fn from(row: users::Model) -> Self {
        Self {
            id: row.id,
            row: OnceCell::new_with(Some(row)),
        }
    }
}

impl User {
    fn of_viewer(id: uuid::Uuid) -> Self {
        Self {
            id,
            row: OnceCell::new(),
        }
    }

    /// The account's row; fields resolved concurrently share one read. A direct read, not the
    /// request's `users` loader: nothing else in a `me` request asks for this row, and the loader
    /// would add its batching delay to the call every app screen makes.
    async fn row(&self, ctx: &Context<'_>) -> ApiResult<&users::Model> {
        self.row
            .get_or_try_init(|| async {
                users::Entity::find_by_id(self.id)
                    .one(&ctx.state().db)
                    .await?
                    .ok_or_else(|| ApiError::unauthenticated("The account no longer exists"))
            })
            .await
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The unique public name, e.g. `shimmering_moonbeam_0421`.
    async fn fairyname(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        Ok(&self.row(ctx).await?.fairyname)
    }

    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.row(ctx).await?.email.as_deref())
    }

    async fn phone(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.row(ctx).await?.phone.as_deref())
    }

    async fn avatar_url(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.row(ctx).await?.avatar_url.as_deref())
    }

    async fn first_name(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.row(ctx).await?.first_name.as_deref())
    }

    async fn birth_date(&self, ctx: &Context<'_>) -> ApiResult<Option<NaiveDate>> {
        Ok(self.row(ctx).await?.birth_date)
    }

    async fn age_range(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.row(ctx).await?.age_range.as_deref())
    }

    async fn city(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.row(ctx).await?.city.as_deref())
    }

    async fn country(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.row(ctx).await?.country.as_deref())
    }

    async fn is_builder(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.row(ctx).await?.is_builder)
    }

    async fn is_admin(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.row(ctx).await?.is_admin)
    }

    async fn dust_balance(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(self.row(ctx).await?.dust_balance)
    }

    async fn streak_days(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(self.row(ctx).await?.streak_days)
    }

    async fn created_at(&self, ctx: &Context<'_>) -> ApiResult<DateTime<Utc>> {
        Ok(self.row(ctx).await?.created_at)
    }

    /// False once an admin deactivated the account: it cannot sign in.
    async fn is_active(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.row(ctx).await?.is_active)
    }

    /// When the user last signed in (started a session) on any device.
    async fn last_sign_in_at(&self, ctx: &Context<'_>) -> ApiResult<Option<DateTime<Utc>>> {
        self_or_admin(ctx, self.id)?;
        crate::admin::graphql::last_sign_in_of(ctx, self.id).await
    }

    /// The user's signed-in devices (the user themself or an admin).
    async fn sessions(&self, ctx: &Context<'_>) -> ApiResult<Vec<auth::DeviceSession>> {
        let viewer = self_or_admin(ctx, self.id)?;
        let list = crate::identity::sessions::list(&ctx.state().db, self.id).await?;
        Ok(list
            .into_iter()
            .map(|session| auth::DeviceSession {
                id: ID(session.id.to_string()),
                current: viewer.user_id == self.id && session.id == viewer.session_id,
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
        self_or_admin(ctx, self.id)?;
        crate::admin::graphql::llm_usage_of(ctx, self.id, from, to).await
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
        transactions_page(ctx, self.id, args).await
    }

    /// Totals by kind of transaction.
    async fn dust_stats(&self, ctx: &Context<'_>) -> ApiResult<DustStats> {
        stats_of(ctx, self.id).await
    }

    async fn daily_bonus(&self, ctx: &Context<'_>) -> ApiResult<DailyBonus> {
        let table = &ctx.state().settings.daily_bonus_table;
        let status = daily_bonus::status(self.row(ctx).await?, table, Utc::now());
        Ok(DailyBonus {
            eligible: status.eligible,
            amount: status.amount,
            next_eligible_at: status.next_eligible_at,
        })
    }

    /// Progressive-profile facts, optionally of one category.
    async fn profile_data(
        &self,
        ctx: &Context<'_>,
        category: Option<String>,
    ) -> ApiResult<Vec<ProfileDataItem>> {
        profile_data_of(ctx, self.id, category.as_deref()).await
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
        recipes_page(ctx, self.id, first, after, app_id, favorites_only, search).await
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
        stories_page(ctx, self.id, first, after, genre, favorites_only, sort).await
    }

    async fn story_stats(&self, ctx: &Context<'_>) -> ApiResult<StoryStats> {
        story_stats_of(ctx, self.id).await
    }

    /// People in My Life, oldest first.
    async fn people(&self, ctx: &Context<'_>) -> ApiResult<Vec<Person>> {
        people_of(ctx, self.id).await
    }

    /// OAuth providers this account can sign in with.
    async fn linked_providers(&self, ctx: &Context<'_>) -> ApiResult<Vec<OAuthProvider>> {
        Ok(sign_in::linked_providers(&ctx.state().db, self.id).await?)
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
        Ok(User::of_viewer(ctx.principal()?.user_id))
    }
}
