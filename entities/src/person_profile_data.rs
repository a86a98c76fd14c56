use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One fact about a person in the user's life; unique per (person, field_name).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "person_profile_data")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub user_id: Uuid,
    pub category: String,
    pub field_name: String,
    pub field_value: Json,
    pub confidence: f64,
    pub source: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::people_in_my_life::Entity",
        from = "Column::PersonId",
        to = "super::people_in_my_life::Column::Id"
    )]
    Person,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
}

impl Related<super::people_in_my_life::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
