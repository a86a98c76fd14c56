use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub fairyname: String,
    /// Lower-cased; unique.
    #[sea_orm(unique)]
    pub email: Option<String>,
    /// E.164; unique.
    #[sea_orm(unique)]
    pub phone: Option<String>,
    pub is_builder: bool,
    pub is_admin: bool,
    pub is_active: bool,
    /// The seeded account that owns the first-party apps; it has no way in.
    pub is_system: bool,
    pub dust_balance: i32,
    pub first_name: Option<String>,
    pub birth_date: Option<Date>,
    pub age_range: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub avatar_url: Option<String>,
    pub streak_days: i32,
    pub last_daily_bonus_date: Option<Date>,
    pub last_daily_bonus_at: Option<DateTimeUtc>,
    pub total_profiling_sessions: i32,
    pub last_profiling_session_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::dust_transactions::Entity")]
    DustTransactions,
    #[sea_orm(has_many = "super::apps::Entity")]
    Apps,
}

impl Related<super::dust_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DustTransactions.def()
    }
}

impl Related<super::apps::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Apps.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
