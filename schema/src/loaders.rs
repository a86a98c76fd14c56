//! DataLoaders for every relation a list can fan out to. Created per request (their caches must never
//! cross users), so a page of N items costs one query per relation, not N.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use fairydust_entities::apps;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

pub struct Loaders {
    pub apps: DataLoader<AppLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            apps: DataLoader::new(AppLoader(db.clone()), tokio::spawn),
        }
    }
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
