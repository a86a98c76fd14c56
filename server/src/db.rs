//! Database connections (PostgreSQL or the embedded SQLite file) and migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fairydust_migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};

/// Counts every SQL statement the connection runs (tests use it to prove that dataloaders batch).
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Any 64-bit number works as long as every replica uses the same one.
const MIGRATION_LOCK_KEY: i64 = 0x0FA1_D057;

/// How many connections a process holds, and how long a statement waits for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// Past it a request answers `SERVICE_UNAVAILABLE`: while the database is down, the pool keeps
    /// retrying until this deadline, so it is what "fail fast" means.
    pub acquire_timeout: Duration,
}

impl PoolSettings {
    /// For one-off commands (migrate, create-admin).
    pub const SMALL: PoolSettings = PoolSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(10),
    };
}

pub async fn connect(
    url: &str,
    pool: PoolSettings,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(pool.max_connections)
        .min_connections(1)
        .acquire_timeout(pool.acquire_timeout)
        .connect_timeout(pool.acquire_timeout.min(Duration::from_secs(5)))
        .sqlx_logging(false)
        // Pinging every connection on checkout doubles the round trips of a short query; only
        // connections idle long enough to have been dropped by a proxy or the server are tested.
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the single writer; busy_timeout makes writers queue instead of
        // failing with SQLITE_BUSY; NORMAL is durable with WAL except on power loss.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    }
    let mut db = Database::connect(options).await?;
    let counter = StatementCounter::default();
    let statements = counter.0.clone();
    db.set_metric_callback(move |info| {
        statements.fetch_add(1, Ordering::Relaxed);
        metrics::histogram!("db_statement_duration_seconds").record(info.elapsed.as_secs_f64());
        if info.failed {
            metrics::counter!("db_statement_failures_total").increment(1);
        }
    });
    Ok((db, counter))
}

/// Applies pending migrations. On PostgreSQL an advisory lock makes replicas that start together take
/// turns: the first migrates, the others then find nothing pending.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let lock = db.begin().await?;
            lock.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
            ))
            .await?;
            let result = Migrator::up(db, None).await;
            lock.commit().await?;
            result
        }
        _ => Migrator::up(db, None).await,
    }
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Connections in use and idle, for `/metrics`.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => (0, 0),
    }
}
