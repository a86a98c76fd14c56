use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Usd;

/// The price table: USD per one million tokens.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "llm_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider: String,
    #[sea_orm(unique)]
    pub model_id: String,
    pub input_usd_per_million: Usd,
    pub output_usd_per_million: Usd,
    pub is_active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
