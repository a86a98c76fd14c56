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
    pub category: String,
    pub icon_url: Option<String>,
    pub website_url: Option<String>,
    pub demo_url: Option<String>,
    pub callback_url: Option<String>,
    /// pending, approved, rejected or suspended.
    pub status: String,
    pub is_active: bool,
    pub admin_notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
