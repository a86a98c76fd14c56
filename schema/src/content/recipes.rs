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
use crate::pagination::{Cursor, Order, keyset_query};
use crate::settings::ContentLimits;

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

/// Counts a write against the user's per-minute throttle.
pub async fn throttle_write(
    cache: &dyn crate::cache::Cache,
    limits: &ContentLimits,
    user_id: Uuid,
) -> Result<(), ContentError> {
    match crate::write_limits::hit(cache, limits, user_id).await? {
        Some(retry_after) => Err(ContentError::TooManyWrites { retry_after }),
        None => Ok(()),
    }
}

pub async fn save(
    db: &DatabaseConnection,
    cache: &dyn crate::cache::Cache,
    limits: &ContentLimits,
    user_id: Uuid,
    recipe: NewRecipe,
) -> Result<user_recipes::Model, ContentError> {
    throttle_write(cache, limits, user_id).await?;
    validate_content(&recipe.content)?;
    // Checked before the insert, not under a lock: parallel saves may pass the cap by a few, which
    // the write throttle bounds.
    if live_count(db, user_id).await? >= limits.max_recipes_per_user {
        return Err(too_many_recipes(limits.max_recipes_per_user));
    }
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

/// What a page of recipes reads besides the rows' small columns.
#[derive(Clone, Copy, Debug)]
pub struct PageReads {
    /// The total count of matching recipes (one more statement).
    pub total: bool,
    /// The Markdown content; without it the page is one statement and no content budget applies.
    pub content: bool,
}

/// A page of recipes, newest first. Returns the rows, the total (when asked) and whether the page was
/// cut short to stay within `content_budget` bytes of content (then there is a next page, even with
/// fewer rows than asked for). Rows read without content carry an empty `content`.
pub async fn page(
    db: &DatabaseConnection,
    user_id: Uuid,
    filter: &RecipeFilter,
    after: Option<Cursor>,
    limit: u64,
    reads: PageReads,
    content_budget: u64,
) -> Result<(Vec<user_recipes::Model>, i64, bool), ContentError> {
    use user_recipes::Column as C;
    let filtered = user_recipes::Entity::find().filter(filter.condition(user_id));
    let total = if reads.total {
        filtered.clone().count(db).await? as i64
    } else {
        0
    };
    let query =
        keyset_query(filtered, (C::CreatedAt, C::Id), Order::NewestFirst, after).limit(limit);
    if !reads.content {
        return Ok((without_content(query).all(db).await?, total, false));
    }
    let (rows, cut) = within_budget(db, query, content_budget).await?;
    Ok((rows, total, cut))
}

/// Every column but `content`, which reads as an empty string: a list that shows titles should not
/// pull up to the content budget of Markdown out of the database.
fn without_content(
    query: sea_orm::Select<user_recipes::Entity>,
) -> sea_orm::Select<user_recipes::Entity> {
    use sea_orm::{Iterable, QuerySelect};
    query
        .select_only()
        .columns(
            user_recipes::Column::iter()
                .filter(|column| !matches!(column, user_recipes::Column::Content)),
        )
        .column_as(Expr::cust("''"), "content")
}

/// The content of one recipe, for a row that was read without it.
pub async fn content_of(db: &DatabaseConnection, id: Uuid) -> Result<String, ContentError> {
    use user_recipes::Column as C;
    let content: Option<String> = user_recipes::Entity::find_by_id(id)
        .select_only()
        .column(C::Content)
        .into_tuple()
        .one(db)
        .await?;
    content.ok_or(ContentError::NotFound("Recipe"))
}

/// Runs `query` in two steps so that no more than about `budget` bytes of content are ever loaded:
/// first the ids and content lengths, then the rows that fit (at least one). Returns whether rows were
/// left out.
async fn within_budget(
    db: &DatabaseConnection,
    query: sea_orm::Select<user_recipes::Entity>,
    budget: u64,
) -> Result<(Vec<user_recipes::Model>, bool), ContentError> {
    use user_recipes::Column as C;
    let sizes: Vec<(Uuid, i64)> = query
        .clone()
        .select_only()
        .column(C::Id)
        // Bytes, as the budget counts them; `LENGTH` would count characters, scanning each text.
        .column_as(Expr::cust("CAST(OCTET_LENGTH(content) AS BIGINT)"), "size")
        .into_tuple()
        .all(db)
        .await?;
    let fitting = fitting_rows(sizes.iter().map(|(_, size)| *size), budget);
    let ids: Vec<Uuid> = sizes[..fitting].iter().map(|(id, _)| *id).collect();
    let mut rows = user_recipes::Entity::find()
        .filter(C::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok((rows, fitting < sizes.len()))
}

/// How many leading rows fit in `budget`; the first always does, whatever its size.
fn fitting_rows(sizes: impl Iterator<Item = i64>, budget: u64) -> usize {
    let mut used = 0u64;
    let mut count = 0;
    for size in sizes {
        used = used.saturating_add(u64::try_from(size).unwrap_or(0));
        if count > 0 && used > budget {
            break;
        }
        count += 1;
    }
    count
}

/// Live recipes the user keeps (tombstones do not count).
pub async fn live_count(db: &DatabaseConnection, user_id: Uuid) -> Result<u64, ContentError> {
    Ok(user_recipes::Entity::find()
        .filter(user_recipes::Column::UserId.eq(user_id))
        .filter(user_recipes::Column::DeletedAt.is_null())
        .count(db)
        .await?)
}

pub fn too_many_recipes(max: u64) -> ContentError {
    ContentError::InvalidInput(format!(
        "at most {max} recipes can be kept; delete some first"
    ))
}

/// Server-side changes since a moment (and past `after`, a position within them), including
/// tombstones, oldest first: at most `limit` rows and about `content_budget` bytes of content. Returns
/// whether more changes remain.
pub async fn changed_since(
    db: &DatabaseConnection,
    user_id: Uuid,
    since: Option<DateTime<Utc>>,
    after: Option<Cursor>,
    limit: u64,
    content_budget: u64,
) -> Result<(Vec<user_recipes::Model>, bool), ContentError> {
    use user_recipes::Column as C;
    let mut query = user_recipes::Entity::find().filter(C::UserId.eq(user_id));
    match since {
        Some(since) => query = query.filter(C::UpdatedAt.gt(since)),
        // A first sync needs no tombstones: the device never had those recipes.
        None => query = query.filter(C::DeletedAt.is_null()),
    }
    if let Some(after) = after {
        // The cursor's `created_at` holds the change's `updated_at` here.
        query = query.filter(after.beyond(C::UpdatedAt, C::Id, false));
    }
    let query = query
        .order_by_asc(C::UpdatedAt)
        .order_by_asc(C::Id)
        .limit(limit + 1);
    let (mut rows, cut) = within_budget(db, query, content_budget).await?;
    let more = cut || rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
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
    fn a_page_keeps_the_rows_that_fit_and_always_one() {
        assert_eq!(fitting_rows([10, 10, 10].into_iter(), 25), 2);
        assert_eq!(fitting_rows([10, 10, 10].into_iter(), 30), 3);
        assert_eq!(fitting_rows([50, 1].into_iter(), 25), 1);
        assert_eq!(fitting_rows(std::iter::empty(), 25), 0);
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
