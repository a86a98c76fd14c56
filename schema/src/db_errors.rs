//! Recognising constraint violations, so services map them to client errors by constraint rather than
//! checking first and inserting second (which races).

use sea_orm::{DbErr, SqlErr};

/// A unique index, named the way each backend reports it: PostgreSQL by index name, SQLite by its
/// columns as `table.a, table.b`.
#[derive(Clone, Copy, Debug)]
pub struct UniqueKey {
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

impl UniqueKey {
    pub const fn new(postgres: &'static str, sqlite: &'static str) -> Self {
        Self { postgres, sqlite }
    }
}

pub fn violates_unique(error: &DbErr, key: UniqueKey) -> bool {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => {
            // PostgreSQL: `... violates unique constraint "uq_users_email"`;
            // SQLite: `UNIQUE constraint failed: users.email` (all columns, comma-separated).
            message.contains(&format!("\"{}\"", key.postgres))
                || message.trim_end().ends_with(key.sqlite)
        }
        _ => false,
    }
}

pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub fn is_foreign_key_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

/// Both backends put a CHECK constraint's name in the message.
pub fn violates_check(error: &DbErr, constraint: &str) -> bool {
    error.to_string().contains(constraint)
}
