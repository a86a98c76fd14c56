use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One change of a user's DUST balance. Σ amount over a user's rows equals `users.dust_balance`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dust_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// Signed, never 0: negative for consume and negative adjustments.
    pub amount: i32,
    pub balance_after: i32,
    #[sea_orm(column_name = "type")]
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    pub app_id: Option<Uuid>,
    pub action: Option<String>,
    pub quantity: Option<i32>,
    pub description: Option<String>,
    pub idempotency_key: Option<String>,
    /// Fingerprint of the request that used the idempotency key, to tell a replay from a reuse.
    pub request_hash: Option<String>,
    /// For a refund: the consume it reverses (unique among refunds).
    pub reference_id: Option<Uuid>,
    /// For a purchase: the payment provider's id (unique among purchases).
    pub payment_id: Option<String>,
    pub payment_amount_cents: Option<i32>,
    /// The admin who acted, taken from the token.
    pub actor_id: Option<Uuid>,
    pub metadata: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// What moved DUST, stored as text in `dust_transactions.type`; a value outside this list fails the read.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    #[sea_orm(string_value = "grant")]
    Grant,
    #[sea_orm(string_value = "consume")]
    Consume,
    #[sea_orm(string_value = "purchase")]
    Purchase,
    #[sea_orm(string_value = "refund")]
    Refund,
    #[sea_orm(string_value = "reward")]
    Reward,
    #[sea_orm(string_value = "adjustment")]
    Adjustment,
}

/// A posted transaction is final; the column leaves room for payment flows that settle later.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum TransactionStatus {
    #[sea_orm(string_value = "completed")]
    Completed,
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::apps::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::App.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
