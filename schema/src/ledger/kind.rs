//! What moved DUST: the domain uses the stored enum itself; the API shows it as `TransactionKind`.

use async_graphql::Enum;

pub use fairydust_entities::dust_transactions::{TransactionKind, TransactionStatus};

/// What moved DUST. Stored as lower-case text in `dust_transactions.type`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(
    name = "TransactionKind",
    remote = "fairydust_entities::dust_transactions::TransactionKind"
)]
pub enum ApiTransactionKind {
    Grant,
    Consume,
    Purchase,
    Refund,
    Reward,
    Adjustment,
}
