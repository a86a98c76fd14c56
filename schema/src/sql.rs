//! The few SQL expressions that differ between PostgreSQL and SQLite, for reports.

use sea_orm::DbBackend;

/// The UTC calendar day of `created_at` as `YYYY-MM-DD`.
pub fn day_of_created_at(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        // Timestamps are stored as RFC 3339 text in UTC: the day is the first ten characters.
        _ => "substr(created_at, 1, 10)",
    }
}

/// Σ cost_usd in micro-dollars, exactly: every stored cost has at most six decimals, so rounding each
/// one to an integer number of micro-dollars loses nothing (SQLite stores the text, read as REAL).
pub fn cost_micros_sum(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "CAST(COALESCE(SUM(ROUND(cost_usd * 1000000)), 0) AS BIGINT)",
        _ => "CAST(COALESCE(SUM(ROUND(CAST(cost_usd AS REAL) * 1000000)), 0) AS INTEGER)",
    }
}

/// [`cost_micros_sum`] over the rows an app reported with `logLlmUsage` only.
pub fn logged_cost_micros_sum(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "CAST(COALESCE(SUM(CASE WHEN source = 'logged' THEN ROUND(cost_usd * 1000000) ELSE 0 END), 0) AS BIGINT)"
        }
        _ => {
            "CAST(COALESCE(SUM(CASE WHEN source = 'logged' THEN ROUND(CAST(cost_usd AS REAL) * 1000000) ELSE 0 END), 0) AS INTEGER)"
        }
    }
}

/// Runs one aggregation that sorts or hashes many rows (the distinct users of a month) with room for
/// it in memory: PostgreSQL's default `work_mem` (4 MB) spills such a sort to disk, which doubled its
/// time at a million users. `SET LOCAL` ends with the transaction, so the pooled connection (or
/// PgBouncer in transaction mode) keeps its defaults.
pub async fn query_all_with_room(
    db: &sea_orm::DatabaseConnection,
    select: &sea_orm::sea_query::SelectStatement,
) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    if db.get_database_backend() != DbBackend::Postgres {
        return db.query_all(select).await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL work_mem = '64MB'")
        .await?;
    let rows = txn.query_all(select).await?;
    txn.commit().await?;
    Ok(rows)
}
