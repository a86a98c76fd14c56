//! DataLoaders for every relation a list can fan out to. Created per request (their caches must never
//! cross users), so a page of N items costs one query per relation, not N.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use fairydust_entities::{
    app_actions, app_model_configs, apps, people_in_my_life, person_profile_data,
    profiling_questions, users,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

pub struct Loaders {
    pub apps: DataLoader<AppLoader>,
    pub users: DataLoader<UserLoader>,
    pub app_actions: DataLoader<AppActionsLoader>,
    pub model_configs: DataLoader<ModelConfigLoader>,
    pub people: DataLoader<PeopleByUserLoader>,
    pub person: DataLoader<PersonLoader>,
    pub person_facts: DataLoader<PersonFactsLoader>,
    pub questions: DataLoader<QuestionLoader>,
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
        }
    }
}

/// How long a loader waits for more keys before querying. A little longer than async-graphql's 1 ms
/// default, so a page of 100 items resolving on a busy 2-core machine still lands in one batch.
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(3);

fn batched<K, T>(loader: T) -> DataLoader<T>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    T: Loader<K>,
{
    DataLoader::new(loader, tokio::spawn).delay(BATCH_DELAY)
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
        Ok(group(rows, |person| person.user_id))
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
        Ok(group(rows, |fact| fact.person_id))
    }
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = HashMap::new();
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
        Ok(group(rows, |action| action.app_id))
    }
}

pub struct ModelConfigLoader(DatabaseConnection);

impl Loader<Uuid> for ModelConfigLoader {
    type Value = app_model_configs::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = app_model_configs::Entity::find()
            .filter(app_model_configs::Column::AppId.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .map(|config| (config.app_id, config))
            .collect())
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
