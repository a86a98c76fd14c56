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
