//! Finding apps by id or slug, and the per-app snapshot (prices, model config) the hot paths read.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use fairydust_entities::apps::AppStatus;
use fairydust_entities::{app_actions, app_model_configs, apps};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cache::{Cache, CacheError, get_or_miss, set_best_effort};
use crate::llm::config::ModelConfig;

/// The app configuration cache's lifetime (ARCHITECTURE §3): changes invalidate at once; the TTL bounds
/// staleness if an invalidation is ever lost.
pub const APP_CACHE_TTL: Duration = Duration::from_secs(15 * 60);

/// Wherever the API takes an `appId`, it accepts the app's id or its slug.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

fn slug_key(slug: &str) -> String {
    format!("app-slug:{slug}")
}

/// [`resolve_app_id`] with slugs remembered in the cache (ids never change; a slug change forgets the
/// old slug, see [`forget_slug`]).
pub async fn resolve_app_id_cached<C: ConnectionTrait>(
    conn: &C,
    cache: &dyn Cache,
    app: &AppRef,
) -> Result<Option<Uuid>, CatalogError> {
    let AppRef::Slug(slug) = app else {
        return Ok(resolve_app_id(conn, app).await?);
    };
    if let Some(id) = get_or_miss(cache, &slug_key(slug))
        .await
        .and_then(|id| id.parse().ok())
    {
        return Ok(Some(id));
    }
    let id = resolve_app_id(conn, app).await?;
    if let Some(id) = id {
        set_best_effort(cache, &slug_key(slug), &id.to_string(), APP_CACHE_TTL).await;
    }
    Ok(id)
}

pub async fn forget_slug(cache: &dyn Cache, slug: &str) -> Result<(), CacheError> {
    cache.delete(&slug_key(slug)).await
}

/// Slugs this process has seen resolved, so a hot path can name the app's cache keys without a round
/// trip. Only a hint: a slug may change or be taken by another app, so a caller checks the hint against
/// the app's snapshot (which carries the slug and is invalidated on every change) before relying on it,
/// and forgets it when they disagree.
static SLUG_HINTS: LazyLock<Mutex<HashMap<String, Uuid>>> = LazyLock::new(Mutex::default);

/// Hints kept at most; past it the map starts again (a process sees a handful of apps).
const MAX_SLUG_HINTS: usize = 10_000;

fn slug_hints() -> std::sync::MutexGuard<'static, HashMap<String, Uuid>> {
    SLUG_HINTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The app id `slug` last resolved to in this process, if any (see [`SLUG_HINTS`]).
pub fn slug_hint(slug: &str) -> Option<Uuid> {
    slug_hints().get(slug).copied()
}

/// Remembers that `slug` names `app_id` (after the snapshot confirmed it).
pub fn remember_slug_hint(slug: &str, app_id: Uuid) {
    let mut hints = slug_hints();
    if hints.len() >= MAX_SLUG_HINTS && !hints.contains_key(slug) {
        hints.clear();
    }
    hints.insert(slug.to_owned(), app_id);
}

pub fn forget_slug_hint(slug: &str) {
    slug_hints().remove(slug);
}

/// What the hot paths need to know about an app — whether it may charge, its prices, its model
/// configuration — cached under one key per app id and invalidated on every change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppSnapshot {
    pub app_id: Uuid,
    pub slug: String,
    pub builder_id: Uuid,
    pub chargeable: bool,
    pub actions: Vec<(String, i32)>,
    pub model_config: Option<ModelConfig>,
}

impl AppSnapshot {
    pub fn price_of(&self, action: &str) -> Option<i32> {
        self.actions
            .iter()
            .find(|(name, _)| name == action)
            .map(|(_, cost)| *cost)
    }
}

fn snapshot_key(app_id: Uuid) -> String {
    format!("app:{app_id}")
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// The cache key of an app's snapshot, for callers that read it together with other keys.
pub fn snapshot_cache_key(app_id: Uuid) -> String {
    snapshot_key(app_id)
}

/// The app's snapshot, from the cache or the database. `None` when there is no such app.
pub async fn snapshot<C: ConnectionTrait>(
    conn: &C,
    cache: &dyn Cache,
    app_id: Uuid,
) -> Result<Option<AppSnapshot>, CatalogError> {
    let cached = get_or_miss(cache, &snapshot_key(app_id)).await;
    snapshot_from_cached(conn, cache, app_id, cached.as_deref()).await
}

/// [`snapshot`] when the cached value was already read (`cached`, the value of
/// [`snapshot_cache_key`]): the database is read, and the cache filled, only when it was absent or
/// unreadable.
pub async fn snapshot_from_cached<C: ConnectionTrait>(
    conn: &C,
    cache: &dyn Cache,
    app_id: Uuid,
    cached: Option<&str>,
) -> Result<Option<AppSnapshot>, CatalogError> {
    if let Some(snapshot) = cached.and_then(|json| serde_json::from_str(json).ok()) {
        return Ok(Some(snapshot));
    }
    let key = snapshot_key(app_id);
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
    let model_config = app_model_configs::Entity::find()
        .filter(app_model_configs::Column::AppId.eq(app_id))
        .one(conn)
        .await?
        .and_then(|row| match ModelConfig::from_row(&row) {
            Ok(config) => Some(config),
            Err(error) => {
                tracing::error!(%app_id, %error, "stored model config is unreadable");
                None
            }
        });
    let snapshot = AppSnapshot {
        app_id,
        slug: app.slug,
        builder_id: app.builder_id,
        chargeable: app.status == AppStatus::Approved && app.is_active,
        actions,
        model_config,
    };
    let json = serde_json::to_string(&snapshot).expect("plain struct serialises");
    set_best_effort(cache, &key, &json, APP_CACHE_TTL).await;
    Ok(Some(snapshot))
}

/// Call after any change to an app, its actions or its model config; every replica sees it at once.
pub async fn invalidate(cache: &dyn Cache, app_id: Uuid) -> Result<(), CacheError> {
    cache.delete(&snapshot_key(app_id)).await
}
