use sea_orm::entity::prelude::*;

/// One closed UTC day of an admin report (`report`: "platform", "llm"), computed once: rows of a day
/// that has closed no longer change, so the report reads this instead of the raw rows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub report: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    /// The day's figures in the report's own JSON shape.
    pub body: String,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
