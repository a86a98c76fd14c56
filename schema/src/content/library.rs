//! A user's stories: listing, favourites, deletion and totals.

use fairydust_entities::user_stories::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::ContentError;
use crate::pagination::{Cursor, Order, keyset_page};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, async_graphql::Enum)]
pub enum StorySort {
    #[default]
    Newest,
    Oldest,
}

#[derive(Clone, Debug, Default)]
pub struct StoryFilter {
    pub genre: Option<String>,
    pub favorites_only: bool,
}

impl StoryFilter {
    fn condition(&self, user_id: Uuid) -> Condition {
        let mut condition = Condition::all().add(Column::UserId.eq(user_id));
        if let Some(genre) = &self.genre {
            condition = condition.add(Column::Genre.eq(genre.as_str()));
        }
        if self.favorites_only {
            condition = condition.add(Column::IsFavorited.eq(true));
        }
        condition
    }
}

pub async fn page(
    db: &DatabaseConnection,
    user_id: Uuid,
    filter: &StoryFilter,
    sort: StorySort,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<user_stories::Model>, i64), ContentError> {
    let order = match sort {
        StorySort::Newest => Order::NewestFirst,
        StorySort::Oldest => Order::OldestFirst,
    };
    Ok(keyset_page(
        db,
        user_stories::Entity::find().filter(filter.condition(user_id)),
        (Column::CreatedAt, Column::Id),
        order,
        after,
        limit,
        with_total,
    )
    .await?)
}

/// The user's story; someone else's is NOT_FOUND (admins may read any).
pub async fn find(
    db: &DatabaseConnection,
    user_id: Uuid,
    id: Uuid,
    admin: bool,
) -> Result<user_stories::Model, ContentError> {
    let mut query = user_stories::Entity::find_by_id(id);
    if !admin {
        query = query.filter(Column::UserId.eq(user_id));
    }
    query.one(db).await?.ok_or(ContentError::NotFound("Story"))
}

pub async fn set_favorite(
    db: &DatabaseConnection,
    user_id: Uuid,
    id: Uuid,
    favorite: bool,
) -> Result<user_stories::Model, ContentError> {
    let changed = user_stories::Entity::update_many()
        .col_expr(Column::IsFavorited, Expr::value(favorite))
        .col_expr(Column::UpdatedAt, Expr::value(fairydust_entities::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec_with_returning(db)
        .await?;
    changed
        .into_iter()
        .next()
        .ok_or(ContentError::NotFound("Story"))
}

pub async fn delete(db: &DatabaseConnection, user_id: Uuid, id: Uuid) -> Result<(), ContentError> {
    let deleted = user_stories::Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ContentError::NotFound("Story"));
    }
    Ok(())
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoryStats {
    pub total: i64,
    pub favorites: i64,
    pub words: i64,
    pub dust_spent: i64,
    /// (genre, stories), most first.
    pub genres: Vec<(String, i64)>,
}

pub async fn stats(db: &DatabaseConnection, user_id: Uuid) -> Result<StoryStats, ContentError> {
    let rows: Vec<(String, i64, i64, i64, i64)> = user_stories::Entity::find()
        .select_only()
        .column(Column::Genre)
        .column_as(Expr::cust("COUNT(*)"), "stories")
        .column_as(
            Expr::cust(
                "CAST(COALESCE(SUM(CASE WHEN is_favorited THEN 1 ELSE 0 END), 0) AS BIGINT)",
            ),
            "favorites",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(word_count), 0) AS BIGINT)"),
            "words",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(dust_cost), 0) AS BIGINT)"),
            "dust",
        )
        .filter(Column::UserId.eq(user_id))
        .group_by(Column::Genre)
        .into_tuple()
        .all(db)
        .await?;
    let mut stats = StoryStats::default();
    for (genre, stories, favorites, words, dust) in rows {
        stats.total += stories;
        stats.favorites += favorites;
        stats.words += words;
        stats.dust_spent += dust;
        stats.genres.push((genre, stories));
    }
    stats
        .genres
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(stats)
}
