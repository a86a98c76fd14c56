//! Offline sync of recipes. Devices send their recipes with their own ids and edit times; the server
//! upserts by (user, client id), the newer edit wins, and the answer carries the id mapping, the
//! conflicts it resolved and the server's changes since the device's last sync. Sending the same batch
//! twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fairydust_entities::{now, user_recipes};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use super::ContentError;
use super::recipes::{
    self, title_or_derived, validate_category, validate_content, validate_metadata,
};
use crate::apps::catalog::{self, AppRef};
use crate::pagination::Cursor;
use crate::state::AppState;

pub const MAX_RECIPES_PER_SYNC: usize = 1_000;

/// A recipe as a device knows it.
#[derive(Clone, Debug)]
pub struct DeviceRecipe {
    pub client_id: String,
    pub app: AppRef,
    pub title: Option<String>,
    pub content: String,
    pub category: Option<String>,
    pub metadata: Option<Value>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The device's edit was newer and was kept.
    ClientWins,
    /// The server's copy was newer; the device's edit was dropped and the server's copy is in `changes`.
    ServerWins,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub client_id: String,
    pub resolution: Resolution,
}

#[derive(Clone, Debug)]
pub struct SyncOutcome {
    pub mapping: Vec<(String, Uuid)>,
    pub conflicts: Vec<Conflict>,
    /// Server recipes changed since `since` (tombstones included), except the ones this sync just wrote
    /// from the device's own copy: one page of them.
    pub changes: Vec<user_recipes::Model>,
    /// Where the next page of changes starts, when there is one.
    pub next_changes: Option<Cursor>,
    /// Pass as `since` next time.
    pub synced_at: DateTime<Utc>,
}

fn validate(batch: &[DeviceRecipe]) -> Result<(), ContentError> {
    if batch.len() > MAX_RECIPES_PER_SYNC {
        return Err(ContentError::InvalidInput(format!(
            "at most {MAX_RECIPES_PER_SYNC} recipes per sync"
        )));
    }
    let mut seen = HashSet::new();
    for recipe in batch {
        if recipe.client_id.is_empty() || recipe.client_id.len() > 128 {
            return Err(ContentError::InvalidInput(
                "clientId must be 1–128 characters".into(),
            ));
        }
        if !seen.insert(recipe.client_id.as_str()) {
            return Err(ContentError::InvalidInput(format!(
                "clientId {:?} appears twice",
                recipe.client_id
            )));
        }
        if recipe.updated_at > Utc::now() + chrono::Duration::minutes(5) {
            return Err(ContentError::InvalidInput(format!(
                "updatedAt of {:?} is in the future",
                recipe.client_id
            )));
        }
        if !recipe.deleted {
            validate_content(&recipe.content)?;
            title_or_derived(recipe.title.as_deref(), &recipe.content)?;
            validate_category(recipe.category.as_deref())?;
            if let Some(metadata) = &recipe.metadata {
                validate_metadata(metadata)?;
            }
        }
    }
    Ok(())
}

async fn resolve_apps(
    db: &DatabaseConnection,
    batch: &[DeviceRecipe],
) -> Result<HashMap<AppRef, Uuid>, ContentError> {
    let mut apps = HashMap::new();
    for reference in batch.iter().map(|r| r.app.clone()).collect::<HashSet<_>>() {
        let app = catalog::find_app(db, &reference)
            .await?
            .ok_or(ContentError::NotFound("App"))?;
        apps.insert(reference, app.id);
    }
    Ok(apps)
}

fn apply(
    row: &mut user_recipes::ActiveModel,
    recipe: &DeviceRecipe,
    app_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), ContentError> {
    row.app_id = Set(app_id);
    row.client_updated_at = Set(recipe.updated_at);
    row.updated_at = Set(at);
    if recipe.deleted {
        row.deleted_at = Set(Some(at));
        row.content = Set(String::new());
    } else {
        row.deleted_at = Set(None);
        row.title = Set(title_or_derived(recipe.title.as_deref(), &recipe.content)?);
        row.content = Set(recipe.content.clone());
        row.category = Set(validate_category(recipe.category.as_deref())?);
        if let Some(metadata) = &recipe.metadata {
            row.metadata = Set(metadata.clone());
        }
    }
    Ok(())
}

pub async fn sync(
    state: &AppState,
    user_id: Uuid,
    batch: Vec<DeviceRecipe>,
    since: Option<DateTime<Utc>>,
    changes_after: Option<Cursor>,
) -> Result<SyncOutcome, ContentError> {
    let (db, limits) = (&state.db, &state.settings.content);
    recipes::throttle_write(&*state.cache, limits, user_id).await?;
    validate(&batch)?;
    let synced_at = now();
    let apps = resolve_apps(db, &batch).await?;
    tracing::info!(%user_id, recipes = batch.len(), "recipe sync");

    let txn = db.begin().await?;
    let client_ids: Vec<String> = batch.iter().map(|r| r.client_id.clone()).collect();
    let mut existing: HashMap<String, user_recipes::Model> = HashMap::new();
    for chunk in client_ids.chunks(500) {
        let rows = user_recipes::Entity::find()
            .filter(user_recipes::Column::UserId.eq(user_id))
            .filter(user_recipes::Column::ClientId.is_in(chunk.to_vec()))
            .all(&txn)
            .await?;
        existing.extend(
            rows.into_iter()
                .filter_map(|row| row.client_id.clone().map(|id| (id, row))),
        );
    }

    let mut mapping = Vec::new();
    let mut conflicts = Vec::new();
    let mut written_from_device = HashSet::new();
    let mut inserts = Vec::new();
    for (index, recipe) in batch.iter().enumerate() {
        let app_id = apps[&recipe.app];
        // Each written row gets its own instant just before `synced_at`: the changes other devices
        // page through then never share one timestamp by the hundreds, and this device's next sync
        // (from `synced_at`) does not get its own writes back.
        let stamp = synced_at - chrono::Duration::microseconds((batch.len() - index) as i64);
        match existing.remove(&recipe.client_id) {
            None if recipe.deleted => {}
            None => {
                let id = Uuid::now_v7();
                let mut row = user_recipes::ActiveModel {
                    id: Set(id),
                    user_id: Set(user_id),
                    client_id: Set(Some(recipe.client_id.clone())),
                    metadata: Set(serde_json::json!({})),
                    is_favorited: Set(false),
                    created_at: Set(synced_at),
                    ..Default::default()
                };
                apply(&mut row, recipe, app_id, stamp)?;
                inserts.push(row);
                written_from_device.insert(id);
                mapping.push((recipe.client_id.clone(), id));
            }
            Some(stored) => {
                mapping.push((recipe.client_id.clone(), stored.id));
                if recipe.updated_at == stored.client_updated_at {
                    continue; // The same version again: nothing to do.
                }
                let server_changed = since.is_none_or(|since| stored.updated_at > since);
                if recipe.updated_at < stored.client_updated_at {
                    conflicts.push(Conflict {
                        client_id: recipe.client_id.clone(),
                        resolution: Resolution::ServerWins,
                    });
                    continue;
                }
                if server_changed && since.is_some() {
                    conflicts.push(Conflict {
                        client_id: recipe.client_id.clone(),
                        resolution: Resolution::ClientWins,
                    });
                }
                written_from_device.insert(stored.id);
                let mut row = stored.into_active_model();
                apply(&mut row, recipe, app_id, stamp)?;
                row.update(&txn).await?;
            }
        }
    }
    if !inserts.is_empty() {
        let live = user_recipes::Entity::find()
            .filter(user_recipes::Column::UserId.eq(user_id))
            .filter(user_recipes::Column::DeletedAt.is_null())
            .count(&txn)
            .await?;
        if live + inserts.len() as u64 > limits.max_recipes_per_user {
            return Err(recipes::too_many_recipes(limits.max_recipes_per_user));
        }
    }
    insert_in_chunks(&txn, inserts).await?;
    txn.commit().await?;

    let (page, more) = recipes::changed_since(
        db,
        user_id,
        since,
        changes_after,
        limits.sync_changes_per_call,
        limits.max_page_content_bytes,
    )
    .await?;
    let next_changes = page.last().filter(|_| more).map(|last| Cursor {
        created_at: last.updated_at,
        id: last.id,
    });
    // A client that ignores the cursor and syncs again from `syncedAt` must not skip the rest: give it
    // a moment just before the last change returned.
    let synced_at = match &next_changes {
        Some(cursor) => cursor.created_at - chrono::Duration::microseconds(1),
        None => synced_at,
    };
    let changes = page
        .into_iter()
        .filter(|row| !written_from_device.contains(&row.id))
        .collect();
    Ok(SyncOutcome {
        mapping,
        conflicts,
        changes,
        next_changes,
        synced_at,
    })
}

/// New recipes in a few multi-row INSERTs, sized to stay under the databases' bind-parameter limits.
async fn insert_in_chunks<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<user_recipes::ActiveModel>,
) -> Result<(), ContentError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(200).collect();
        user_recipes::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
