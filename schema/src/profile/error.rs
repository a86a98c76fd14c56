#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("You can keep at most {0} people")]
    TooManyPeople(u64),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}
