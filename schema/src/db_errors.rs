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

/// Codes that mean "not now", not "never". PostgreSQL: admin_shutdown, crash_shutdown,
/// cannot_connect_now, and the two answers that ask for the transaction again, deadlock_detected and
/// serialization_failure. SQLite (extended codes): busy and locked — busy_timeout queues writers, but a
/// transaction that read before it writes gets SQLITE_BUSY_SNAPSHOT (517) at once when another
/// connection committed in between.
const TRY_AGAIN_CODES: &[&str] = &[
    "57P01", "57P02", "57P03", "40P01", "40001", "5", "6", "261", "262", "517", "773",
];

/// Whether the database could not be reached (pool exhausted or closed, connection lost, server
/// shutting down or starting up) or asked for the transaction to be run again (a deadlock, a
/// serialization failure), rather than refusing the statement: the request may succeed later.
pub fn is_unavailable(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            match &**cause {
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db
                    .code()
                    .is_some_and(|code| TRY_AGAIN_CODES.contains(&code.as_ref())),
                _ => false,
            }
        }
        _ => false,
    }
}
