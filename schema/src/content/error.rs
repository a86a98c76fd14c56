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
