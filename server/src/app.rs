//! Assembling a running server from its configuration.

use std::future::Future;
use std::sync::Arc;

use fairydust_schema::AppState;
use fairydust_schema::auth::{Authenticator, TokenKeys};
use fairydust_schema::cache::Cache;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::cache::{MemoryCache, RedisCache};
use crate::config::Config;
use crate::db::{self, StatementCounter};
use crate::http::{self, ServerState, SocketRegistry};
use crate::integrations;
use crate::integrations::delivery;
use crate::integrations::http::build_http_client;
use crate::integrations::oauth::OAuthClients;

/// A server ready to accept connections.
#[derive(Clone)]
pub struct App {
    pub state: ServerState,
    pub statements: StatementCounter,
}

/// Connects to the database and cache the configuration names, migrates, and assembles the app.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let (db, statements) =
        db::connect(config.database_url.expose(), config.database_pool()).await?;
    tracing::info!(backend = db::backend_name(&db), "database connected");
    if config.skip_migrations {
        tracing::info!("SKIP_MIGRATIONS=true: not applying migrations");
    } else {
        db::migrate(&db).await?;
        tracing::info!("migrations applied");
    }
    let cache = connect_cache(&config).await?;
    Ok(assemble(config, db, statements, cache))
}

pub async fn connect_cache(config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    Ok(match &config.redis_url {
        Some(url) => {
            let cache = RedisCache::connect(url.expose(), &config.redis_key_prefix).await?;
            tracing::info!("redis connected");
            Arc::new(cache)
        }
        None => {
            tracing::info!("REDIS_URL not set: using the in-process cache (single replica only)");
            Arc::new(MemoryCache::new())
        }
    })
}

/// Wires an app from parts that already exist; tests use it to run two servers on one database and cache.
pub fn assemble(
    config: Config,
    db: DatabaseConnection,
    statements: StatementCounter,
    cache: Arc<dyn Cache>,
) -> App {
    http::metrics::recorder();
    let keys = TokenKeys::from_secret(config.jwt_secret.expose().as_bytes());
    let client = build_http_client().expect("a TLS backend is compiled in");
    let (email, sms) = delivery::senders(&config, &client);
    let oauth = Arc::new(OAuthClients::new(&config.integrations, client.clone()));
    let llm = integrations::llm::providers(&config.integrations, client.clone());
    let app = AppState {
        auth: Authenticator::new(keys, db.clone(), cache.clone(), config.role_cache),
        settings: Arc::new(config.settings()),
        email,
        sms,
        oauth,
        llm,
        db,
        cache,
    };
    let schema = fairydust_schema::build_schema(app.clone(), config.graphql_introspection);
    let sockets = SocketRegistry::new(config.websocket.max_sockets_per_user);
    sockets.listen(app.cache.clone());
    App {
        state: ServerState {
            app,
            schema,
            config: Arc::new(config),
            sockets,
        },
        statements,
    }
}

impl App {
    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone())
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let header_read_timeout = self.state.config.request_timeout;
        http::serve::serve(listener, self.router(), header_read_timeout, shutdown).await
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
