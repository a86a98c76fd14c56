//! Profile facts, People in My Life and the AI context over GraphQL. Every operation works on the
//! caller's own data; another user's person is NOT_FOUND.

use async_graphql::{Context, Enum, ID, InputObject, Json, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::{people_in_my_life, person_profile_data, user_profile_data};
use sea_orm::TransactionTrait;
use serde_json::Value;
use uuid::Uuid;

use super::data::{self, Fact};
use super::{context, people};
use crate::apps::catalog::{self, AppRef};
use crate::auth::{ContextExt, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::loaders::load_error;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileSource {
    UserInput,
    Inferred,
    Question,
    Migration,
    App,
}

impl ProfileSource {
    fn as_str(self) -> &'static str {
        match self {
            ProfileSource::UserInput => "user_input",
            ProfileSource::Inferred => "inferred",
            ProfileSource::Question => "question",
            ProfileSource::Migration => "migration",
            ProfileSource::App => "app",
        }
    }

    fn parse(stored: &str) -> ProfileSource {
        match stored {
            "inferred" => ProfileSource::Inferred,
            "question" => ProfileSource::Question,
            "migration" => ProfileSource::Migration,
            "app" => ProfileSource::App,
            _ => ProfileSource::UserInput,
        }
    }
}

/// One fact. `fieldName` is unique per user (or per person): sending it again replaces the value.
#[derive(InputObject)]
pub struct ProfileDataInput {
    /// 1–50 characters of a–z, 0–9 and _, e.g. `cooking`.
    pub category: String,
    /// 1–100 characters of a–z, 0–9 and _, e.g. `dietary_preferences`.
    pub field_name: String,
    /// Any JSON up to 4 KB.
    pub field_value: Json<Value>,
    #[graphql(default = 1.0)]
    pub confidence: f64,
    #[graphql(default_with = "ProfileSource::UserInput")]
    pub source: ProfileSource,
    /// The app (slug) the fact was learned in.
    pub app_context: Option<String>,
}

fn facts(items: Vec<ProfileDataInput>) -> Vec<Fact> {
    items
        .into_iter()
        .map(|item| Fact {
            category: item.category,
            field_name: item.field_name,
            value: item.field_value.0,
            confidence: item.confidence,
            source: item.source.as_str().to_owned(),
            app_context: item.app_context,
        })
        .collect()
}

#[derive(SimpleObject, Clone)]
pub struct ProfileDataItem {
    pub category: String,
    pub field_name: String,
    pub field_value: Json<Value>,
    pub confidence: f64,
    pub source: ProfileSource,
    pub app_context: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<user_profile_data::Model> for ProfileDataItem {
    fn from(row: user_profile_data::Model) -> Self {
        Self {
            source: ProfileSource::parse(&row.source),
            category: row.category,
            field_name: row.field_name,
            field_value: Json(row.field_value),
            confidence: row.confidence,
            app_context: row.app_context,
            updated_at: row.updated_at,
        }
    }
}

impl From<person_profile_data::Model> for ProfileDataItem {
    fn from(row: person_profile_data::Model) -> Self {
        Self {
            source: ProfileSource::parse(&row.source),
            category: row.category,
            field_name: row.field_name,
            field_value: Json(row.field_value),
            confidence: row.confidence,
            app_context: None,
            updated_at: row.updated_at,
        }
    }
}

/// Someone in the user's life.
#[derive(Clone)]
pub struct Person(pub people_in_my_life::Model);

#[Object]
impl Person {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// e.g. partner, daughter, friend.
    async fn relationship(&self) -> Option<&str> {
        self.0.relationship.as_deref()
    }

    async fn birth_date(&self) -> Option<NaiveDate> {
        self.0.birth_date
    }

    async fn age_range(&self) -> Option<&str> {
        self.0.age_range.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn profile_data(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProfileDataItem>> {
        let facts = ctx
            .loaders()
            .person_facts
            .load_one(self.0.id)
            .await
            .map_err(load_error)?;
        Ok(facts
            .unwrap_or_default()
            .into_iter()
            .map(ProfileDataItem::from)
            .collect())
    }
}

/// `me { profileData }`.
pub async fn profile_data_of(
    ctx: &Context<'_>,
    user_id: Uuid,
    category: Option<&str>,
) -> ApiResult<Vec<ProfileDataItem>> {
    let rows = data::list_for_user(&ctx.state().db, user_id, category).await?;
    Ok(rows.into_iter().map(ProfileDataItem::from).collect())
}

/// `me { people }`.
pub async fn people_of(ctx: &Context<'_>, user_id: Uuid) -> ApiResult<Vec<Person>> {
    let loaders = ctx.loaders();
    let people = loaders
        .people
        .load_one(user_id)
        .await
        .map_err(load_error)?
        .unwrap_or_default();
    let ids: Vec<Uuid> = people.iter().map(|person| person.id).collect();
    loaders
        .prime_people(ctx, &[], &ids)
        .await
        .map_err(load_error)?;
    Ok(people.into_iter().map(Person).collect())
}

#[derive(InputObject)]
pub struct AddPersonInput {
    /// 1–100 characters.
    pub name: String,
    pub relationship: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub age_range: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdatePersonInput {
    pub name: Option<String>,
    pub relationship: MaybeUndefined<String>,
    pub birth_date: MaybeUndefined<NaiveDate>,
    pub age_range: MaybeUndefined<String>,
}

#[derive(SimpleObject)]
pub struct AiContext {
    /// {user, profile: {category: {field: value}}, people: [{name, relationship, age, traits}]}
    pub json: Json<Value>,
    /// The same as prose, ready to put in a prompt.
    pub text: String,
}

fn person_id(id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found("Person"))
}

#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// The caller's profile and people, summarised for an app's prompts. Cached 15 minutes and
    /// refreshed at once after any profile or people change. `NOT_FOUND` for an unknown app or one off
    /// the marketplace (except for its builder and admins).
    #[graphql(guard = "RequireUser")]
    async fn ai_context(&self, ctx: &Context<'_>, app_id: ID) -> ApiResult<AiContext> {
        let state = ctx.state();
        let principal = ctx.principal()?;
        let not_found = || ApiError::not_found("App");
        let app_id = catalog::resolve_app_id(&state.db, &AppRef::parse(&app_id))
            .await?
            .ok_or_else(not_found)?;
        // Checked before the context cache is touched: entries exist only for real, listed apps, so
        // made-up ids cannot fill the cache.
        let app = catalog::snapshot(&state.db, &*state.cache, app_id)
            .await
            .map_err(super::ProfileError::from)?
            .ok_or_else(not_found)?;
        if !crate::apps::access::snapshot_visible(&app, Some(principal)) {
            return Err(not_found());
        }
        let context =
            context::ai_context(&state.db, &*state.cache, principal.user_id, app_id).await?;
        Ok(AiContext {
            json: Json(context.json),
            text: context.text,
        })
    }
}

#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
    /// Stores up to 100 facts at once, all or none; an existing `fieldName` is replaced. A user keeps at
    /// most 500 facts (and 500 about their people), each value at most 4 KB (defaults); past that
    /// `BAD_USER_INPUT`.
    #[graphql(guard = "RequireUser")]
    async fn upsert_profile_data(
        &self,
        ctx: &Context<'_>,
        items: Vec<ProfileDataInput>,
    ) -> ApiResult<Vec<ProfileDataItem>> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        let txn = state.db.begin().await?;
        data::lock_user(&txn, user_id).await?;
        let rows =
            data::upsert_for_user(&txn, &state.settings.profile, user_id, &facts(items)).await?;
        txn.commit().await?;
        context::invalidate(&*state.cache, user_id).await?;
        Ok(rows.into_iter().map(ProfileDataItem::from).collect())
    }

    #[graphql(guard = "RequireUser")]
    async fn delete_profile_data(&self, ctx: &Context<'_>, field_name: String) -> ApiResult<bool> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        if !data::delete_for_user(&state.db, user_id, &field_name).await? {
            return Err(ApiError::not_found("Profile field"));
        }
        context::invalidate(&*state.cache, user_id).await?;
        Ok(true)
    }

    /// Adds someone (at most 100 people by default; past that `BAD_USER_INPUT`).
    #[graphql(guard = "RequireUser")]
    async fn add_person(&self, ctx: &Context<'_>, input: AddPersonInput) -> ApiResult<Person> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        let changes = people::PersonChanges {
            name: Some(input.name),
            relationship: Some(input.relationship),
            birth_date: Some(input.birth_date),
            age_range: Some(input.age_range),
        };
        let person = people::add(&state.db, &state.settings.profile, user_id, changes).await?;
        context::invalidate(&*state.cache, user_id).await?;
        Ok(Person(person))
    }

    #[graphql(guard = "RequireUser")]
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePersonInput,
    ) -> ApiResult<Person> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        let changes = people::PersonChanges {
            name: input.name,
            relationship: input.relationship.into(),
            birth_date: input.birth_date.into(),
            age_range: input.age_range.into(),
        };
        let person = people::update(&state.db, user_id, person_id(&id)?, changes).await?;
        context::invalidate(&*state.cache, user_id).await?;
        Ok(Person(person))
    }

    /// Removes someone and everything stored about them.
    #[graphql(guard = "RequireUser")]
    async fn remove_person(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        people::remove(&state.db, user_id, person_id(&id)?).await?;
        context::invalidate(&*state.cache, user_id).await?;
        Ok(true)
    }

    #[graphql(guard = "RequireUser")]
    async fn upsert_person_profile_data(
        &self,
        ctx: &Context<'_>,
        person_id: ID,
        items: Vec<ProfileDataInput>,
    ) -> ApiResult<Vec<ProfileDataItem>> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        let txn = state.db.begin().await?;
        data::lock_user(&txn, user_id).await?;
        let person = people::owned(&txn, user_id, self::person_id(&person_id)?).await?;
        let limits = &state.settings.profile;
        let rows = data::upsert_for_person(&txn, limits, user_id, person.id, &facts(items)).await?;
        txn.commit().await?;
        context::invalidate(&*state.cache, user_id).await?;
        Ok(rows.into_iter().map(ProfileDataItem::from).collect())
    }
}
