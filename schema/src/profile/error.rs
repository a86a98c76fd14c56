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
