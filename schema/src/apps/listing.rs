//! The marketplace (approved, active apps) and a builder's own apps, newest first.

use fairydust_entities::apps::{self, AppCategory, AppStatus, Column};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::pagination::{Cursor, Order, keyset_page};

#[derive(Clone, Debug, Default)]
pub struct MarketFilter {
    pub category: Option<AppCategory>,
    /// Case-insensitive words matched against name and description.
    pub search: Option<String>,
    /// `None`: the public marketplace (approved and active). `Some(id)`: that builder's apps, any status.
    pub builder_id: Option<Uuid>,
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl MarketFilter {
    fn condition(&self) -> Condition {
        let mut condition = match self.builder_id {
            Some(builder) => Condition::all().add(Column::BuilderId.eq(builder)),
            None => Condition::all()
                .add(Column::Status.eq(AppStatus::Approved))
                .add(Column::IsActive.eq(true)),
        };
        if let Some(category) = &self.category {
            condition = condition.add(Column::Category.eq(*category));
        }
        if let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            for word in search.split_whitespace().take(5) {
                let pattern = like_pattern(word);
                condition = condition.add(
                    Condition::any()
                        .add(
                            Expr::expr(Func::lower(Expr::col(Column::Name)))
                                .like(sea_orm::sea_query::LikeExpr::new(&pattern).escape('\\')),
                        )
                        .add(
                            Expr::expr(Func::lower(Expr::col(Column::Description)))
                                .like(sea_orm::sea_query::LikeExpr::new(&pattern).escape('\\')),
                        ),
                );
            }
        }
        condition
    }
}

pub async fn page(
    db: &DatabaseConnection,
    filter: &MarketFilter,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<apps::Model>, i64), sea_orm::DbErr> {
    keyset_page(
        db,
        apps::Entity::find().filter(filter.condition()),
        (Column::CreatedAt, Column::Id),
        Order::NewestFirst,
        after,
        limit,
        with_total,
    )
    .await
}
