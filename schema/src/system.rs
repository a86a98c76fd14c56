//! Liveness of the API itself: what portals and monitors ask first.

use async_graphql::{Context, Enum, Object, SimpleObject};

use crate::auth::ContextExt;

#[derive(Default)]
pub struct SystemQuery;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DependencyStatus {
    Up,
    Down,
}

#[derive(SimpleObject)]
pub struct Health {
    /// UP when every dependency answers.
    pub status: DependencyStatus,
    pub version: String,
    pub database: DependencyStatus,
    /// postgres or sqlite.
    pub database_backend: String,
    pub cache: DependencyStatus,
    /// redis or memory.
    pub cache_backend: String,
}

#[Object]
impl SystemQuery {
    /// The server's version.
    async fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// Whether the API and its database and cache answer right now.
    #[graphql(complexity = "crate::graphql::EXPENSIVE_FIELD + child_complexity")]
    async fn health(&self, ctx: &Context<'_>) -> Health {
        let state = ctx.state();
        let report = state.check_dependencies().await;
        let status = |up: bool| {
            if up {
                DependencyStatus::Up
            } else {
                DependencyStatus::Down
            }
        };
        Health {
            status: status(report.database && report.cache),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: status(report.database),
            database_backend: report.database_backend.to_owned(),
            cache: status(report.cache),
            cache_backend: report.cache_backend.to_owned(),
        }
    }
}
