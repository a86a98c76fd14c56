use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A progressive-profiling question; its id is a readable slug.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "profiling_questions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub category: String,
    pub question_text: String,
    /// single_choice, multi_select, scale or text.
    pub question_type: String,
    pub profile_field: String,
    /// 1–10, higher first.
    pub priority: i32,
    pub options: Json,
    /// App slugs the question applies to; empty means every app.
    pub app_context: Json,
    pub min_app_uses: i32,
    pub dust_reward: i32,
    pub is_active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::question_responses::Entity")]
    Responses,
}

impl Related<super::question_responses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Responses.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
