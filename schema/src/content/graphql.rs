//! Recipes and stories over GraphQL: the caller's own content; admins may read anyone's by id.

use async_graphql::{Context, ID, InputObject, Json, Object, OneofObject, SimpleObject};
use chrono::{DateTime, Utc};
use fairydust_entities::{user_recipes, user_stories};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::library::{self, StoryFilter, StorySort};
use super::recipes::{self, NewRecipe, RecipeChanges, RecipeFilter};
use super::stories::{
    self, Audience, Character, CharacterRequest, Genre, StoryLength, StoryRequest,
};
use super::sync::{self, DeviceRecipe, Resolution};
use crate::apps::catalog::{self, AppRef};
use crate::apps::graphql::App;
use crate::auth::{ContextExt, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::loaders::{Loaders, load_error};
use crate::pagination::{Cursor, page_size};
use crate::profile::graphql::Person;
use crate::state::AppState;

fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

fn parse_id(id: &ID, what: &'static str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found(what))
}

/// A saved recipe (markdown).
#[derive(Clone)]
pub struct Recipe(pub user_recipes::Model);

#[Object]
impl Recipe {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The device's own id, for recipes that came through `syncRecipes`.
    async fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }

    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        let app = ctx
            .data_unchecked::<Loaders>()
            .apps
            .load_one(self.0.app_id)
            .await
            .map_err(load_error)?;
        Ok(app.map(App))
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn content(&self) -> &str {
        &self.0.content
    }

    /// The dish category.
    async fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }

    /// {complexity: Simple | Medium | Gourmet, dish, include, exclude, generation_params, parsed_data}
    async fn metadata(&self) -> Json<Value> {
        Json(self.0.metadata.clone())
    }

    async fn is_favorited(&self) -> bool {
        self.0.is_favorited
    }

    /// True for a tombstone: the recipe was deleted (only `syncRecipes` returns these).
    async fn deleted(&self) -> bool {
        self.0.deleted_at.is_some()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.client_updated_at
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
            catalog::resolve_app_id(&state(ctx).db, &AppRef::parse(&app))
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
    let with_total = ctx.look_ahead().field("totalCount").exists();
    let (rows, total) = recipes::page(
        &state(ctx).db,
        user_id,
        &filter,
        after,
        size + 1,
        with_total,
    )
    .await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            (
                Cursor {
                    created_at: row.created_at,
                    id: row.id,
                },
                Recipe(row),
            )
        })
        .collect();
    Ok(RecipeConnection::from_rows(
        rows,
        size,
        after.is_some(),
        total,
    ))
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
    /// Server changes since `since`, deletions included (`deleted: true`).
    pub changes: Vec<Recipe>,
    /// Send as `since` next time.
    pub synced_at: DateTime<Utc>,
}

/// A story character: someone from People in My Life (`personId`) or made up for this story.
#[derive(OneofObject)]
pub enum StoryCharacterInput {
    PersonId(ID),
    Character(AdHocCharacterInput),
}

#[derive(InputObject)]
pub struct AdHocCharacterInput {
    pub name: String,
    pub relationship: Option<String>,
    pub age: Option<i32>,
    #[graphql(default)]
    pub traits: Vec<String>,
}

#[derive(InputObject)]
pub struct GenerateStoryInput {
    pub genre: Genre,
    pub length: StoryLength,
    pub audience: Audience,
    /// 1–8.
    pub characters: Vec<StoryCharacterInput>,
    pub setting: Option<String>,
    pub theme: Option<String>,
    pub custom_prompt: Option<String>,
    pub idempotency_key: String,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct StoryCharacter {
    pub name: String,
    pub relationship: Option<String>,
    pub age: Option<i32>,
    pub traits: Vec<String>,
    #[graphql(skip)]
    pub person_id: Option<Uuid>,
}

#[async_graphql::ComplexObject]
impl StoryCharacter {
    /// The person from People in My Life, when the character is one (and still exists).
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Option<Person>> {
        let Some(id) = self.person_id else {
            return Ok(None);
        };
        let person = ctx
            .data_unchecked::<Loaders>()
            .person
            .load_one(id)
            .await
            .map_err(load_error)?;
        Ok(person.map(Person))
    }
}

#[derive(Clone)]
pub struct Story(pub user_stories::Model);

#[Object]
impl Story {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn content(&self) -> &str {
        &self.0.content
    }

    async fn genre(&self) -> Option<Genre> {
        Genre::parse(&self.0.genre)
    }

    async fn length(&self) -> StoryLength {
        StoryLength::parse(&self.0.length)
    }

    async fn target_audience(&self) -> Audience {
        Audience::parse(&self.0.target_audience)
    }

    async fn characters(&self) -> Vec<StoryCharacter> {
        let characters: Vec<Character> =
            serde_json::from_value(self.0.characters.clone()).unwrap_or_default();
        characters
            .into_iter()
            .map(|c| StoryCharacter {
                name: c.name,
                relationship: c.relationship,
                age: c.age,
                traits: c.traits,
                person_id: c.person_id,
            })
            .collect()
    }

    async fn word_count(&self) -> i32 {
        self.0.word_count
    }

    /// DUST the story cost.
    async fn dust_cost(&self) -> i32 {
        self.0.dust_cost
    }

    async fn is_favorited(&self) -> bool {
        self.0.is_favorited
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

crate::connection!(StoryConnection, StoryEdge, Story);

#[derive(SimpleObject)]
pub struct StoryUsage {
    pub model: Option<String>,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub cost_usd: Decimal,
}

#[derive(SimpleObject)]
pub struct GenerateStoryResult {
    pub story: Story,
    pub usage: StoryUsage,
    pub dust_charged: i32,
    /// True when this answer repeats an earlier request with the same idempotency key.
    pub replayed: bool,
}

#[derive(SimpleObject)]
pub struct GenreCount {
    pub genre: String,
    pub stories: i64,
}

#[derive(SimpleObject)]
pub struct StoryStats {
    pub total: i64,
    pub favorites: i64,
    pub words: i64,
    pub genres: Vec<GenreCount>,
    pub most_common_genre: Option<String>,
    pub dust_spent: i64,
}

/// `me { stories }`.
pub async fn stories_page(
    ctx: &Context<'_>,
    user_id: Uuid,
    first: Option<i32>,
    after: Option<String>,
    genre: Option<Genre>,
    favorites_only: bool,
    sort: StorySort,
) -> ApiResult<StoryConnection> {
    let size = page_size(first)?;
    let after = Cursor::parse_after(after.as_deref())?;
    let filter = StoryFilter {
        genre: genre.map(|g| g.as_str().to_owned()),
        favorites_only,
    };
    let with_total = ctx.look_ahead().field("totalCount").exists();
    let (rows, total) = library::page(
        &state(ctx).db,
        user_id,
        &filter,
        sort,
        after,
        size + 1,
        with_total,
    )
    .await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            (
                Cursor {
                    created_at: row.created_at,
                    id: row.id,
                },
                Story(row),
            )
        })
        .collect();
    Ok(StoryConnection::from_rows(
        rows,
        size,
        after.is_some(),
        total,
    ))
}

pub async fn story_stats_of(ctx: &Context<'_>, user_id: Uuid) -> ApiResult<StoryStats> {
    let stats = library::stats(&state(ctx).db, user_id).await?;
    Ok(StoryStats {
        total: stats.total,
        favorites: stats.favorites,
        words: stats.words,
        most_common_genre: stats.genres.first().map(|(genre, _)| genre.clone()),
        genres: stats
            .genres
            .into_iter()
            .map(|(genre, stories)| GenreCount { genre, stories })
            .collect(),
        dust_spent: stats.dust_spent,
    })
}

#[derive(Default)]
pub struct ContentQuery;

#[Object]
impl ContentQuery {
    /// One of the caller's recipes (admins: anyone's).
    #[graphql(guard = "RequireUser")]
    async fn recipe(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Recipe> {
        let viewer = ctx.principal()?;
        Ok(Recipe(
            recipes::find(
                &state(ctx).db,
                viewer.user_id,
                parse_id(&id, "Recipe")?,
                viewer.roles.admin,
            )
            .await?,
        ))
    }

    /// One of the caller's stories (admins: anyone's).
    #[graphql(guard = "RequireUser")]
    async fn story(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Story> {
        let viewer = ctx.principal()?;
        Ok(Story(
            library::find(
                &state(ctx).db,
                viewer.user_id,
                parse_id(&id, "Story")?,
                viewer.roles.admin,
            )
            .await?,
        ))
    }
}

#[derive(Default)]
pub struct ContentMutation;

#[Object]
impl ContentMutation {
    #[graphql(guard = "RequireUser")]
    async fn save_recipe(&self, ctx: &Context<'_>, input: SaveRecipeInput) -> ApiResult<Recipe> {
        let db = &state(ctx).db;
        let app = catalog::find_app(db, &AppRef::parse(&input.app_id))
            .await?
            .ok_or_else(|| ApiError::not_found("App"))?;
        let recipe = NewRecipe {
            app_id: app.id,
            title: input.title,
            content: input.content,
            category: input.category,
            metadata: input.metadata.map(|m| m.0),
            is_favorited: input.is_favorited,
        };
        Ok(Recipe(
            recipes::save(db, ctx.principal()?.user_id, recipe).await?,
        ))
    }

    #[graphql(guard = "RequireUser")]
    async fn update_recipe(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateRecipeInput,
    ) -> ApiResult<Recipe> {
        let changes = RecipeChanges {
            title: input.title,
            content: input.content,
            metadata: input.metadata.map(|m| m.0),
            is_favorited: input.is_favorited,
        };
        let recipe = recipes::update(
            &state(ctx).db,
            ctx.principal()?.user_id,
            parse_id(&id, "Recipe")?,
            changes,
        )
        .await?;
        Ok(Recipe(recipe))
    }

    #[graphql(guard = "RequireUser")]
    async fn delete_recipe(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        recipes::delete(
            &state(ctx).db,
            ctx.principal()?.user_id,
            parse_id(&id, "Recipe")?,
        )
        .await?;
        Ok(true)
    }

    /// Two-way sync of a device's recipes; safe to repeat.
    #[graphql(guard = "RequireUser")]
    async fn sync_recipes(
        &self,
        ctx: &Context<'_>,
        input: SyncRecipesInput,
    ) -> ApiResult<SyncResult> {
        let batch = input
            .recipes
            .into_iter()
            .map(|r| DeviceRecipe {
                client_id: r.client_id,
                app: AppRef::parse(&r.app_id),
                title: r.title,
                content: r.content,
                category: r.category,
                metadata: r.metadata.map(|m| m.0),
                updated_at: r.updated_at,
                deleted: r.deleted,
            })
            .collect();
        let outcome =
            sync::sync(&state(ctx).db, ctx.principal()?.user_id, batch, input.since).await?;
        Ok(SyncResult {
            mapping: outcome
                .mapping
                .into_iter()
                .map(|(client_id, id)| RecipeMapping {
                    client_id,
                    id: ID(id.to_string()),
                })
                .collect(),
            conflicts: outcome
                .conflicts
                .into_iter()
                .map(|c| SyncConflict {
                    client_id: c.client_id,
                    resolution: match c.resolution {
                        Resolution::ClientWins => ConflictResolution::ClientWins,
                        Resolution::ServerWins => ConflictResolution::ServerWins,
                    },
                })
                .collect(),
            changes: outcome.changes.into_iter().map(Recipe).collect(),
            synced_at: outcome.synced_at,
        })
    }

    /// Writes a story starring the given characters; charges the length's DUST price once, after the
    /// story is stored. At most 5 an hour.
    #[graphql(guard = "RequireUser")]
    async fn generate_story(
        &self,
        ctx: &Context<'_>,
        input: GenerateStoryInput,
    ) -> ApiResult<GenerateStoryResult> {
        let characters = input
            .characters
            .into_iter()
            .map(|c| match c {
                StoryCharacterInput::PersonId(id) => {
                    Ok(CharacterRequest::Person(parse_id(&id, "Person")?))
                }
                StoryCharacterInput::Character(c) => Ok(CharacterRequest::AdHoc(Character {
                    person_id: None,
                    name: c.name,
                    relationship: c.relationship,
                    age: c.age,
                    traits: c.traits,
                })),
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let request = StoryRequest {
            user_id: ctx.principal()?.user_id,
            genre: input.genre,
            length: input.length,
            audience: input.audience,
            characters,
            setting: input.setting,
            theme: input.theme,
            custom_prompt: input.custom_prompt,
            idempotency_key: input.idempotency_key,
        };
        let generated = stories::generate(state(ctx), request).await?;
        let metadata = &generated.story.metadata;
        let usage = StoryUsage {
            model: metadata["model"].as_str().map(str::to_owned),
            prompt_tokens: metadata["prompt_tokens"].as_i64().unwrap_or(0) as i32,
            completion_tokens: metadata["completion_tokens"].as_i64().unwrap_or(0) as i32,
            cost_usd: metadata["cost_usd"]
                .as_str()
                .and_then(|c| c.parse().ok())
                .unwrap_or_default(),
        };
        Ok(GenerateStoryResult {
            story: Story(generated.story),
            usage,
            dust_charged: generated.dust_charged,
            replayed: generated.replayed,
        })
    }

    #[graphql(guard = "RequireUser")]
    async fn favorite_story(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = true)] favorite: bool,
    ) -> ApiResult<Story> {
        let story = library::set_favorite(
            &state(ctx).db,
            ctx.principal()?.user_id,
            parse_id(&id, "Story")?,
            favorite,
        )
        .await?;
        Ok(Story(story))
    }

    #[graphql(guard = "RequireUser")]
    async fn delete_story(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        library::delete(
            &state(ctx).db,
            ctx.principal()?.user_id,
            parse_id(&id, "Story")?,
        )
        .await?;
        Ok(true)
    }
}
