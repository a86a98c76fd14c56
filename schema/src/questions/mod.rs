//! Profiling questions (ARCHITECTURE §8): short questions the apps ask to learn about a user, each
//! answer stored as a profile fact and, the first time only, rewarded with DUST.

pub mod admin;
pub mod answering;
mod error;
pub mod graphql;
mod kind;
pub mod options;
pub mod serving;
pub mod stats;

pub use error::QuestionsError;
pub use kind::{ApiQuestionType, QuestionType};
