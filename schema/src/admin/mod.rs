//! Administration: the audit trail every admin mutation writes.

pub mod audit;
