//! Recipes and stories over GraphQL: the caller's own content; admins may read anyone's by id.
//!
//! This module holds the `ContentQuery`/`ContentMutation` roots. The recipe types live in
//! `recipes.rs` and the story types in `stories.rs`; both are re-exported here, so their paths stay
//! `crate::content::graphql::X`. (Inside this module, `super::recipes`/`super::stories` are the
//! domain modules, not those files.)

mod recipes;
mod stories;

pub use recipes::{
    ConflictResolution, Recipe, RecipeConnection, RecipeEdge, RecipeMapping, SaveRecipeInput,
    SyncConflict, SyncRecipeInput, SyncRecipesInput, SyncResult, UpdateRecipeInput, recipes_page,
};
pub use stories::{
    AdHocCharacterInput, GenerateStoryInput, GenerateStoryResult, GenreCount, Story,
    StoryCharacter, StoryCharacterInput, StoryConnection, StoryEdge, StoryStats, StoryUsage,
    stories_page, story_stats_of,
};

use async_graphql::{Context, ID, Object};
use uuid::Uuid;

use super::library;
use super::recipes::{NewRecipe, RecipeChanges};
use super::stories::{Character, CharacterRequest, StoryRequest};
use super::sync::{self, DeviceRecipe, Resolution};
use crate::apps::access;
use crate::apps::catalog::AppRef;
use crate::auth::{ContextExt, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::pagination::Cursor;

fn parse_id(id: &ID, what: &'static str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found(what))
}

#[derive(Default)]
pub struct ContentQuery;

#[Object]
impl ContentQuery {
    /// One of the caller's recipes (admins: anyone's).
    #[graphql(guard = "RequireUser")]
    async fn recipe(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Recipe> {
        let viewer = ctx.principal()?;
        Ok(Recipe::from(
            super::recipes::find(
                &ctx.state().db,
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
                &ctx.state().db,
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
        let state = ctx.state();
        let db = &state.db;
        // An app off the marketplace is NOT_FOUND here too, as on every path (`apps::access`).
        let viewer = ctx.principal()?;
        let app = access::visible(db, Some(viewer), &AppRef::parse(&input.app_id)).await?;
        let recipe = NewRecipe {
            app_id: app.id,
            title: input.title,
            content: input.content,
            category: input.category,
            metadata: input.metadata.map(|m| m.0),
            is_favorited: input.is_favorited,
        };
        let limits = &state.settings.content;
        let user_id = ctx.principal()?.user_id;
        Ok(Recipe::from(
            super::recipes::save(db, &*state.cache, limits, user_id, recipe).await?,
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
        let recipe = super::recipes::update(
            &ctx.state().db,
            ctx.principal()?.user_id,
            parse_id(&id, "Recipe")?,
            changes,
        )
        .await?;
        Ok(Recipe::from(recipe))
    }

    #[graphql(guard = "RequireUser")]
    async fn delete_recipe(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        super::recipes::delete(
            &ctx.state().db,
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
        let after = Cursor::parse_after(input.changes_after.as_deref())?;
        let outcome = sync::sync(
            ctx.state(),
            ctx.principal()?.user_id,
            batch,
            input.since,
            after,
        )
        .await?;
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
            changes: outcome.changes.into_iter().map(Recipe::from).collect(),
            has_more_changes: outcome.next_changes.is_some(),
            changes_cursor: outcome.next_changes.map(|cursor| cursor.encode()),
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
        let generated = super::stories::generate(ctx.state(), request).await?;
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
            &ctx.state().db,
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
            &ctx.state().db,
            ctx.principal()?.user_id,
            parse_id(&id, "Story")?,
        )
        .await?;
        Ok(true)
    }
}
