//! `aiContext`: the user's profile and people, summarised for LLM prompts, as structured JSON and as
//! text. Cached 15 minutes; any change to the profile or people invalidates it by bumping a per-user
//! version that is part of the cache key (no need to know which apps' entries exist).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use fairydust_entities::{people_in_my_life, person_profile_data, user_profile_data, users};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ProfileError, data, people};
use crate::cache::{Cache, get_or_miss, set_best_effort};

pub const CONTEXT_TTL: Duration = Duration::from_secs(15 * 60);
const VERSION_TTL: Duration = Duration::from_secs(31 * 24 * 60 * 60);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AiContext {
    pub json: Value,
    pub text: String,
}

fn version_key(user_id: Uuid) -> String {
    format!("ai-context-version:{user_id}")
}

/// Call after any change to the user's profile data or people.
pub async fn invalidate(cache: &dyn Cache, user_id: Uuid) -> Result<(), ProfileError> {
    cache
        .increment(&version_key(user_id), 1, VERSION_TTL)
        .await?;
    Ok(())
}

pub async fn ai_context(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    user_id: Uuid,
    app_id: Uuid,
) -> Result<AiContext, ProfileError> {
    // Without the version the cached copy cannot be trusted to be current: read the database.
    let version = match cache.get(&version_key(user_id)).await {
        Ok(version) => version.unwrap_or_else(|| "0".to_owned()),
        Err(error) => {
            tracing::warn!(%error, "cache read failed; building the AI context from the database");
            return build(db, user_id).await;
        }
    };
    let key = format!("ai-context:{user_id}:{version}:{app_id}");
    if let Some(cached) = get_or_miss(cache, &key).await
        && let Ok(context) = serde_json::from_str(&cached)
    {
        return Ok(context);
    }
    let context = build(db, user_id).await?;
    let json = serde_json::to_string(&context).expect("serialisable");
    set_best_effort(cache, &key, &json, CONTEXT_TTL).await;
    Ok(context)
}

fn age(birth_date: Option<NaiveDate>) -> Option<i32> {
    let born = birth_date?;
    let today = Utc::now().date_naive();
    let had_birthday = (today.month(), today.day()) >= (born.month(), born.day());
    Some(today.year() - born.year() - i32::from(!had_birthday))
}

fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(render).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn humanise(field: &str) -> String {
    let spaced = field.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn build(db: &DatabaseConnection, user_id: Uuid) -> Result<AiContext, ProfileError> {
    let user = users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(ProfileError::NotFound("User"))?;
    let facts = data::list_for_user(db, user_id, None).await?;
    let people = people::list(db, user_id).await?;
    let person_facts = person_profile_data::Entity::find()
        .filter(person_profile_data::Column::UserId.eq(user_id))
        .order_by_asc(person_profile_data::Column::FieldName)
        .all(db)
        .await?;
    Ok(summarise(&user, &facts, &people, &person_facts))
}

fn summarise(
    user: &users::Model,
    facts: &[user_profile_data::Model],
    people: &[people_in_my_life::Model],
    person_facts: &[person_profile_data::Model],
) -> AiContext {
    let mut profile: BTreeMap<&str, BTreeMap<&str, &Value>> = BTreeMap::new();
    for fact in facts {
        profile
            .entry(&fact.category)
            .or_default()
            .insert(&fact.field_name, &fact.field_value);
    }
    let people_json: Vec<Value> = people
        .iter()
        .map(|person| {
            let traits: BTreeMap<&str, &Value> = person_facts
                .iter()
                .filter(|fact| fact.person_id == person.id)
                .map(|fact| (fact.field_name.as_str(), &fact.field_value))
                .collect();
            json!({
                "name": person.name, "relationship": person.relationship,
                "age": age(person.birth_date), "age_range": person.age_range, "traits": traits,
            })
        })
        .collect();
    let json = json!({
        "user": {
            "first_name": user.first_name, "age": age(user.birth_date), "age_range": user.age_range,
            "city": user.city, "country": user.country,
        },
        "profile": profile,
        "people": people_json,
    });

    let mut lines = Vec::new();
    let mut about = Vec::new();
    if let Some(name) = &user.first_name {
        about.push(format!("First name: {name}."));
    }
    match (age(user.birth_date), &user.age_range) {
        (Some(age), _) => about.push(format!("Age: {age}.")),
        (None, Some(range)) => about.push(format!("Age range: {}.", range.replace('_', "–"))),
        _ => {}
    }
    let place: Vec<&str> = [user.city.as_deref(), user.country.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !place.is_empty() {
        about.push(format!("Lives in {}.", place.join(", ")));
    }
    if !about.is_empty() {
        lines.push(format!("About the user: {}", about.join(" ")));
    }
    for fields in profile.values() {
        for (field, value) in fields {
            lines.push(format!("{}: {}.", humanise(field), render(value)));
        }
    }
    if !people.is_empty() {
        lines.push("People in their life:".to_owned());
        for person in people {
            let mut description = person.name.clone();
            let detail: Vec<String> = [
                person.relationship.clone(),
                age(person.birth_date).map(|a| format!("{a}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !detail.is_empty() {
                description.push_str(&format!(" ({})", detail.join(", ")));
            }
            let traits: Vec<String> = person_facts
                .iter()
                .filter(|fact| fact.person_id == person.id)
                .map(|fact| {
                    format!(
                        "{} {}",
                        humanise(&fact.field_name).to_lowercase(),
                        render(&fact.field_value)
                    )
                })
                .collect();
            if !traits.is_empty() {
                description.push_str(&format!(": {}", traits.join("; ")));
            }
            lines.push(format!("- {description}"));
        }
    }
    AiContext {
        json,
        text: lines.join("\n"),
    }
}
