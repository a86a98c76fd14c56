//! The DUST ledger (ARCHITECTURE §5): integer amounts, one database transaction per change, a balance
//! that never goes negative and always equals the sum of the user's transactions.

pub mod admin_ops;
pub mod app_reports;
pub mod audit;
pub mod consume;
mod error;
pub mod events;
pub mod graphql;
pub mod holds;
mod kind;
pub mod posting;
pub mod refunds;
pub mod reports;

use fairydust_entities::users;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use uuid::Uuid;

pub use error::LedgerError;
pub use kind::{ApiTransactionKind, TransactionKind, TransactionStatus};
pub use posting::{Entry, post};

/// DUST every new user starts with.
pub const WELCOME_BONUS: i32 = 25;

pub async fn balance_of<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> Result<i32, LedgerError> {
    users::Entity::find_by_id(user_id)
        .select_only()
        .column(users::Column::DustBalance)
        .into_tuple::<i32>()
        .one(conn)
        .await?
        .ok_or(LedgerError::UserNotFound)
}
