//! Profiling questions (DESIGN §2, §5): short questions the apps ask to learn about a user, each
//! answer stored as a profile fact and, the first time only, rewarded with DUST.

mod error;
mod kind;
pub mod options;

pub use error::QuestionsError;
pub use kind::QuestionType;
