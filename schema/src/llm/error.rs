use crate::cache::CacheError;
use crate::error::{ApiError, ErrorCode};
use crate::ledger::LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("{0}")]
    InvalidInput(String),
    /// A model configuration breaks a rule; the error names the input field (`extensions.field`).
    #[error(transparent)]
    InvalidConfig(#[from] super::config::ConfigError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("The app is not available (it is not approved or not active)")]
    AppUnavailable,
    #[error("{0}")]
    NotConfigured(String),
    /// Every model the app may use failed; `attempts` says how.
    #[error("The language model is unavailable right now; nothing was charged")]
    Unavailable { attempts: Vec<String> },
    #[error("Too many LLM calls; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("The app reached its {period} LLM cost limit; try again in {retry_after} s")]
    CostLimitReached {
        period: &'static str,
        retry_after: u64,
    },
    #[error("A request with this idempotency key is still running; retry in a moment")]
    InProgress,
    #[error("The model provider refused the request: {0}")]
    Rejected(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<crate::apps::catalog::CatalogError> for LlmError {
    fn from(error: crate::apps::catalog::CatalogError) -> Self {
        match error {
            crate::apps::catalog::CatalogError::Database(e) => LlmError::Database(e),
            crate::apps::catalog::CatalogError::Cache(e) => LlmError::Cache(e),
        }
    }
}

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<LlmError> for ApiError {
    fn from(error: LlmError) -> Self {
        use LlmError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) | E::Rejected(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::InvalidConfig(error) => {
                ApiError::new(ErrorCode::BadUserInput, message).with("field", error.field)
            }
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::Forbidden(_) | E::AppUnavailable => ApiError::new(ErrorCode::Forbidden, message),
            E::NotConfigured(_) => ApiError::new(ErrorCode::LlmNotConfigured, message),
            E::Unavailable { attempts } => ApiError::new(ErrorCode::LlmUnavailable, message)
                .with("attempts", attempts.len() as u64),
            E::RateLimited { retry_after } => ApiError::rate_limited(retry_after),
            E::CostLimitReached { retry_after, .. } => {
                ApiError::new(ErrorCode::RateLimited, message).with("retryAfter", retry_after)
            }
            E::InProgress => ApiError::new(ErrorCode::Conflict, message),
            E::Ledger(e) => e.into(),
            E::Cache(e) => e.into(),
            E::Database(e) => e.into(),
        }
    }
}
