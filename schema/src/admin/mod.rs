//! Administration: the audit trail every admin mutation writes, and the admin API — the user
//! directory and account actions, the platform-wide ledger and audit log, statistics and CSV exports.

pub mod accounts;
pub mod activity;
pub mod audit;
pub mod audit_log;
mod circulation;
pub mod directory;
mod error;
pub mod export;
pub mod graphql;
pub mod stats;
pub mod transactions;

pub use error::AdminError;
