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
    /// grant, consume, purchase, refund, reward or adjustment.
    #[sea_orm(column_name = "type")]
    pub kind: String,
    pub status: String,
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
