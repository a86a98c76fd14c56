//! Content (ARCHITECTURE §3): users' recipes with offline sync, and personalised stories.

mod error;
pub mod graphql;
pub mod library;
pub mod recipes;
pub mod safety;
pub mod stories;
pub mod story_prompt;
mod story_types;
pub mod sync;

pub use error::ContentError;
