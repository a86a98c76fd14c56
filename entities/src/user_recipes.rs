use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A saved recipe. Deleted recipes stay as tombstones (`deleted_at`) so sync can report deletions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_recipes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub app_id: Uuid,
    /// The mobile app's own id for the recipe; unique per user.
    pub client_id: Option<String>,
    pub title: String,
    pub content: String,
    pub category: Option<String>,
    pub metadata: Json,
    pub is_favorited: bool,
    pub deleted_at: Option<DateTimeUtc>,
    /// When the recipe was last edited according to the device that edited it; the newer edit wins a
    /// sync. `updated_at` is the server's clock, which `changes since` follows.
    pub client_updated_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::apps::Entity",
        from = "Column::AppId",
        to = "super::apps::Column::Id"
    )]
    App,
}

impl ActiveModelBehavior for ActiveModel {}
