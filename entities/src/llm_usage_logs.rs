use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Usd;

/// One LLM call attempt, successful or not, with its server-computed cost.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "llm_usage_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub app_id: Uuid,
    pub provider: String,
    pub model: String,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub total_tokens: i32,
    pub cost_usd: Usd,
    pub latency_ms: i32,
    pub finish_reason: Option<String>,
    pub was_fallback: bool,
    pub fallback_reason: Option<String>,
    pub action: Option<String>,
    pub success: bool,
    pub error: Option<String>,
    /// `gateway` (the server called the model) or `logged` (the app reported it with `logLlmUsage`).
    pub source: String,
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
