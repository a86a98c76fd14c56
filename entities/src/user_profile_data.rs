use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One progressive-profiling fact about the user; unique per (user, field_name).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_profile_data")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub category: String,
    pub field_name: String,
    pub field_value: Json,
    /// 0–1.
    pub confidence: f64,
    /// user_input, inferred, question, migration or app.
    pub source: String,
    pub app_context: Option<String>,
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
}

impl ActiveModelBehavior for ActiveModel {}
