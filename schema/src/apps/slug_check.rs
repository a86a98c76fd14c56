//! Whether a slug can be had, for the builder's live preview while they type. `createApp` and
//! `updateApp` still decide for real (the unique constraint), so a race only costs a CONFLICT.

use fairydust_entities::apps;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::slug;

/// How many `-2`, `-3`, … candidates `create` tries for a derived slug; the suggestion looks as far.
pub const CANDIDATES: usize = 50;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    pub slug: String,
    pub valid: bool,
    /// Valid and not used by another app (`own_app` keeps its own slug).
    pub available: bool,
    /// The first free slug of `slug`, `slug-2`, `slug-3`, …: what `createApp` picks when the slug
    /// is derived from the name. For an invalid slug, its cleaned-up form when that is free.
    pub suggestion: Option<String>,
}

pub async fn availability<C: ConnectionTrait>(
    conn: &C,
    wanted: &str,
    own_app: Option<Uuid>,
) -> Result<Availability, sea_orm::DbErr> {
    let wanted = wanted.trim().to_owned();
    let valid = slug::is_valid(&wanted);
    let base = if valid {
        wanted.clone()
    } else {
        slug::from_name(&wanted)
    };
    if base.is_empty() {
        return Ok(Availability {
            slug: wanted,
            valid,
            available: false,
            suggestion: None,
        });
    }
    let candidates: Vec<String> = (1..=CANDIDATES)
        .map(|n| slug::candidate(&base, n))
        .collect();
    let mut taken = apps::Entity::find()
        .select_only()
        .column(apps::Column::Slug)
        .filter(apps::Column::Slug.is_in(candidates.iter().cloned()));
    if let Some(own) = own_app {
        taken = taken.filter(apps::Column::Id.ne(own));
    }
    let taken: Vec<String> = taken.into_tuple().all(conn).await?;
    let free = |candidate: &String| !taken.contains(candidate);
    Ok(Availability {
        available: valid && free(&wanted),
        suggestion: candidates.into_iter().find(free),
        slug: wanted,
        valid,
    })
}
