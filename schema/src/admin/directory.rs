//! The user directory admins search: by fairyname, email or phone, by role and status, newest first.
//!
//! Search is a substring match (so a prefix matches too) with `%`, `_` and `\` escaped, so what the
//! admin types is matched literally. On PostgreSQL trigram indexes keep it fast at millions of users
//! (migration `m20261201_000001_admin_indexes`).

use fairydust_entities::users::{self, Column};
use sea_orm::sea_query::{ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use super::AdminError;
use super::error::invalid;
use crate::pagination::{Cursor, Order, keyset_page};

pub const MAX_SEARCH_CHARS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Neither builder nor admin.
    User,
    Builder,
    Admin,
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub search: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// `%text%` for LIKE … ESCAPE '\', with the wildcards of `text` matched literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn like(column: Column, pattern: &str) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::col(column).like(LikeExpr::new(pattern).escape('\\'))
}

impl UserFilter {
    pub fn condition(&self) -> Result<Condition, AdminError> {
        let mut condition = Condition::all().add(Column::IsSystem.eq(false));
        match self.role {
            Some(Role::Admin) => condition = condition.add(Column::IsAdmin.eq(true)),
            Some(Role::Builder) => condition = condition.add(Column::IsBuilder.eq(true)),
            Some(Role::User) => {
                condition = condition
                    .add(Column::IsAdmin.eq(false))
                    .add(Column::IsBuilder.eq(false))
            }
            None => {}
        }
        if let Some(active) = self.active {
            condition = condition.add(Column::IsActive.eq(active));
        }
        if let Some(search) = self.search.as_deref().map(str::trim) {
            if search.chars().count() > MAX_SEARCH_CHARS {
                return Err(invalid(format!(
                    "search must be at most {MAX_SEARCH_CHARS} characters"
                )));
            }
            if !search.is_empty() {
                // Fairynames and emails are stored lower-case, so lower-casing the term is enough
                // and the columns stay bare for their indexes.
                let pattern = contains_pattern(&search.to_lowercase());
                condition = condition.add(
                    Condition::any()
                        .add(like(Column::Fairyname, &pattern))
                        .add(like(Column::Email, &pattern))
                        .add(like(Column::Phone, &pattern)),
                );
            }
        }
        Ok(condition)
    }
}

/// Up to `limit` users after `after`, newest first, and the total matching when asked.
pub async fn page(
    db: &DatabaseConnection,
    filter: &UserFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<users::Model>, i64), AdminError> {
    let condition = filter.condition()?;
    Ok(keyset_page(
        db,
        users::Entity::find().filter(condition),
        (Column::CreatedAt, Column::Id),
        Order::NewestFirst,
        after,
        limit,
        with_total,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(contains_pattern("a_b%c\\d"), "%a\\_b\\%c\\\\d%");
    }
}
