//! Personalised stories: People in My Life as characters, a safety filter, at most 5 an hour, and the
//! length's DUST price charged once, only after the story is stored.
//!
//! This module holds the generation flow; the vocabulary types (`Genre`, `StoryLength`, `Audience`,
//! `Character`, requests and results) live in `story_types.rs` and are re-exported here.

pub use super::story_types::{
    Audience, Character, CharacterRequest, GeneratedStory, Genre, StoryLength, StoryRequest,
};

use std::time::Duration;

use fairydust_entities::seeded::STORY_APP_SLUG;
use fairydust_entities::{now, story_generation_logs, user_stories};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::story_prompt::{self, StoryBrief};
use super::{ContentError, safety};
use crate::apps::catalog::{self, AppRef};
use crate::cache::RateLimit;
use crate::db_errors::{UniqueKey, violates_unique};
use crate::ledger::consume::validate_idempotency_key;
use crate::ledger::holds::HoldGuard;
use crate::ledger::{self, Entry, TransactionKind, events};
use crate::llm::LlmError;
use crate::llm::calls::{self, Caller, ModelAnswer, Prompt};
use crate::llm::in_progress;
use crate::llm::provider::{ChatMessage, Role};
use crate::llm::usage;
use crate::profile::people;
use crate::state::AppState;

pub const STORIES_PER_HOUR: RateLimit = RateLimit::per(5, Duration::from_secs(3600));
pub const MAX_CHARACTERS: usize = 8;
const UNIQUE_STORY_KEY: UniqueKey = UniqueKey::new(
    "uq_user_stories_idempotency",
    "user_stories.user_id, user_stories.idempotency_key",
);

fn bounded(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ContentError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(ContentError::InvalidInput(format!(
            "{field} must be at most {max} characters"
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

fn validate(request: &StoryRequest) -> Result<(), ContentError> {
    validate_idempotency_key(&request.idempotency_key)
        .map_err(|e| ContentError::InvalidInput(e.to_string()))?;
    if request.characters.is_empty() || request.characters.len() > MAX_CHARACTERS {
        return Err(ContentError::InvalidInput(format!(
            "a story has 1–{MAX_CHARACTERS} characters"
        )));
    }
    for character in &request.characters {
        if let CharacterRequest::AdHoc(character) = character {
            if character.name.trim().is_empty() || character.name.chars().count() > 50 {
                return Err(ContentError::InvalidInput(
                    "character names must be 1–50 characters".into(),
                ));
            }
            if character.traits.len() > 10
                || character.traits.iter().any(|t| t.chars().count() > 100)
            {
                return Err(ContentError::InvalidInput(
                    "at most 10 traits of at most 100 characters".into(),
                ));
            }
            if character.age.is_some_and(|age| !(0..=130).contains(&age)) {
                return Err(ContentError::InvalidInput(
                    "age must be between 0 and 130".into(),
                ));
            }
        }
    }
    bounded("setting", request.setting.as_deref(), 300)?;
    bounded("theme", request.theme.as_deref(), 300)?;
    bounded("customPrompt", request.custom_prompt.as_deref(), 1000)?;
    Ok(())
}

async fn resolve_characters(
    state: &AppState,
    request: &StoryRequest,
) -> Result<Vec<Character>, ContentError> {
    let mut characters = Vec::with_capacity(request.characters.len());
    for wanted in &request.characters {
        characters.push(match wanted {
            CharacterRequest::AdHoc(character) => Character {
                person_id: None,
                ..character.clone()
            },
            CharacterRequest::Person(person_id) => {
                let person = people::owned(&state.db, request.user_id, *person_id).await?;
                let facts = fairydust_entities::person_profile_data::Entity::find()
                    .filter(fairydust_entities::person_profile_data::Column::PersonId.eq(person.id))
                    .all(&state.db)
                    .await?;
                Character {
                    person_id: Some(person.id),
                    age: person.birth_date.map(|born| {
                        (chrono::Utc::now().date_naive() - born).num_days() as i32 / 365
                    }),
                    name: person.name,
                    relationship: person.relationship,
                    traits: facts
                        .iter()
                        .map(|fact| {
                            format!(
                                "{} {}",
                                fact.field_name.replace('_', " "),
                                plain(&fact.field_value)
                            )
                        })
                        .collect(),
                }
            }
        });
    }
    Ok(characters)
}

fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn check_safety(texts: &[&str], audience: Audience) -> Result<(), ContentError> {
    for text in texts {
        if let Some(word) = safety::refused_word(text, audience) {
            return Err(ContentError::Unsafe(format!(
                "\"{word}\" is not allowed in a {} story",
                audience.as_str()
            )));
        }
    }
    Ok(())
}

async fn earlier_story(
    db: &DatabaseConnection,
    user_id: Uuid,
    key: &str,
) -> Result<Option<user_stories::Model>, ContentError> {
    Ok(user_stories::Entity::find()
        .filter(user_stories::Column::UserId.eq(user_id))
        .filter(user_stories::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

fn replayed(story: user_stories::Model) -> GeneratedStory {
    GeneratedStory {
        dust_charged: story.dust_cost,
        story,
        answer: None,
        replayed: true,
    }
}

pub async fn generate(
    state: &AppState,
    request: StoryRequest,
) -> Result<GeneratedStory, ContentError> {
    validate(&request)?;
    if let Some(story) = earlier_story(&state.db, request.user_id, &request.idempotency_key).await?
    {
        return Ok(replayed(story));
    }
    in_progress::exclusively(
        &state.cache,
        "story",
        request.user_id,
        &request.idempotency_key,
        generate_counted(state, &request),
    )
    .await
}

/// Takes one of the user's stories of the hour and gives it back unless a story was generated (a
/// replay of an earlier story is not a new one either): refusals and failures cost no slot.
async fn generate_counted(
    state: &AppState,
    request: &StoryRequest,
) -> Result<GeneratedStory, ContentError> {
    let key = format!("story-rate:{}", request.user_id);
    let decision = state.cache.hit(&key, STORIES_PER_HOUR).await?;
    if let Some(retry_after) = decision.retry_after_seconds() {
        return Err(ContentError::RateLimited {
            limit: STORIES_PER_HOUR.limit,
            retry_after,
        });
    }
    let result = generate_locked(state, request).await;
    if !matches!(&result, Ok(story) if !story.replayed)
        && let Err(error) = state.cache.unhit(&key).await
    {
        tracing::warn!(%error, "could not give back a story slot");
    }
    result
}

async fn generate_locked(
    state: &AppState,
    request: &StoryRequest,
) -> Result<GeneratedStory, ContentError> {
    let characters = resolve_characters(state, request).await?;
    let mut inputs: Vec<&str> = vec![];
    for character in &characters {
        inputs.push(&character.name);
        inputs.extend(character.relationship.as_deref());
        inputs.extend(character.traits.iter().map(String::as_str));
    }
    inputs.extend(request.setting.as_deref());
    inputs.extend(request.theme.as_deref());
    inputs.extend(request.custom_prompt.as_deref());
    check_safety(&inputs, request.audience)?;

    let app = catalog::find_app(&state.db, &AppRef::Slug(STORY_APP_SLUG.to_owned()))
        .await?
        .ok_or(ContentError::NotFound("Story app"))?;
    let snapshot = catalog::snapshot(&state.db, &*state.cache, app.id)
        .await?
        .ok_or(ContentError::NotFound("Story app"))?;
    if !snapshot.chargeable {
        return Err(LlmError::AppUnavailable.into());
    }
    let action = request.length.action();
    let price = snapshot
        .price_of(&action)
        .ok_or(ContentError::NotFound("Story price"))?;
    let config = snapshot.model_config.clone().ok_or_else(|| {
        LlmError::NotConfigured("The story app has no model configuration".into())
    })?;
    let hold = HoldGuard::reserve(&state.db, request.user_id, price).await?;

    let brief = StoryBrief {
        genre: request.genre,
        length: request.length,
        audience: request.audience,
        characters: &characters,
        setting: request.setting.as_deref(),
        theme: request.theme.as_deref(),
        custom_prompt: request.custom_prompt.as_deref(),
    };
    let prompt = Prompt {
        system: Some(story_prompt::system_prompt(request.audience)),
        messages: vec![ChatMessage {
            role: Role::User,
            content: story_prompt::user_prompt(&brief),
        }],
    };
    let caller = Caller {
        user_id: request.user_id,
        app_id: app.id,
        action: action.clone(),
    };
    let (answer, hold) = match calls::ask_held(state, &caller, &config, &prompt, hold).await {
        Ok(answered) => answered,
        Err(error) => {
            log_generation(
                &state.db,
                request.user_id,
                None,
                None,
                Some(error.to_string()),
            )
            .await?;
            return Err(error.into());
        }
    };
    let (title, text) = story_prompt::title_and_text(&answer.text, request.genre);
    if let Err(unsafe_story) = check_safety(&[&title, &text], request.audience) {
        hold.release().await;
        // The model was paid for: keep its usage, charge the user nothing.
        usage::record(&state.db, &answer.usage(&caller)).await?;
        calls::record_spend(state, &caller, &answer).await?;
        log_generation(
            &state.db,
            request.user_id,
            None,
            Some(&answer),
            Some(unsafe_story.to_string()),
        )
        .await?;
        return Err(unsafe_story);
    }
    store_and_charge(
        state,
        request,
        &caller,
        &characters,
        (price, hold),
        title,
        text,
        answer,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn store_and_charge(
    state: &AppState,
    request: &StoryRequest,
    caller: &Caller,
    characters: &[Character],
    (price, hold): (i32, HoldGuard),
    title: String,
    text: String,
    answer: ModelAnswer,
) -> Result<GeneratedStory, ContentError> {
    let at = now();
    let story = user_stories::Model {
        id: Uuid::now_v7(),
        user_id: request.user_id,
        title: title.chars().take(500).collect(),
        word_count: story_prompt::word_count(&text),
        content: text,
        genre: request.genre.as_str().to_owned(),
        length: request.length.as_str().to_owned(),
        target_audience: request.audience.as_str().to_owned(),
        characters: json!(characters),
        metadata: json!({
            "setting": request.setting, "theme": request.theme, "custom_prompt": request.custom_prompt,
            "model": answer.model, "provider": answer.provider.as_str(),
            "prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
            "cost_usd": answer.cost.to_string(),
        }),
        dust_cost: price,
        is_favorited: false,
        idempotency_key: Some(request.idempotency_key.clone()),
        created_at: at,
        updated_at: at,
    };
    let txn = state.db.begin().await?;
    let stored = user_stories::Entity::insert(story.clone().into_active_model())
        .exec_without_returning(&txn)
        .await;
    if let Err(error) = stored {
        drop(txn);
        hold.release().await;
        if violates_unique(&error, UNIQUE_STORY_KEY)
            && let Some(earlier) =
                earlier_story(&state.db, request.user_id, &request.idempotency_key).await?
        {
            return Ok(replayed(earlier));
        }
        return Err(error.into());
    }
    let entry = Entry {
        app_id: Some(caller.app_id),
        action: Some(caller.action.clone()),
        quantity: Some(1),
        idempotency_key: Some(format!("story:{}", request.idempotency_key)),
        request_hash: Some(story.id.to_string()),
        metadata: Some(json!({ "story_id": story.id })),
        description: Some(format!("Story: {}", story.title)),
        settles_hold: hold.id(),
        ..Entry::new(request.user_id, -price, TransactionKind::Consume)
    };
    let charged = match ledger::post(&txn, entry).await {
        Ok(row) => row,
        Err(error) => {
            // The balance fell meanwhile: no story, no charge — but the model call was paid for.
            drop(txn);
            hold.release().await;
            usage::record(&state.db, &answer.usage(caller)).await?;
            calls::record_spend(state, caller, &answer).await?;
            log_generation(
                &state.db,
                request.user_id,
                None,
                Some(&answer),
                Some(error.to_string()),
            )
            .await?;
            return Err(error.into());
        }
    };
    usage::record(&txn, &answer.usage(caller)).await?;
    log_generation(&txn, request.user_id, Some(story.id), Some(&answer), None).await?;
    txn.commit().await?;
    hold.settled();
    // The charge committed: from here on nothing may turn it into an error.
    calls::record_spend_after_charge(state, caller, &answer).await;
    events::publish(&*state.cache, &charged).await;
    Ok(GeneratedStory {
        story,
        answer: Some(answer),
        dust_charged: price,
        replayed: false,
    })
}

async fn log_generation<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    story_id: Option<Uuid>,
    answer: Option<&ModelAnswer>,
    error: Option<String>,
) -> Result<(), ContentError> {
    let at = now();
    let row = story_generation_logs::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        story_id: Set(story_id),
        model: Set(answer.map(|a| a.model.clone())),
        prompt_tokens: Set(answer.map_or(0, |a| a.prompt_tokens as i32)),
        completion_tokens: Set(answer.map_or(0, |a| a.completion_tokens as i32)),
        latency_ms: Set(answer.map_or(0, |a| a.latency_ms as i32)),
        success: Set(error.is_none()),
        error: Set(error),
        created_at: Set(at),
        updated_at: Set(at),
    };
    story_generation_logs::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
