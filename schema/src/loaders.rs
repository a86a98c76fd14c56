//! DataLoaders for every relation a list can fan out to. Created per request (their caches must never
//! cross users), so a page of N items costs one query per relation, not N.
//!
//! Batching by delay alone depends on timing: on a busy machine a page may resolve slower than the
//! delay and split into two batches. So list resolvers also *prime* the loaders they know their items
//! will need ([`Loaders::prime_apps`] and friends) with one `load_many`; the per-item `load_one` then
//! hits the request's cache. Loaders answer every key they are asked for (an empty list, `None`), so a
//! missing relation is cached too.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use fairydust_entities::{
    app_actions, app_model_configs, apps, people_in_my_life, person_profile_data,
    profiling_questions, users,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// A loader that remembers, for this request, what it loaded.
pub type Cached<T> = DataLoader<T, HashMapCache>;

pub struct Loaders {
    pub apps: Cached<AppLoader>,
    pub users: Cached<UserLoader>,
    pub app_actions: Cached<AppActionsLoader>,
    pub model_configs: Cached<ModelConfigLoader>,
    pub people: Cached<PeopleByUserLoader>,
    pub person: Cached<PersonLoader>,
    pub person_facts: Cached<PersonFactsLoader>,
    pub questions: Cached<QuestionLoader>,
    pub last_sign_in: Cached<crate::admin::activity::LastSignInLoader>,
    pub refunds: Cached<crate::ledger::refunds::RefundLoader>,
}

/// A request's loaders, made on its first use of one: most requests (`{ version }`, `me`, a debit)
/// batch nothing, and making the ten loaders cost dozens of allocations on every request.
pub struct RequestLoaders {
    db: DatabaseConnection,
    loaders: OnceLock<Loaders>,
}

impl RequestLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            db: db.clone(),
            loaders: OnceLock::new(),
        }
    }

    pub fn get(&self) -> &Loaders {
        self.loaders.get_or_init(|| Loaders::new(&self.db))
    }
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            apps: batched(AppLoader(db.clone())),
            users: batched(UserLoader(db.clone())),
            app_actions: batched(AppActionsLoader(db.clone())),
            model_configs: batched(ModelConfigLoader(db.clone())),
            people: batched(PeopleByUserLoader(db.clone())),
            person: batched(PersonLoader(db.clone())),
            person_facts: batched(PersonFactsLoader(db.clone())),
            questions: batched(QuestionLoader(db.clone())),
            last_sign_in: batched(crate::admin::activity::LastSignInLoader(db.clone())),
            refunds: batched(crate::ledger::refunds::RefundLoader(db.clone())),
        }
    }
}

/// How long a loader waits for more keys before querying. A little longer than async-graphql's 1 ms
/// default, so a page of 100 items resolving on a busy 2-core machine still lands in one batch.
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(3);

fn batched<K, T>(loader: T) -> Cached<T>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    T: Loader<K>,
{
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(BATCH_DELAY)
}

/// Whether the list being resolved selects `path` on its items — through `nodes`, `edges { node }`,
/// or directly for a plain list.
pub fn selects(ctx: &Context<'_>, path: &[&str]) -> bool {
    let look = ctx.look_ahead();
    let (mut nodes, mut edges, mut items) =
        (look.field("nodes"), look.field("edges").field("node"), look);
    for name in path {
        nodes = nodes.field(name);
        edges = edges.field(name);
        items = items.field(name);
    }
    nodes.exists() || edges.exists() || items.exists()
}

impl Loaders {
    /// Loads in one batch each relation the selected apps will ask for.
    pub async fn prime_apps(
        &self,
        ctx: &Context<'_>,
        apps: &[apps::Model],
    ) -> Result<(), LoadError> {
        let ids: Vec<Uuid> = apps.iter().map(|app| app.id).collect();
        if selects(ctx, &["builder"]) {
            self.users
                .load_many(apps.iter().map(|app| app.builder_id))
                .await?;
        }
        if selects(ctx, &["actions"]) {
            self.app_actions.load_many(ids.iter().copied()).await?;
        }
        if selects(ctx, &["modelConfig"]) {
            self.model_configs.load_many(ids).await?;
        }
        Ok(())
    }

    /// The refunds of a page of transactions, when the page asks which were refunded.
    pub async fn prime_refunds(
        &self,
        ctx: &Context<'_>,
        transaction_ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<(), LoadError> {
        if selects(ctx, &["refundedBy"]) {
            self.refunds.load_many(transaction_ids).await?;
        }
        Ok(())
    }

    /// The same for people whose facts will be asked for (`prefix` leads from the list's items to them).
    pub async fn prime_people(
        &self,
        ctx: &Context<'_>,
        prefix: &[&str],
        person_ids: &[Uuid],
    ) -> Result<(), LoadError> {
        let wants = |field: &str| {
            let path: Vec<&str> = prefix.iter().copied().chain([field]).collect();
            selects(ctx, &path)
        };
        if !prefix.is_empty() && selects(ctx, prefix) {
            self.person.load_many(person_ids.iter().copied()).await?;
        }
        if wants("profileData") {
            self.person_facts
                .load_many(person_ids.iter().copied())
                .await?;
        }
        Ok(())
    }
}

/// Every load error is an internal one.
pub fn load_error(error: LoadError) -> crate::error::ApiError {
    crate::error::ApiError::internal(&*error)
}

pub struct AppLoader(DatabaseConnection);

/// Loader errors are shared between every waiter, so they must be `Clone`.
pub type LoadError = Arc<sea_orm::DbErr>;

impl Loader<Uuid> for AppLoader {
    type Value = apps::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, apps::Model>, LoadError> {
        let rows = apps::Entity::find()
            .filter(apps::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|app| (app.id, app)).collect())
    }
}

/// A user's people, oldest first.
pub struct PeopleByUserLoader(DatabaseConnection);

impl Loader<Uuid> for PeopleByUserLoader {
    type Value = Vec<people_in_my_life::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = people_in_my_life::Entity::find()
            .filter(people_in_my_life::Column::UserId.is_in(keys.iter().copied()))
            .order_by_asc(people_in_my_life::Column::CreatedAt)
            .all(&self.0)
            .await?;
        Ok(group(keys, rows, |person| person.user_id))
    }
}

/// The profile facts of a person.
pub struct PersonFactsLoader(DatabaseConnection);

impl Loader<Uuid> for PersonFactsLoader {
    type Value = Vec<person_profile_data::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = person_profile_data::Entity::find()
            .filter(person_profile_data::Column::PersonId.is_in(keys.iter().copied()))
            .order_by_asc(person_profile_data::Column::FieldName)
            .all(&self.0)
            .await?;
        Ok(group(keys, rows, |fact| fact.person_id))
    }
}

/// Rows grouped by key, with an empty group for every asked key that has none.
fn group<T>(keys: &[Uuid], rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = keys.iter().map(|key| (*key, Vec::new())).collect();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

pub struct UserLoader(DatabaseConnection);

impl Loader<Uuid> for UserLoader {
    type Value = users::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, users::Model>, LoadError> {
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|user| (user.id, user)).collect())
    }
}

/// An app's priced actions, by name.
pub struct AppActionsLoader(DatabaseConnection);

impl Loader<Uuid> for AppActionsLoader {
    type Value = Vec<app_actions::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = app_actions::Entity::find()
            .filter(app_actions::Column::AppId.is_in(keys.iter().copied()))
            .order_by_asc(app_actions::Column::Action)
            .all(&self.0)
            .await?;
        Ok(group(keys, rows, |action| action.app_id))
    }
}

pub struct ModelConfigLoader(DatabaseConnection);

/// An app's model configuration; `None` for an app without one.
impl Loader<Uuid> for ModelConfigLoader {
    type Value = Option<app_model_configs::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = app_model_configs::Entity::find()
            .filter(app_model_configs::Column::AppId.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        let mut configs: HashMap<Uuid, Self::Value> = keys.iter().map(|key| (*key, None)).collect();
        configs.extend(rows.into_iter().map(|config| (config.app_id, Some(config))));
        Ok(configs)
    }
}

/// One person by id (story characters point at them).
pub struct PersonLoader(DatabaseConnection);

impl Loader<Uuid> for PersonLoader {
    type Value = people_in_my_life::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = people_in_my_life::Entity::find()
            .filter(people_in_my_life::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|person| (person.id, person)).collect())
    }
}

/// Profiling questions by their slug id, active or not (an answer keeps its question).
pub struct QuestionLoader(DatabaseConnection);

impl Loader<String> for QuestionLoader {
    type Value = profiling_questions::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, LoadError> {
        let rows = profiling_questions::Entity::find()
            .filter(profiling_questions::Column::Id.is_in(keys.iter().cloned()))
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .map(|question| (question.id.clone(), question))
            .collect())
    }
}
