//! What every resolver and service can reach: the database, the cache, the authenticator and settings.

use std::net::IpAddr;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::Authenticator;
use crate::cache::Cache;
use crate::identity::delivery::{EmailSender, SmsSender};
use crate::identity::oauth::OAuthVerifier;
use crate::llm::provider::LlmProviders;
use crate::settings::Settings;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    pub auth: Authenticator,
    pub settings: Arc<Settings>,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
    pub oauth: Arc<dyn OAuthVerifier>,
    pub llm: LlmProviders,
}

/// Whether each dependency answered a trivial request just now.
pub struct DependencyReport {
    pub database: bool,
    pub database_backend: &'static str,
    pub cache: bool,
    pub cache_backend: &'static str,
}

impl AppState {
    pub async fn check_dependencies(&self) -> DependencyReport {
        let (database, cache) = tokio::join!(self.db.ping(), self.cache.ping());
        if let Err(error) = &database {
            tracing::warn!(%error, "database health check failed");
        }
        if let Err(error) = &cache {
            tracing::warn!(%error, "cache health check failed");
        }
        DependencyReport {
            database: database.is_ok(),
            database_backend: match self.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "postgres",
                sea_orm::DbBackend::Sqlite => "sqlite",
                _ => "other",
            },
            cache: cache.is_ok(),
            cache_backend: self.cache.backend(),
        }
    }
}

/// Facts about the HTTP request a resolver may need (rate limits per IP, session device names).
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}
