use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Which LLM an app uses; the JSON columns hold validated, typed documents (see the llm domain).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "app_model_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub app_id: Uuid,
    pub primary_provider: String,
    pub primary_model: String,
    /// {temperature, max_tokens, top_p}
    pub primary_parameters: Json,
    /// [{provider, model, trigger, parameters}] in fallback order.
    pub fallback_models: Json,
    /// {per_request_max, daily_max, monthly_max} in USD.
    pub cost_limits: Json,
    /// {streaming_enabled, cache_responses, log_prompts}
    pub feature_flags: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::apps::Entity",
        from = "Column::AppId",
        to = "super::apps::Column::Id"
    )]
    App,
}

impl Related<super::apps::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::App.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
