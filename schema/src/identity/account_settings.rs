//! What users change about their own account: names, personal details, contact addresses.

use chrono::NaiveDate;
use fairydust_entities::{now, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel,
};
use uuid::Uuid;

use super::accounts::UNIQUE_FAIRYNAME;
use super::{IdentityError, fairyname};
use crate::db_errors::violates_unique;

pub const AGE_RANGES: [&str; 7] = [
    "under_13", "13_17", "18_24", "25_34", "35_44", "45_64", "65_plus",
];

/// A partial update: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct AccountChanges {
    pub fairyname: Option<String>,
    pub first_name: Option<Option<String>>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub age_range: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
}

fn bounded(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, IdentityError> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match &value {
        Some(v) if v.chars().count() > max => Err(IdentityError::InvalidInput(format!(
            "{field} must be at most {max} characters"
        ))),
        _ => Ok(value),
    }
}

pub async fn update_account(
    db: &DatabaseConnection,
    user_id: Uuid,
    changes: AccountChanges,
) -> Result<users::Model, IdentityError> {
    let user = users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
    let mut active = user.into_active_model();
    if let Some(name) = changes.fairyname {
        let name = name.trim().to_owned();
        if !fairyname::is_valid(&name) {
            return Err(IdentityError::InvalidInput(
                "fairyname must be 3–50 characters of a–z, 0–9 and _".into(),
            ));
        }
        active.fairyname = Set(name);
    }
    if let Some(first_name) = changes.first_name {
        active.first_name = Set(bounded("firstName", first_name, 100)?);
    }
    if let Some(birth_date) = changes.birth_date {
        if let Some(date) = birth_date {
            let today = chrono::Utc::now().date_naive();
            if date > today || date < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date") {
                return Err(IdentityError::InvalidInput(
                    "birthDate must be between 1900-01-01 and today".into(),
                ));
            }
        }
        active.birth_date = Set(birth_date);
    }
    if let Some(age_range) = changes.age_range {
        if let Some(range) = &age_range
            && !AGE_RANGES.contains(&range.as_str())
        {
            return Err(IdentityError::InvalidInput(format!(
                "ageRange must be one of {}",
                AGE_RANGES.join(", ")
            )));
        }
        active.age_range = Set(age_range);
    }
    if let Some(city) = changes.city {
        active.city = Set(bounded("city", city, 100)?);
    }
    if let Some(country) = changes.country {
        active.country = Set(bounded("country", country, 100)?);
    }
    if let Some(avatar_url) = changes.avatar_url {
        let avatar_url = bounded("avatarUrl", avatar_url, 2048)?;
        if let Some(url) = &avatar_url {
            crate::validation::http_url("avatarUrl", url).map_err(IdentityError::InvalidInput)?;
        }
        active.avatar_url = Set(avatar_url);
    }
    active.updated_at = Set(now());
    match active.update(db).await {
        Ok(user) => Ok(user),
        Err(error) if violates_unique(&error, UNIQUE_FAIRYNAME) => {
            Err(IdentityError::FairynameTaken)
        }
        Err(error) => Err(error.into()),
    }
}
