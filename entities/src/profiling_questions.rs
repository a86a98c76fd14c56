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
    pub question_type: QuestionType,
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

/// How a question is answered, stored as text in `profiling_questions.question_type`; a value outside
/// this list fails the read.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    #[sea_orm(string_value = "single_choice")]
    SingleChoice,
    #[sea_orm(string_value = "multi_select")]
    MultiSelect,
    #[sea_orm(string_value = "scale")]
    Scale,
    #[sea_orm(string_value = "text")]
    Text,
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
