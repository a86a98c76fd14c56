//! Recipes over GraphQL: the `Recipe` type and its connection, the save/update inputs, and the
//! offline-sync inputs and results.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use fairydust_entities::user_recipes;
use serde_json::Value;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::apps::catalog::{self, AppRef};
use crate::apps::graphql::App;
use crate::auth::ContextExt;
use crate::content::recipes::{self, PageReads, RecipeFilter};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Cursor, page_size};

/// A saved recipe (markdown).
#[derive(Clone)]
pub struct Recipe {
    /// Its `content` is moved into `content` below.
    row: user_recipes::Model,
    /// Empty for a row read without its content (a page that did not ask for it): the field then
    /// reads it on its own, so the answer never depends on the page guessing right.
    content: OnceCell<String>,
}

impl From<user_recipes::Model> for Recipe {
    fn from(mut row: user_recipes::Model) -> Self {
        let content = OnceCell::new_with(Some(std::mem::take(&mut row.content)));
        Self { row, content }
    }
}

impl Recipe {
    fn without_content(row: user_recipes::Model) -> Self {
        Self {
            row,
            content: OnceCell::new(),
        }
    }
}

#[Object]
impl Recipe {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    /// The device's own id, for recipes that came through `syncRecipes`.
    async fn client_id(&self) -> Option<&str> {
        self.row.client_id.as_deref()
    }

    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        App::load(ctx, self.row.app_id).await
    }

    async fn title(&self) -> &str {
        &self.row.title
    }

    async fn content(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        let content = self
            .content
            .get_or_try_init(|| recipes::content_of(&ctx.state().db, self.row.id))
            .await?;
        Ok(content.as_str())
    }

    /// The dish category.
    async fn category(&self) -> Option<&str> {
        self.row.category.as_deref()
    }

    /// {complexity: Simple | Medium | Gourmet, dish, include, exclude, generation_params, parsed_data}
    async fn metadata(&self) -> Json<Value> {
        Json(self.row.metadata.clone())
    }

    async fn is_favorited(&self) -> bool {
        self.row.is_favorited
    }

    /// True for a tombstone: the recipe was deleted (only `syncRecipes` returns these).
    async fn deleted(&self) -> bool {
        self.row.deleted_at.is_some()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.client_updated_at
    }
}

crate::connection!(RecipeConnection, RecipeEdge, Recipe);

/// `me { recipes }`.
pub async fn recipes_page(
    ctx: &Context<'_>,
    user_id: Uuid,
    first: Option<i32>,
    after: Option<String>,
    app_id: Option<ID>,
    favorites_only: bool,
    search: Option<String>,
) -> ApiResult<RecipeConnection> {
    let size = page_size(first)?;
    let after = Cursor::parse_after(after.as_deref())?;
    let app_id = match app_id {
        Some(app) => Some(
            catalog::resolve_app_id(&ctx.state().db, &AppRef::parse(&app))
                .await?
                .ok_or_else(|| ApiError::not_found("App"))?,
        ),
        None => None,
    };
    let filter = RecipeFilter {
        app_id,
        favorites_only,
        search,
    };
    let page = ctx.look_ahead();
    let reads = PageReads {
        total: page.field("totalCount").exists(),
        content: page.field("edges").field("node").field("content").exists()
            || page.field("nodes").field("content").exists(),
    };
    let budget = ctx.state().settings.content.max_page_content_bytes;
    let (rows, total, cut) = recipes::page(
        &ctx.state().db,
        user_id,
        &filter,
        after,
        size + 1,
        reads,
        budget,
    )
    .await?;
    let recipe = if reads.content {
        Recipe::from
    } else {
        Recipe::without_content
    };
    let rows = rows
        .into_iter()
        .map(|row| {
            (
                Cursor {
                    created_at: row.created_at,
                    id: row.id,
                },
                recipe(row),
            )
        })
        .collect();
    let mut connection = RecipeConnection::from_rows(rows, size, after.is_some(), total);
    // A page cut short by the content budget has more after it, however few rows it holds.
    connection.page_info.has_next_page |= cut;
    Ok(connection)
}

#[derive(InputObject)]
pub struct SaveRecipeInput {
    /// The app's id or slug.
    pub app_id: ID,
    /// Derived from the first line of the content when left out.
    pub title: Option<String>,
    /// Markdown, up to 10 MB.
    pub content: String,
    pub category: Option<String>,
    pub metadata: Option<Json<Value>>,
    #[graphql(default)]
    pub is_favorited: bool,
}

#[derive(InputObject)]
pub struct UpdateRecipeInput {
    pub title: Option<String>,
    pub is_favorited: Option<bool>,
    pub content: Option<String>,
    pub metadata: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct SyncRecipeInput {
    /// The device's id for the recipe.
    pub client_id: String,
    pub app_id: ID,
    pub title: Option<String>,
    #[graphql(default)]
    pub content: String,
    pub category: Option<String>,
    pub metadata: Option<Json<Value>>,
    /// When the device last edited it: the newer edit wins.
    pub updated_at: DateTime<Utc>,
    #[graphql(default)]
    pub deleted: bool,
}

#[derive(InputObject)]
pub struct SyncRecipesInput {
    /// At most 1 000.
    pub recipes: Vec<SyncRecipeInput>,
    /// `syncedAt` of the device's previous sync; left out on the first.
    pub since: Option<DateTime<Utc>>,
    /// `changesCursor` of the previous answer, to fetch the next page of `changes` (same `since`,
    /// usually with no `recipes`).
    pub changes_after: Option<String>,
}

#[derive(SimpleObject)]
pub struct RecipeMapping {
    pub client_id: String,
    pub id: ID,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum ConflictResolution {
    /// The device's newer edit was kept.
    ClientWins,
    /// The server's newer copy was kept; it is in `changes`.
    ServerWins,
}

#[derive(SimpleObject)]
pub struct SyncConflict {
    pub client_id: String,
    pub resolution: ConflictResolution,
}

#[derive(SimpleObject)]
pub struct SyncResult {
    pub mapping: Vec<RecipeMapping>,
    pub conflicts: Vec<SyncConflict>,
    /// Server changes since `since`, deletions included (`deleted: true`), oldest first: at most 500
    /// and about 32 MB of content per answer.
    pub changes: Vec<Recipe>,
    /// More changes remain: call again with `changesAfter: changesCursor` and the same `since`.
    pub has_more_changes: bool,
    pub changes_cursor: Option<String>,
    /// Send as `since` next time. While `hasMoreChanges` is true it is the moment just before the
    /// last change returned, so a client that only follows `syncedAt` still receives everything
    /// (some changes twice).
    pub synced_at: DateTime<Utc>,
}
