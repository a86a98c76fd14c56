use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Someone the user cares about, used to personalise generated content (≤ 50 per user).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "people_in_my_life")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub relationship: Option<String>,
    pub birth_date: Option<Date>,
    pub age_range: Option<String>,
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
    #[sea_orm(has_many = "super::person_profile_data::Entity")]
    ProfileData,
}

impl Related<super::person_profile_data::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProfileData.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
