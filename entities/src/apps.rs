use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub builder_id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub description: String,
    pub category: AppCategory,
    pub icon_url: Option<String>,
    pub website_url: Option<String>,
    pub demo_url: Option<String>,
    pub callback_url: Option<String>,
    pub status: AppStatus,
    pub is_active: bool,
    pub admin_notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// The marketplace shelf an app is on, stored as text; a value outside this list fails the read.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AppCategory {
    #[sea_orm(string_value = "productivity")]
    Productivity,
    #[sea_orm(string_value = "entertainment")]
    Entertainment,
    #[sea_orm(string_value = "education")]
    Education,
    #[sea_orm(string_value = "business")]
    Business,
    #[sea_orm(string_value = "creative")]
    Creative,
    #[sea_orm(string_value = "utilities")]
    Utilities,
    #[sea_orm(string_value = "games")]
    Games,
    #[sea_orm(string_value = "lifestyle")]
    Lifestyle,
    #[sea_orm(string_value = "other")]
    Other,
}

/// Where an app stands in review. Stored as text; a value outside this list fails the read instead of
/// becoming a default.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "suspended")]
    Suspended,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::BuilderId",
        to = "super::users::Column::Id"
    )]
    Builder,
    #[sea_orm(has_many = "super::app_actions::Entity")]
    Actions,
    #[sea_orm(has_one = "super::app_model_configs::Entity")]
    ModelConfig,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Builder.def()
    }
}

impl Related<super::app_actions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actions.def()
    }
}

impl Related<super::app_model_configs::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ModelConfig.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
