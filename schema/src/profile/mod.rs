//! Progressive profiling and People in My Life (ARCHITECTURE §3): what the apps know about a user, and the
//! context they hand to LLM prompts.

pub mod context;
pub mod data;
mod error;
pub mod graphql;
pub mod people;

pub use error::ProfileError;
