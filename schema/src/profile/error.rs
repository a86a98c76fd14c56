use crate::error::{ApiError, ErrorCode};
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("You can keep at most {0} people; remove someone first")]
    TooManyPeople(u64),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<crate::apps::catalog::CatalogError> for ProfileError {
    fn from(error: crate::apps::catalog::CatalogError) -> Self {
        use crate::apps::catalog::CatalogError as E;
        match error {
            E::Database(e) => ProfileError::Database(e),
            E::Cache(e) => ProfileError::Cache(e),
        }
    }
}

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<ProfileError> for ApiError {
    fn from(error: ProfileError) -> Self {
        use ProfileError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::TooManyPeople(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::Cache(e) => e.into(),
            E::Database(e) => e.into(),
        }
    }
}
