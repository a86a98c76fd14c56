//! Stories over GraphQL: the `Story` type and its connection, characters, the generation input and
//! result, and the per-user story statistics.

use async_graphql::{Context, ID, InputObject, Object, OneofObject, SimpleObject};
use chrono::{DateTime, Utc};
use fairydust_entities::user_stories;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth::ContextExt;
use crate::content::library::{self, StoryFilter, StorySort};
use crate::content::stories::{Audience, Character, Genre, StoryLength};
use crate::error::ApiResult;
use crate::loaders::load_error;
use crate::pagination::{Cursor, page_size};
use crate::profile::graphql::Person;

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
            .loaders()
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
        &ctx.state().db,
        user_id,
        &filter,
        sort,
        after,
        size + 1,
        with_total,
    )
    .await?;
    let person_ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|story| story.characters.as_array().cloned().unwrap_or_default())
        .filter_map(|character| {
            character["person_id"]
                .as_str()
                .and_then(|id| id.parse().ok())
        })
        .collect();
    let loaders = ctx.loaders();
    loaders
        .prime_people(ctx, &["characters", "person"], &person_ids)
        .await
        .map_err(load_error)?;
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
    let stats = library::stats(&ctx.state().db, user_id).await?;
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
