//! People in My Life: someone the user cares about, used to personalise stories and ideas.

use chrono::NaiveDate;
use fairydust_entities::{now, people_in_my_life, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use super::ProfileError;
use crate::identity::account_settings::AGE_RANGES;

/// Fields of a person; on update `None` leaves a field alone and `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub relationship: Option<Option<String>>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub age_range: Option<Option<String>>,
}

fn apply(
    mut person: people_in_my_life::ActiveModel,
    changes: PersonChanges,
) -> Result<people_in_my_life::ActiveModel, ProfileError> {
    let invalid = |message: &str| Err(ProfileError::InvalidInput(message.to_owned()));
    if let Some(name) = changes.name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return invalid("name must be 1–100 characters");
        }
        person.name = Set(name);
    }
    if let Some(relationship) = changes.relationship {
        let relationship = relationship
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if relationship
            .as_ref()
            .is_some_and(|r| r.chars().count() > 50)
        {
            return invalid("relationship must be at most 50 characters");
        }
        person.relationship = Set(relationship);
    }
    if let Some(birth_date) = changes.birth_date {
        if birth_date.is_some_and(|date| date > chrono::Utc::now().date_naive()) {
            return invalid("birthDate cannot be in the future");
        }
        person.birth_date = Set(birth_date);
    }
    if let Some(age_range) = changes.age_range {
        if age_range
            .as_ref()
            .is_some_and(|range| !AGE_RANGES.contains(&range.as_str()))
        {
            return invalid("ageRange is not one of the known ranges");
        }
        person.age_range = Set(age_range);
    }
    person.updated_at = Set(now());
    Ok(person)
}

pub async fn add(
    db: &DatabaseConnection,
    limits: &crate::settings::ProfileLimits,
    user_id: Uuid,
    changes: PersonChanges,
) -> Result<people_in_my_life::Model, ProfileError> {
    if changes.name.is_none() {
        return Err(ProfileError::InvalidInput("name is required".into()));
    }
    let txn = db.begin().await?;
    // Write first: lock the user's row so two concurrent adds cannot both pass the limit.
    users::Entity::update_many()
        .col_expr(users::Column::UpdatedAt, Expr::value(now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    let count = people_in_my_life::Entity::find()
        .filter(people_in_my_life::Column::UserId.eq(user_id))
        .count(&txn)
        .await?;
    if count >= limits.max_people {
        return Err(ProfileError::TooManyPeople(limits.max_people));
    }
    let at = now();
    let blank = people_in_my_life::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        name: Set(String::new()),
        relationship: Set(None),
        birth_date: Set(None),
        age_range: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let person = apply(blank, changes)?.insert(&txn).await?;
    txn.commit().await?;
    Ok(person)
}

/// The user's person with this id; someone else's is NOT_FOUND, never revealed.
pub async fn owned<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    person_id: Uuid,
) -> Result<people_in_my_life::Model, ProfileError> {
    people_in_my_life::Entity::find_by_id(person_id)
        .filter(people_in_my_life::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .ok_or(ProfileError::NotFound("Person"))
}

pub async fn update(
    db: &DatabaseConnection,
    user_id: Uuid,
    person_id: Uuid,
    changes: PersonChanges,
) -> Result<people_in_my_life::Model, ProfileError> {
    let person = owned(db, user_id, person_id).await?;
    Ok(apply(person.into_active_model(), changes)?
        .update(db)
        .await?)
}

pub async fn remove(
    db: &DatabaseConnection,
    user_id: Uuid,
    person_id: Uuid,
) -> Result<(), ProfileError> {
    let deleted = people_in_my_life::Entity::delete_many()
        .filter(people_in_my_life::Column::Id.eq(person_id))
        .filter(people_in_my_life::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ProfileError::NotFound("Person"));
    }
    Ok(())
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> Result<Vec<people_in_my_life::Model>, ProfileError> {
    Ok(people_in_my_life::Entity::find()
        .filter(people_in_my_life::Column::UserId.eq(user_id))
        .order_by_asc(people_in_my_life::Column::CreatedAt)
        .all(conn)
        .await?)
}
