use crate::error::{ApiError, ErrorCode};
/// What can go wrong with profiling questions. Unknown and inactive questions are both
/// `QuestionNotFound`: a question that is not asked does not exist for users.
#[derive(Debug, thiserror::Error)]
pub enum QuestionsError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("Question {0:?} not found")]
    QuestionNotFound(String),
    #[error("A question with the id {0:?} already exists")]
    QuestionIdTaken(String),
    #[error("Question {0:?} has answers; deactivate it instead")]
    QuestionHasAnswers(String),
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<QuestionsError> for ApiError {
    fn from(error: QuestionsError) -> Self {
        use QuestionsError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::NotFound(_) | E::QuestionNotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::QuestionIdTaken(_) | E::QuestionHasAnswers(_) => {
                ApiError::new(ErrorCode::Conflict, message)
            }
            E::Profile(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Cache(e) => e.into(),
            E::Database(e) => e.into(),
        }
    }
}
