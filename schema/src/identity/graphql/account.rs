//! The caller's own account: details, contact addresses, daily bonus; and other users' public profiles.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{NaiveDate, Utc};
use fairydust_entities::users;
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::User;
use super::auth::{OtpSent, RequestOtpInput, identifier, meta};
use crate::auth::{ContextExt, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::identity::account_settings::{self, AccountChanges};
use crate::identity::{contact_change, daily_bonus};

/// Fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject, Default)]
pub struct UpdateMeInput {
    /// 3–50 characters of a–z, 0–9 and _; unique.
    pub fairyname: Option<String>,
    pub first_name: MaybeUndefined<String>,
    pub birth_date: MaybeUndefined<NaiveDate>,
    /// One of under_13, 13_17, 18_24, 25_34, 35_44, 45_64, 65_plus.
    pub age_range: MaybeUndefined<String>,
    pub city: MaybeUndefined<String>,
    pub country: MaybeUndefined<String>,
    pub avatar_url: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub struct DailyBonusClaim {
    pub amount: i32,
    pub streak_days: i32,
    pub balance: i32,
    /// True when today's bonus was already claimed; nothing was granted now.
    pub already_claimed: bool,
}

/// What anyone may see about a user. `account` holds the full record for the user themself and admins.
pub struct PublicUser(pub users::Model);

#[Object]
impl PublicUser {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn fairyname(&self) -> &str {
        &self.0.fairyname
    }

    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    async fn is_builder(&self) -> bool {
        self.0.is_builder
    }

    /// The full account: only for the user themself and for admins, otherwise null.
    async fn account(&self, ctx: &Context<'_>) -> Option<User> {
        let viewer = ctx.viewer().principal()?;
        (viewer.user_id == self.0.id || viewer.roles.admin).then(|| User::from(self.0.clone()))
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// A user's public profile.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> ApiResult<PublicUser> {
        let user_id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("User"))?;
        let user = users::Entity::find_by_id(user_id)
            .one(&ctx.state().db)
            .await?;
        match user {
            Some(user) if user.is_active && !user.is_system => Ok(PublicUser(user)),
            _ => Err(ApiError::not_found("User")),
        }
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    #[graphql(guard = "RequireUser")]
    async fn update_me(&self, ctx: &Context<'_>, input: UpdateMeInput) -> ApiResult<User> {
        let changes = AccountChanges {
            fairyname: input.fairyname,
            first_name: input.first_name.into(),
            birth_date: input.birth_date.into(),
            age_range: input.age_range.into(),
            city: input.city.into(),
            country: input.country.into(),
            avatar_url: input.avatar_url.into(),
        };
        let user =
            account_settings::update_account(&ctx.state().db, ctx.principal()?.user_id, changes)
                .await?;
        Ok(User::from(user))
    }

    /// Sends a code to a new email or phone; `confirmContactChange` with that code switches to it.
    /// Answers the same whether or not the address belongs to another account (that shows only at
    /// confirmation). Needs a sign-in on this device within the last 10 minutes (else `FORBIDDEN` with
    /// `reason: RECENT_SIGN_IN_REQUIRED`); throttled like `requestOtp`, and per user.
    #[graphql(guard = "RequireUser")]
    async fn request_contact_change(
        &self,
        ctx: &Context<'_>,
        input: RequestOtpInput,
    ) -> ApiResult<OtpSent> {
        let identifier = identifier(input.email.as_deref(), input.phone.as_deref())?;
        let sent =
            contact_change::request(ctx.state(), ctx.principal()?, identifier, meta(ctx)).await?;
        Ok(sent.into())
    }

    /// Switches to the address the code went to (`CONFLICT` if it belongs to another account). When it
    /// replaces an address, the old one is told and the caller's other devices are signed out.
    #[graphql(guard = "RequireUser")]
    async fn confirm_contact_change(&self, ctx: &Context<'_>, code: String) -> ApiResult<User> {
        let user = contact_change::confirm(ctx.state(), ctx.principal()?, &code).await?;
        Ok(User::from(user))
    }

    /// Today's bonus (the first claim each UTC day); a second claim the same day changes nothing.
    #[graphql(guard = "RequireUser")]
    async fn claim_daily_bonus(&self, ctx: &Context<'_>) -> ApiResult<DailyBonusClaim> {
        let state = ctx.state();
        let claimed = daily_bonus::claim(
            &state.db,
            &*state.cache,
            &state.settings.daily_bonus_table,
            ctx.principal()?.user_id,
            Utc::now(),
        )
        .await?;
        Ok(DailyBonusClaim {
            amount: claimed.amount,
            streak_days: claimed.streak_days,
            balance: claimed.balance,
            already_claimed: claimed.already_claimed,
        })
    }
}
