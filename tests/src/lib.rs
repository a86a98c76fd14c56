//! The test harness: the real server in-process on an ephemeral port.
//!
//! Backends: a fresh PostgreSQL database per test (cloned from a migrated template) plus Redis under a
//! unique key prefix when `TEST_DATABASE_URL` / `TEST_REDIS_URL` are set; otherwise a temporary SQLite
//! file and the in-process cache. Every test ends with the ledger audit: Σ transactions = balance.

mod apps;
mod backend;
mod graphql;
mod llm;
mod oauth;
mod providers;
mod sign_in;
mod throwaway_redis;
mod users;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Once};

use fairydust_server::app::{self, App};
use fairydust_server::config::Config;
use fairydust_server::db::StatementCounter;
use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

pub use backend::{Backend, EmptyPostgres, redis_url, uses_postgres};
pub use graphql::Gql;
pub use llm::{
    ANTHROPIC_KEY, ANTHROPIC_PATH, MockLlm, OPENAI_KEY, OPENAI_PATH, anthropic_answer,
    openai_answer,
};
pub use oauth::{
    APPLE_CLIENT_ID, FACEBOOK_APP_ID, GOOGLE_CLIENT_ID, MockIdentityProvider, TEST_NONCE,
};
pub use providers::{MockProviders, TWILIO_SID};
pub use throwaway_redis::ThrowawayRedis;
pub use users::TestUser;

pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// A running server and handles into its database.
pub struct TestApp {
    /// Resend and Twilio stand-ins the server sends codes to.
    pub providers: Arc<MockProviders>,
    pub address: SocketAddr,
    pub base_url: String,
    pub app: App,
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    pub http: reqwest::Client,
    backend: Arc<Backend>,
    shutdown: Option<oneshot::Sender<()>>,
    /// Only the first instance on a backend cleans it up.
    owns_backend: bool,
}

/// Configuration overrides for one test (any variable of README's table).
#[derive(Default, Clone)]
pub struct Overrides(HashMap<String, String>);

impl Overrides {
    pub fn set(mut self, key: &str, value: impl Into<String>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }
}

pub fn init_test_process() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Overrides::default()).await
    }

    pub async fn spawn_with(overrides: Overrides) -> TestApp {
        init_test_process();
        let providers = Arc::new(MockProviders::start().await);
        let backend = Arc::new(Backend::create().await);
        let mut settings = providers.overrides();
        settings.0.extend(providers.identity.overrides().0);
        settings.0.extend(providers.llm.overrides().0);
        settings.0.extend(overrides.0);
        let config = test_config(&backend, &settings);
        let app = app::build(config)
            .await
            .expect("the app builds against the test backend");
        Self::start(app, backend, providers, true).await
    }

    /// A second server on the same database and cache, as another replica would be.
    pub async fn spawn_replica(&self) -> TestApp {
        let config = (*self.app.state.config).clone();
        let cache = app::connect_cache(&config)
            .await
            .expect("replica cache connects");
        let (db, statements) =
            fairydust_server::db::connect(config.database_url.expose(), config.database_pool())
                .await
                .expect("replica database connects");
        let app = app::assemble(config, db, statements, cache_for_replica(self, cache));
        Self::start(app, self.backend.clone(), self.providers.clone(), false).await
    }

    async fn start(
        app: App,
        backend: Arc<Backend>,
        providers: Arc<MockProviders>,
        owns_backend: bool,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("an ephemeral port");
        let address = listener.local_addr().expect("bound address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = app.clone();
        tokio::spawn(async move {
            let _ = server
                .serve(listener, async {
                    let _ = stop.await;
                })
                .await;
        });
        TestApp {
            providers,
            address,
            base_url: format!("http://{address}"),
            db: app.state.app.db.clone(),
            statements: app.statements.clone(),
            app,
            http: reqwest::Client::builder().build().expect("http client"),
            backend,
            shutdown: Some(shutdown),
            owns_backend,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A connection of its own to the test database, as an operator's `server migrate` has: the
    /// server's pool may hold SQLite connections whose cached schema predates a migration, and such a
    /// connection decides `CREATE TABLE IF NOT EXISTS` from that stale schema.
    pub async fn operator_db(&self) -> DatabaseConnection {
        let one_connection = fairydust_server::db::PoolSettings {
            max_connections: 1,
            ..fairydust_server::db::PoolSettings::SMALL
        };
        fairydust_server::db::connect(self.backend.database_url(), one_connection)
            .await
            .expect("the operator's connection opens")
            .0
    }
}

/// With the in-process cache, replicas must share the one instance (it is the "Redis" of the process);
/// with Redis each replica has its own connection to the shared server.
fn cache_for_replica(
    primary: &TestApp,
    own: Arc<dyn fairydust_schema::cache::Cache>,
) -> Arc<dyn fairydust_schema::cache::Cache> {
    if own.backend() == "redis" {
        own
    } else {
        primary.app.state.app.cache.clone()
    }
}

fn test_config(backend: &Backend, overrides: &Overrides) -> Config {
    let portals = concat!(env!("CARGO_MANIFEST_DIR"), "/../dist");
    let mut values: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), backend.database_url().to_owned()),
        ("DATABASE_MAX_CONNECTIONS".into(), "10".into()),
        ("JWT_SECRET".into(), TEST_JWT_SECRET.into()),
        ("PORTALS_DIR".into(), portals.into()),
    ]);
    if let Some((url, prefix)) = backend.redis() {
        values.insert("REDIS_URL".into(), url.to_owned());
        values.insert("REDIS_KEY_PREFIX".into(), prefix.to_owned());
    }
    values.extend(overrides.0.clone());
    Config::from_map(&values).expect("test configuration is valid")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if self.owns_backend {
            let check_ledger = !std::thread::panicking();
            let problems = self.backend.finish(check_ledger);
            if check_ledger && !problems.is_empty() {
                panic!("ledger audit failed after the test: {problems:#?}");
            }
        }
    }
}
