use fairydust_entities::apps::AppStatus;
use sea_orm::ActiveEnum;

#[derive(Debug, thiserror::Error)]
pub enum AppsError {
    #[error("{0}")]
    InvalidInput(String),
    /// Invalid input in one field (`name`, `slug`, `iconUrl`, …), so a form can show it there.
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("The slug {0:?} is taken")]
    SlugTaken(String),
    #[error("Too many writes; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("An app cannot go from {} to {}", from.to_value(), to.to_value())]
    InvalidTransition {
        from: AppStatus,
        to: AppStatus,
    },
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<crate::apps::catalog::CatalogError> for AppsError {
    fn from(error: crate::apps::catalog::CatalogError) -> Self {
        match error {
            crate::apps::catalog::CatalogError::Database(e) => AppsError::Database(e),
            crate::apps::catalog::CatalogError::Cache(e) => AppsError::Cache(e),
        }
    }
}
