//! Apps as admins see them: every status, by builder and search, with counts per status for the
//! review tabs. The public marketplace (`listing`) is separate and unchanged.

use fairydust_entities::apps::{self, AppStatus, Column};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Iterable, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::AppsError;
use crate::admin::directory::contains_pattern;
use crate::pagination::{Cursor, Order, keyset_page};

#[derive(Clone, Debug, Default)]
pub struct ReviewFilter {
    pub status: Option<AppStatus>,
    pub builder_id: Option<Uuid>,
    /// Matched as a substring of the name, slug or description, case-insensitively.
    pub search: Option<String>,
}

impl ReviewFilter {
    fn condition(&self, with_status: bool) -> Result<Condition, AppsError> {
        let mut condition = Condition::all();
        if with_status && let Some(status) = &self.status {
            condition = condition.add(Column::Status.eq(*status));
        }
        if let Some(builder) = self.builder_id {
            condition = condition.add(Column::BuilderId.eq(builder));
        }
        if let Some(search) = self.search.as_deref().map(str::trim) {
            if search.chars().count() > 100 {
                return Err(AppsError::InvalidInput(
                    "search must be at most 100 characters".into(),
                ));
            }
            if !search.is_empty() {
                let pattern = contains_pattern(&search.to_lowercase());
                let like = |column: Column| {
                    Expr::expr(Func::lower(Expr::col(column)))
                        .like(LikeExpr::new(&pattern).escape('\\'))
                };
                condition = condition.add(
                    Condition::any()
                        .add(like(Column::Name))
                        .add(like(Column::Slug))
                        .add(like(Column::Description)),
                );
            }
        }
        Ok(condition)
    }
}

pub async fn page(
    db: &DatabaseConnection,
    filter: &ReviewFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<apps::Model>, i64), AppsError> {
    let condition = filter.condition(true)?;
    Ok(keyset_page(
        db,
        apps::Entity::find().filter(condition),
        (Column::CreatedAt, Column::Id),
        Order::NewestFirst,
        after,
        limit,
        with_total,
    )
    .await?)
}

/// How many apps match the builder and search filters in each status (the status filter is ignored),
/// in one grouped query.
pub async fn status_counts(
    db: &DatabaseConnection,
    filter: &ReviewFilter,
) -> Result<Vec<(AppStatus, i64)>, AppsError> {
    let counted: Vec<(AppStatus, i64)> = apps::Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(filter.condition(false)?)
        .group_by(Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(AppStatus::iter()
        .map(|status| {
            let n = counted
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n);
            (status, n)
        })
        .collect())
}
