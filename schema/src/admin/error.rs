use crate::apps::AppsError;
use crate::cache::CacheError;
use crate::error::{ApiError, ErrorCode};
use crate::identity::IdentityError;
use crate::llm::LlmError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A rule the platform keeps whatever the admin asks, e.g. there is always an admin.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Apps(#[from] AppsError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let message = error.to_string();
        match error {
            AdminError::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            AdminError::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            AdminError::Conflict(_) => ApiError::new(ErrorCode::Conflict, message),
            AdminError::Identity(e) => e.into(),
            AdminError::Apps(e) => e.into(),
            AdminError::Llm(e) => e.into(),
            AdminError::Ledger(e) => e.into(),
            AdminError::Cache(e) => e.into(),
            AdminError::Database(e) => e.into(),
        }
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::InvalidInput(message.into())
}
