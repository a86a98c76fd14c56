use crate::error::{ApiError, ErrorCode};
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
    InvalidTransition { from: AppStatus, to: AppStatus },
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

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<AppsError> for ApiError {
    fn from(error: AppsError) -> Self {
        use AppsError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::InvalidField { field, .. } => {
                ApiError::new(ErrorCode::BadUserInput, message).with("field", field)
            }
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::Forbidden(_) => ApiError::new(ErrorCode::Forbidden, message),
            E::SlugTaken(_) => ApiError::new(ErrorCode::Conflict, message).with("field", "slug"),
            E::InvalidTransition { .. } => ApiError::new(ErrorCode::Conflict, message),
            E::RateLimited { retry_after } => ApiError::rate_limited(retry_after),
            E::Identity(e) => e.into(),
            E::Cache(e) => e.into(),
            E::Database(e) => e.into(),
        }
    }
}
