//! Progressive profile facts, for the user and for the people in their life: validated, and upserted
//! in one statement per batch (`ON CONFLICT … DO UPDATE`), so a batch is all-or-nothing.

use std::collections::HashSet;

use fairydust_entities::{now, person_profile_data, user_profile_data};
use sea_orm::entity::prelude::DateTimeUtc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition,
    ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::Value;
use uuid::Uuid;

use super::ProfileError;
use crate::settings::ProfileLimits;

pub const MAX_ITEMS_PER_BATCH: usize = 100;
pub const SOURCES: [&str; 5] = ["user_input", "inferred", "question", "migration", "app"];

/// One fact to store.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub category: String,
    pub field_name: String,
    pub value: Value,
    pub confidence: f64,
    pub source: String,
    pub app_context: Option<String>,
}

fn is_slug(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub fn validate(facts: &[Fact], limits: &ProfileLimits) -> Result<(), ProfileError> {
    let invalid = |message: String| Err(ProfileError::InvalidInput(message));
    if facts.is_empty() || facts.len() > MAX_ITEMS_PER_BATCH {
        return invalid(format!("send 1–{MAX_ITEMS_PER_BATCH} items at a time"));
    }
    let mut names = HashSet::new();
    for fact in facts {
        if !is_slug(&fact.field_name, 100) {
            return invalid(format!(
                "fieldName {:?} must be 1–100 characters of a–z, 0–9 and _",
                fact.field_name
            ));
        }
        if !names.insert(fact.field_name.as_str()) {
            return invalid(format!(
                "fieldName {:?} appears twice in one batch",
                fact.field_name
            ));
        }
        if !is_slug(&fact.category, 50) {
            return invalid(format!(
                "category {:?} must be 1–50 characters of a–z, 0–9 and _",
                fact.category
            ));
        }
        if !(0.0..=1.0).contains(&fact.confidence) {
            return invalid("confidence must be between 0 and 1".into());
        }
        if !SOURCES.contains(&fact.source.as_str()) {
            return invalid(format!("source must be one of {}", SOURCES.join(", ")));
        }
        if fact.value.is_null() || fact.value.to_string().len() > limits.max_value_bytes {
            return invalid(format!(
                "fieldValue of {:?} must be non-null JSON of at most {} bytes",
                fact.field_name, limits.max_value_bytes
            ));
        }
        if fact
            .app_context
            .as_ref()
            .is_some_and(|app| app.is_empty() || app.len() > 64)
        {
            return invalid("appContext must be 1–64 characters".into());
        }
    }
    Ok(())
}

/// Refuses a batch that would take the user past `max_facts`. Callers run it in a transaction that
/// has locked the user's row (see [`lock_user`]), so parallel batches cannot both pass.
fn ensure_room(kept: u64, adding: usize, limits: &ProfileLimits) -> Result<(), ProfileError> {
    if kept + adding as u64 > limits.max_facts {
        return Err(ProfileError::InvalidInput(format!(
            "at most {} facts can be stored; delete some first",
            limits.max_facts
        )));
    }
    Ok(())
}

/// Takes the user's row lock for the rest of the transaction (a no-op write), serialising the
/// count-then-insert of caps per user on every backend.
pub async fn lock_user<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> Result<(), ProfileError> {
    use fairydust_entities::users;
    users::Entity::update_many()
        .col_expr(
            users::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The two tables of facts — about the user, about one of their people — stored and capped alike:
/// one row per (owner, field name), and all of a user's facts counted against one `max_facts`.
trait FactTable: EntityTrait {
    type Row: ActiveModelTrait<Entity = Self> + ActiveModelBehavior + Send;
    /// Whose facts: the user, or the person.
    const OWNER: Self::Column;
    /// The user the facts count against.
    const USER: Self::Column;
    const FIELD_NAME: Self::Column;
    /// What a repeated field name replaces.
    const REPLACED: &'static [Self::Column];

    fn row(user_id: Uuid, owner_id: Uuid, fact: &Fact, at: DateTimeUtc) -> Self::Row;
}

impl FactTable for user_profile_data::Entity {
    type Row = user_profile_data::ActiveModel;
    const OWNER: Self::Column = user_profile_data::Column::UserId;
    const USER: Self::Column = user_profile_data::Column::UserId;
    const FIELD_NAME: Self::Column = user_profile_data::Column::FieldName;
    const REPLACED: &'static [Self::Column] = &[
        user_profile_data::Column::Category,
        user_profile_data::Column::FieldValue,
        user_profile_data::Column::Confidence,
        user_profile_data::Column::Source,
        user_profile_data::Column::AppContext,
        user_profile_data::Column::UpdatedAt,
    ];

    fn row(user_id: Uuid, _: Uuid, fact: &Fact, at: DateTimeUtc) -> Self::Row {
        user_profile_data::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            category: Set(fact.category.clone()),
            field_name: Set(fact.field_name.clone()),
            field_value: Set(fact.value.clone()),
            confidence: Set(fact.confidence),
            source: Set(fact.source.clone()),
            app_context: Set(fact.app_context.clone()),
            created_at: Set(at),
            updated_at: Set(at),
        }
    }
}

impl FactTable for person_profile_data::Entity {
    type Row = person_profile_data::ActiveModel;
    const OWNER: Self::Column = person_profile_data::Column::PersonId;
    const USER: Self::Column = person_profile_data::Column::UserId;
    const FIELD_NAME: Self::Column = person_profile_data::Column::FieldName;
    const REPLACED: &'static [Self::Column] = &[
        person_profile_data::Column::Category,
        person_profile_data::Column::FieldValue,
        person_profile_data::Column::Confidence,
        person_profile_data::Column::Source,
        person_profile_data::Column::UpdatedAt,
    ];

    fn row(user_id: Uuid, person_id: Uuid, fact: &Fact, at: DateTimeUtc) -> Self::Row {
        person_profile_data::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(person_id),
            user_id: Set(user_id),
            category: Set(fact.category.clone()),
            field_name: Set(fact.field_name.clone()),
            field_value: Set(fact.value.clone()),
            confidence: Set(fact.confidence),
            source: Set(fact.source.clone()),
            created_at: Set(at),
            updated_at: Set(at),
        }
    }
}

/// Validates, checks the cap, upserts in one statement and reads the stored rows back; call inside a
/// transaction that holds [`lock_user`].
async fn upsert<T: FactTable, C: ConnectionTrait>(
    conn: &C,
    limits: &ProfileLimits,
    user_id: Uuid,
    owner_id: Uuid,
    facts: &[Fact],
) -> Result<Vec<T::Model>, ProfileError>
where
    T::Model: Sync,
{
    validate(facts, limits)?;
    let names: Vec<String> = facts.iter().map(|fact| fact.field_name.clone()).collect();
    let replaced = Condition::all()
        .add(T::OWNER.eq(owner_id))
        .add(T::FIELD_NAME.is_in(names.clone()));
    let kept = T::find()
        .filter(T::USER.eq(user_id))
        .filter(replaced.not())
        .count(conn)
        .await?;
    ensure_room(kept, facts.len(), limits)?;
    let at = now();
    T::insert_many(facts.iter().map(|fact| T::row(user_id, owner_id, fact, at)))
        .on_conflict(
            OnConflict::columns([T::OWNER, T::FIELD_NAME])
                .update_columns(T::REPLACED.iter().copied())
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(T::find()
        .filter(T::OWNER.eq(owner_id))
        .filter(T::FIELD_NAME.is_in(names))
        .order_by_asc(T::FIELD_NAME)
        .all(conn)
        .await?)
}

/// Upserts the user's facts; call inside a transaction that holds [`lock_user`].
pub async fn upsert_for_user<C: ConnectionTrait>(
    conn: &C,
    limits: &ProfileLimits,
    user_id: Uuid,
    facts: &[Fact],
) -> Result<Vec<user_profile_data::Model>, ProfileError> {
    upsert::<user_profile_data::Entity, C>(conn, limits, user_id, user_id, facts).await
}

/// Upserts facts about a person, who must already be known to belong to `user_id`; call inside a
/// transaction that holds [`lock_user`]. All the user's people share one `max_facts`.
pub async fn upsert_for_person<C: ConnectionTrait>(
    conn: &C,
    limits: &ProfileLimits,
    user_id: Uuid,
    person_id: Uuid,
    facts: &[Fact],
) -> Result<Vec<person_profile_data::Model>, ProfileError> {
    upsert::<person_profile_data::Entity, C>(conn, limits, user_id, person_id, facts).await
}

pub async fn list_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    category: Option<&str>,
) -> Result<Vec<user_profile_data::Model>, ProfileError> {
    use user_profile_data::Column as C;
    let mut query = user_profile_data::Entity::find().filter(C::UserId.eq(user_id));
    if let Some(category) = category {
        query = query.filter(C::Category.eq(category));
    }
    Ok(query
        .order_by_asc(C::Category)
        .order_by_asc(C::FieldName)
        .all(conn)
        .await?)
}

/// Returns whether a fact was deleted.
pub async fn delete_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    field_name: &str,
) -> Result<bool, ProfileError> {
    use user_profile_data::Column as C;
    let deleted = user_profile_data::Entity::delete_many()
        .filter(C::UserId.eq(user_id))
        .filter(C::FieldName.eq(field_name))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}
