//! The DUST ledger (DESIGN §3 Ledger): integer amounts, one database transaction per change, a balance
//! that never goes negative and always equals the sum of the user's transactions.

mod error;
mod kind;
pub mod posting;

pub use error::LedgerError;
pub use kind::TransactionKind;
pub use posting::{Entry, post};

/// DUST every new user starts with.
pub const WELCOME_BONUS: i32 = 25;
