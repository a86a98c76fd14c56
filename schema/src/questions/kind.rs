//! How a question is answered: the domain uses the stored enum itself; the API shows it as
//! `QuestionType`.

use async_graphql::Enum;

pub use fairydust_entities::profiling_questions::QuestionType;

/// How a question is answered. Stored as snake_case text in `profiling_questions.question_type`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "QuestionType",
    remote = "fairydust_entities::profiling_questions::QuestionType"
)]
pub enum ApiQuestionType {
    /// One of the options' values.
    SingleChoice,
    /// A non-empty list of distinct option values.
    MultiSelect,
    /// An integer within the options' `min..max`.
    Scale,
    /// Free text of 1–1000 characters.
    Text,
}
