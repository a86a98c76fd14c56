use crate::error::{ApiError, ErrorCode};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("User not found")]
    UserNotFound,
    #[error("App not found")]
    AppNotFound,
    #[error("The app has no action {0:?}")]
    ActionNotFound(String),
    #[error("The app is not available (it is not approved or not active)")]
    AppUnavailable,
    #[error("Not enough DUST: the balance is {balance}, this needs {required}")]
    InsufficientDust { balance: i32, required: i64 },
    #[error(
        "The price is now {required} DUST, above the {max_dust} DUST agreed to; nothing was charged"
    )]
    PriceAboveAgreed { required: i32, max_dust: i32 },
    #[error("This idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("{0}")]
    InvalidInput(String),
    #[error("Transaction not found")]
    TransactionNotFound,
    #[error("Only consume transactions can be refunded")]
    NotRefundable,
    #[error("Transaction {0} was already refunded")]
    AlreadyRefunded(Uuid),
    #[error("Payment {0:?} was already recorded")]
    PaymentAlreadyRecorded(String),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

impl From<crate::apps::catalog::CatalogError> for LedgerError {
    fn from(error: crate::apps::catalog::CatalogError) -> Self {
        match error {
            crate::apps::catalog::CatalogError::Database(e) => LedgerError::Database(e),
            crate::apps::catalog::CatalogError::Cache(e) => LedgerError::Cache(e),
        }
    }
}

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> Self {
        use LedgerError as E;
        let message = error.to_string();
        match error {
            E::UserNotFound | E::AppNotFound | E::ActionNotFound(_) | E::TransactionNotFound => {
                ApiError::new(ErrorCode::NotFound, message)
            }
            E::AppUnavailable => ApiError::new(ErrorCode::Forbidden, message),
            E::InsufficientDust { balance, required } => {
                ApiError::new(ErrorCode::InsufficientDust, message)
                    .with("balance", balance)
                    .with("required", required)
            }
            E::IdempotencyKeyReused => ApiError::new(ErrorCode::IdempotencyKeyReused, message),
            E::PriceAboveAgreed { required, max_dust } => {
                ApiError::new(ErrorCode::Conflict, message)
                    .with("reason", "PRICE_ABOVE_MAX_DUST")
                    .with("required", required)
                    .with("maxDust", max_dust)
            }
            E::InvalidInput(_) | E::NotRefundable => {
                ApiError::new(ErrorCode::BadUserInput, message)
            }
            E::AlreadyRefunded(_) | E::PaymentAlreadyRecorded(_) => {
                ApiError::new(ErrorCode::Conflict, message)
            }
            E::Database(e) => e.into(),
            E::Cache(e) => e.into(),
        }
    }
}
