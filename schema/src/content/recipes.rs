//! Saved recipes: create, edit, favourite, delete (as a tombstone, so other devices learn of it), list.

use chrono::{DateTime, Utc};
use fairydust_entities::{now, user_recipes};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use super::ContentError;
use crate::pagination::Cursor;

pub const MAX_CONTENT_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_TITLE_CHARS: usize = 500;
const MAX_METADATA_BYTES: usize = 64 * 1024;
const COMPLEXITIES: [&str; 3] = ["Simple", "Medium", "Gourmet"];

/// The title a recipe gets when none is given: its first line — a heading without `#`, bold text
/// without `**`, or else the line itself, cut to 100 characters with "..." when longer.
pub fn derive_title(content: &str) -> String {
    let line = content
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("");
    if line.starts_with('#') {
        return line.trim_start_matches('#').trim().to_owned();
    }
    if let Some(bold) = line
        .strip_prefix("**")
        .and_then(|rest| rest.split("**").next())
        && !bold.trim().is_empty()
    {
        return bold.trim().to_owned();
    }
    if line.chars().count() > 100 {
        format!("{}...", line.chars().take(100).collect::<String>())
    } else {
        line.to_owned()
    }
}

pub fn validate_content(content: &str) -> Result<(), ContentError> {
    if content.trim().is_empty() || content.len() > MAX_CONTENT_BYTES {
        return Err(ContentError::InvalidInput(
            "content must be non-empty and at most 10 MB".into(),
        ));
    }
    Ok(())
}

pub fn title_or_derived(title: Option<&str>, content: &str) -> Result<String, ContentError> {
    let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(title) => title.to_owned(),
        None => derive_title(content),
    };
    if title.is_empty() {
        return Ok("Untitled recipe".to_owned());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(ContentError::InvalidInput(format!(
            "title must be at most {MAX_TITLE_CHARS} characters"
        )));
    }
    Ok(title)
}

pub fn validate_metadata(metadata: &Value) -> Result<(), ContentError> {
    if !metadata.is_object() || metadata.to_string().len() > MAX_METADATA_BYTES {
        return Err(ContentError::InvalidInput(
            "metadata must be a JSON object of at most 64 KB".into(),
        ));
    }
    if let Some(complexity) = metadata.get("complexity")
        && !complexity
            .as_str()
            .is_some_and(|c| COMPLEXITIES.contains(&c))
    {
        return Err(ContentError::InvalidInput(
            "metadata.complexity must be Simple, Medium or Gourmet".into(),
        ));
    }
    Ok(())
}

pub fn validate_category(category: Option<&str>) -> Result<Option<String>, ContentError> {
    match category.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if c.chars().count() > 100 => Err(ContentError::InvalidInput(
            "category must be at most 100 characters".into(),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

#[derive(Clone, Debug)]
pub struct NewRecipe {
    pub app_id: Uuid,
    pub title: Option<String>,
    pub content: String,
    pub category: Option<String>,
    pub metadata: Option<Value>,
    pub is_favorited: bool,
}

pub async fn save(
    db: &DatabaseConnection,
    user_id: Uuid,
    recipe: NewRecipe,
) -> Result<user_recipes::Model, ContentError> {
    validate_content(&recipe.content)?;
    let metadata = recipe.metadata.unwrap_or_else(|| serde_json::json!({}));
    validate_metadata(&metadata)?;
    let at = now();
    let row = user_recipes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        app_id: Set(recipe.app_id),
        client_id: Set(None),
        title: Set(title_or_derived(recipe.title.as_deref(), &recipe.content)?),
        category: Set(validate_category(recipe.category.as_deref())?),
        content: Set(recipe.content),
        metadata: Set(metadata),
        is_favorited: Set(recipe.is_favorited),
        deleted_at: Set(None),
        client_updated_at: Set(at),
        created_at: Set(at),
        updated_at: Set(at),
    };
    Ok(row.insert(db).await?)
}

/// The user's live recipe; someone else's (or a deleted one) is NOT_FOUND. Admins may read any.
pub async fn find(
    db: &DatabaseConnection,
    user_id: Uuid,
    id: Uuid,
    admin: bool,
) -> Result<user_recipes::Model, ContentError> {
    let mut query =
        user_recipes::Entity::find_by_id(id).filter(user_recipes::Column::DeletedAt.is_null());
    if !admin {
        query = query.filter(user_recipes::Column::UserId.eq(user_id));
    }
    query.one(db).await?.ok_or(ContentError::NotFound("Recipe"))
}

#[derive(Clone, Debug, Default)]
pub struct RecipeChanges {
    pub title: Option<String>,
    pub content: Option<String>,
    pub metadata: Option<Value>,
    pub is_favorited: Option<bool>,
}

pub async fn update(
    db: &DatabaseConnection,
    user_id: Uuid,
    id: Uuid,
    changes: RecipeChanges,
) -> Result<user_recipes::Model, ContentError> {
    let recipe = find(db, user_id, id, false).await?;
    let mut active = recipe.into_active_model();
    if let Some(content) = &changes.content {
        validate_content(content)?;
        active.content = Set(content.clone());
    }
    if let Some(title) = &changes.title {
        let content = changes.content.as_deref().unwrap_or("");
        active.title = Set(title_or_derived(Some(title), content)?);
    }
    if let Some(metadata) = changes.metadata {
        validate_metadata(&metadata)?;
        active.metadata = Set(metadata);
    }
    if let Some(favorited) = changes.is_favorited {
        active.is_favorited = Set(favorited);
    }
    let at = now();
    active.updated_at = Set(at);
    active.client_updated_at = Set(at);
    Ok(active.update(db).await?)
}

/// Leaves a tombstone (content dropped) so devices learn of the deletion at their next sync.
pub async fn delete(db: &DatabaseConnection, user_id: Uuid, id: Uuid) -> Result<(), ContentError> {
    let recipe = find(db, user_id, id, false).await?;
    let at = now();
    let mut active = recipe.into_active_model();
    active.deleted_at = Set(Some(at));
    active.content = Set(String::new());
    active.updated_at = Set(at);
    active.client_updated_at = Set(at);
    active.update(db).await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct RecipeFilter {
    pub app_id: Option<Uuid>,
    pub favorites_only: bool,
    /// Case-insensitive text within the title.
    pub search: Option<String>,
}

impl RecipeFilter {
    fn condition(&self, user_id: Uuid) -> Condition {
        use user_recipes::Column as C;
        let mut condition = Condition::all()
            .add(C::UserId.eq(user_id))
            .add(C::DeletedAt.is_null());
        if let Some(app_id) = self.app_id {
            condition = condition.add(C::AppId.eq(app_id));
        }
        if self.favorites_only {
            condition = condition.add(C::IsFavorited.eq(true));
        }
        if let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let escaped = search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            condition = condition.add(
                Expr::expr(Func::lower(Expr::col(C::Title)))
                    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
            );
        }
        condition
    }
}

pub async fn page(
    db: &DatabaseConnection,
    user_id: Uuid,
    filter: &RecipeFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<user_recipes::Model>, i64), ContentError> {
    use user_recipes::Column as C;
    let mut query = user_recipes::Entity::find().filter(filter.condition(user_id));
    if let Some(cursor) = after {
        query = query.filter(cursor.beyond(C::CreatedAt, C::Id, true));
    }
    let rows = query
        .order_by_desc(C::CreatedAt)
        .order_by_desc(C::Id)
        .limit(limit)
        .all(db)
        .await?;
    let total = if with_total {
        user_recipes::Entity::find()
            .filter(filter.condition(user_id))
            .count(db)
            .await? as i64
    } else {
        0
    };
    Ok((rows, total))
}

/// Server-side changes since a moment, including tombstones, oldest first.
pub async fn changed_since(
    db: &DatabaseConnection,
    user_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<user_recipes::Model>, ContentError> {
    use user_recipes::Column as C;
    let mut query = user_recipes::Entity::find().filter(C::UserId.eq(user_id));
    match since {
        Some(since) => query = query.filter(C::UpdatedAt.gt(since)),
        // A first sync needs no tombstones: the device never had those recipes.
        None => query = query.filter(C::DeletedAt.is_null()),
    }
    Ok(query
        .order_by_asc(C::UpdatedAt)
        .order_by_asc(C::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(derive_title("# Lemon Tart\n\nButter..."), "Lemon Tart");
        assert_eq!(derive_title("\n\n### Soup ###  \nx"), "Soup ###");
        assert_eq!(derive_title("**Pancakes** for two\nflour"), "Pancakes");
        assert_eq!(derive_title("Just some text"), "Just some text");
        let long = "x".repeat(150);
        assert_eq!(derive_title(&long), format!("{}...", "x".repeat(100)));
        assert_eq!(title_or_derived(None, "   ").unwrap(), "Untitled recipe");
        assert_eq!(
            title_or_derived(Some("  Mine "), "# Other").unwrap(),
            "Mine"
        );
    }

    #[test]
    fn metadata_is_checked() {
        assert!(
            validate_metadata(&serde_json::json!({ "complexity": "Gourmet", "dish": "tart" }))
                .is_ok()
        );
        assert!(validate_metadata(&serde_json::json!({ "complexity": "Hard" })).is_err());
        assert!(validate_metadata(&serde_json::json!([1, 2])).is_err());
    }
}
