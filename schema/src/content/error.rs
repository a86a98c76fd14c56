use crate::error::{ApiError, ErrorCode};
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("The story was refused by the safety filter: {0}")]
    Unsafe(String),
    #[error("At most {limit} stories per hour; try again in {retry_after} s")]
    RateLimited { limit: u32, retry_after: u64 },
    #[error("Too many writes; try again in {retry_after} s")]
    TooManyWrites { retry_after: u64 },
    #[error(transparent)]
    Llm(#[from] crate::llm::LlmError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<crate::apps::catalog::CatalogError> for ContentError {
    fn from(error: crate::apps::catalog::CatalogError) -> Self {
        match error {
            crate::apps::catalog::CatalogError::Database(e) => ContentError::Database(e),
            crate::apps::catalog::CatalogError::Cache(e) => ContentError::Cache(e),
        }
    }
}

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<ContentError> for ApiError {
    fn from(error: ContentError) -> Self {
        use ContentError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::Unsafe(_) => {
                ApiError::new(ErrorCode::BadUserInput, message).with("reason", "unsafe_content")
            }
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::RateLimited { retry_after, .. } | E::TooManyWrites { retry_after } => {
                ApiError::new(ErrorCode::RateLimited, message).with("retryAfter", retry_after)
            }
            E::Llm(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Profile(e) => e.into(),
            E::Cache(e) => e.into(),
            E::Database(e) => e.into(),
        }
    }
}
