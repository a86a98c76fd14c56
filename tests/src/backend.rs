//! Per-test databases and cache prefixes.

use std::time::Duration;

use fairydust_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

const TEMPLATE_LOCK: i64 = 0x7E57_0001;

/// Runs a statement built at run time (database names cannot be bound as parameters).
async fn run(connection: &mut PgConnection, sql: String) -> Result<(), sea_orm::sqlx::Error> {
    sea_orm::sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(connection)
        .await
        .map(|_| ())
}

pub fn uses_postgres() -> bool {
    admin_url().is_some()
}

fn admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

pub fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

pub enum Backend {
    Postgres {
        admin_url: String,
        name: String,
        url: String,
        redis: Option<(String, String)>,
    },
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
        redis: Option<(String, String)>,
    },
}

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

impl Backend {
    pub async fn create() -> Backend {
        let redis = redis_url().map(|url| (url, format!("test:{}:", Uuid::new_v4().simple())));
        match admin_url() {
            Some(admin_url) => {
                let template = ensure_template(&admin_url).await;
                let name = format!("fdt_{}", Uuid::new_v4().simple());
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL answers");
                run(
                    &mut admin,
                    format!("CREATE DATABASE {name} TEMPLATE {template}"),
                )
                .await
                .expect("clone the template database");
                let _ = admin.close().await;
                let url = with_database(&admin_url, &name);
                Backend::Postgres {
                    admin_url,
                    name,
                    url,
                    redis,
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Backend::Sqlite {
                    _dir: dir,
                    url,
                    redis,
                }
            }
        }
    }

    pub fn database_url(&self) -> &str {
        match self {
            Backend::Postgres { url, .. } | Backend::Sqlite { url, .. } => url,
        }
    }

    pub fn redis(&self) -> Option<(&str, &str)> {
        match self {
            Backend::Postgres { redis, .. } | Backend::Sqlite { redis, .. } => redis
                .as_ref()
                .map(|(url, prefix)| (url.as_str(), prefix.as_str())),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Backend::Postgres { .. })
    }

    /// Runs the ledger audit (when asked) and drops the PostgreSQL database. Runs on its own thread and
    /// runtime because `Drop` cannot await.
    pub fn finish(&self, check_ledger: bool) -> Vec<String> {
        let url = self.database_url().to_owned();
        let drop_target = match self {
            Backend::Postgres {
                admin_url, name, ..
            } => Some((admin_url.clone(), name.clone())),
            Backend::Sqlite { .. } => None,
        };
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let problems = if check_ledger {
                    ledger_problems(&url).await
                } else {
                    Vec::new()
                };
                if let Some((admin_url, name)) = drop_target
                    && let Ok(mut admin) = PgConnection::connect(&admin_url).await
                {
                    let _ = run(
                        &mut admin,
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    )
                    .await;
                    let _ = admin.close().await;
                }
                problems
            })
        })
        .join()
        .unwrap_or_else(|_| vec!["the ledger audit thread panicked".to_owned()])
    }
}

/// Users whose balance differs from the sum of their transactions, or whose `balance_after` chain breaks.
async fn ledger_problems(url: &str) -> Vec<String> {
    let Ok(db) = sea_orm::Database::connect(url).await else {
        return vec![format!("cannot reach {url}")];
    };
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let sql = "SELECT u.id AS id, u.dust_balance AS balance, COALESCE(SUM(t.amount), 0) AS total \
               FROM users u LEFT JOIN dust_transactions t ON t.user_id = u.id \
               GROUP BY u.id, u.dust_balance HAVING u.dust_balance <> COALESCE(SUM(t.amount), 0)";
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_default();
    let mut problems: Vec<String> = rows
        .iter()
        .map(|row| {
            let balance: i32 = row.try_get("", "balance").unwrap_or_default();
            let total: i64 = row.try_get("", "total").unwrap_or_default();
            format!("balance {balance} but Σ transactions {total}")
        })
        .collect();
    let negative = "SELECT COUNT(*) AS n FROM users WHERE dust_balance < 0";
    if let Ok(Some(row)) = db
        .query_one_raw(Statement::from_string(backend, negative))
        .await
    {
        let n: i64 = row.try_get("", "n").unwrap_or_default();
        if n > 0 {
            problems.push(format!("{n} users with a negative balance"));
        }
    }
    let _ = db.close().await;
    problems
}

/// A migrated database to clone per test, named after the migrations' fingerprint so a changed
/// migration gets a fresh template. Built once per run under an advisory lock (tests run as parallel
/// processes).
/// The migrations compiled into this binary, by name. The build fingerprint covers their sources,
/// but a build script's cached output can miss a file added in another checkout sharing the server:
/// the names are read at run time, so two migration sets never share a template.
fn migration_names_hash() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for migration in Migrator::migrations() {
        migration.name().hash(&mut hasher);
    }
    hasher.finish()
}

async fn ensure_template(admin_url: &str) -> String {
    let template = format!(
        "fairydust_tpl_{}_{:016x}",
        env!("MIGRATIONS_FINGERPRINT"),
        migration_names_hash()
    );
    let mut admin = PgConnection::connect(admin_url)
        .await
        .expect("TEST_DATABASE_URL answers");
    run(
        &mut admin,
        format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"),
    )
    .await
    .expect("template lock");
    let exists = sea_orm::sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut admin)
        .await
        .expect("pg_database readable")
        .is_some();
    if !exists {
        // Older templates are left in place: another checkout (a second worktree, CI beside a
        // developer) may be cloning from one right now, and dropping it would fail its tests.
        let building = format!("{template}_building");
        let _ = run(
            &mut admin,
            format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        )
        .await;
        run(&mut admin, format!("CREATE DATABASE {building}"))
            .await
            .expect("create template");
        let db = sea_orm::Database::connect(with_database(admin_url, &building))
            .await
            .expect("template connects");
        Migrator::up(&db, None)
            .await
            .expect("migrations apply to the template");
        db.close().await.expect("template connections close");
        wait_until_unused(&mut admin, &building).await;
        run(
            &mut admin,
            format!("ALTER DATABASE {building} RENAME TO {template}"),
        )
        .await
        .expect("publish template");
    }
    let _ = run(
        &mut admin,
        format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"),
    )
    .await;
    let _ = admin.close().await;
    template
}

/// A database can be renamed only once nobody is connected; the server notices closed pool
/// connections a moment after the client closed them, so ask it rather than guess how long.
async fn wait_until_unused(admin: &mut PgConnection, database: &str) {
    for _ in 0..500 {
        let (connected,): (i64,) =
            sea_orm::sqlx::query_as("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
                .bind(database)
                .fetch_one(&mut *admin)
                .await
                .expect("pg_stat_activity readable");
        if connected == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("connections to {database} did not end");
}

/// An empty PostgreSQL database (no migrations), dropped when the value is.
pub struct EmptyPostgres {
    pub url: String,
    admin_url: String,
    name: String,
}

impl EmptyPostgres {
    pub async fn create() -> EmptyPostgres {
        let admin_url = admin_url().expect("TEST_DATABASE_URL is set");
        let name = format!("fdt_empty_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL answers");
        run(&mut admin, format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        let _ = admin.close().await;
        EmptyPostgres {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        }
    }
}

impl Drop for EmptyPostgres {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = run(
                        &mut admin,
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    )
                    .await;
                }
            });
        })
        .join();
    }
}
