//! Finding apps by id or slug, and the price list `consumeDust` charges from, cached per app id.

use std::time::Duration;

use fairydust_entities::{app_actions, apps};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cache::{Cache, CacheError};

/// The app configuration cache's lifetime (DESIGN §3): changes invalidate at once; the TTL bounds
/// staleness if an invalidation is ever lost.
pub const APP_CACHE_TTL: Duration = Duration::from_secs(15 * 60);

/// Wherever the API takes an `appId`, it accepts the app's id or its slug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppRef {
    Id(Uuid),
    Slug(String),
}

impl AppRef {
    pub fn parse(raw: &str) -> Self {
        match Uuid::parse_str(raw.trim()) {
            Ok(id) => AppRef::Id(id),
            Err(_) => AppRef::Slug(raw.trim().to_lowercase()),
        }
    }
}

pub async fn find_app<C: ConnectionTrait>(
    conn: &C,
    app: &AppRef,
) -> Result<Option<apps::Model>, sea_orm::DbErr> {
    match app {
        AppRef::Id(id) => apps::Entity::find_by_id(*id).one(conn).await,
        AppRef::Slug(slug) => {
            apps::Entity::find()
                .filter(apps::Column::Slug.eq(slug.as_str()))
                .one(conn)
                .await
        }
    }
}

pub async fn resolve_app_id<C: ConnectionTrait>(
    conn: &C,
    app: &AppRef,
) -> Result<Option<Uuid>, sea_orm::DbErr> {
    match app {
        AppRef::Id(id) => Ok(Some(*id)),
        AppRef::Slug(_) => Ok(find_app(conn, app).await?.map(|app| app.id)),
    }
}

/// What a debit needs to know about an app: whether it may charge, and its prices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    pub app_id: Uuid,
    pub builder_id: Uuid,
    pub chargeable: bool,
    pub actions: Vec<(String, i32)>,
}

impl Pricing {
    pub fn price_of(&self, action: &str) -> Option<i32> {
        self.actions
            .iter()
            .find(|(name, _)| name == action)
            .map(|(_, cost)| *cost)
    }
}

fn pricing_key(app_id: Uuid) -> String {
    format!("app:{app_id}:pricing")
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// The app's pricing, from the cache or the database. `None` when there is no such app.
pub async fn pricing<C: ConnectionTrait>(
    conn: &C,
    cache: &dyn Cache,
    app_id: Uuid,
) -> Result<Option<Pricing>, CatalogError> {
    let key = pricing_key(app_id);
    if let Some(cached) = cache.get(&key).await?
        && let Ok(pricing) = serde_json::from_str(&cached)
    {
        return Ok(Some(pricing));
    }
    let Some(app) = apps::Entity::find_by_id(app_id).one(conn).await? else {
        return Ok(None);
    };
    let actions = app_actions::Entity::find()
        .filter(app_actions::Column::AppId.eq(app_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|action| (action.action, action.dust_cost))
        .collect();
    let pricing = Pricing {
        app_id,
        builder_id: app.builder_id,
        chargeable: app.status == "approved" && app.is_active,
        actions,
    };
    let json = serde_json::to_string(&pricing).expect("plain struct serialises");
    cache.set(&key, &json, APP_CACHE_TTL).await?;
    Ok(Some(pricing))
}

/// Call after any change to an app's status or actions; every replica sees the change at once.
pub async fn invalidate_pricing(cache: &dyn Cache, app_id: Uuid) -> Result<(), CacheError> {
    cache.delete(&pricing_key(app_id)).await
}
