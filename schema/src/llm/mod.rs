//! LLM calls (ARCHITECTURE §3, §6): provider clients behind one trait, server-side pricing,
//! fallbacks, cost and rate limits, usage logs and analytics.

pub mod admin;
pub mod analytics;
pub mod calls;
pub mod config;
mod error;
pub mod estimate;
pub mod gateway;
pub mod graphql;
pub mod in_progress;
pub mod limits;
pub mod platform_usage;
pub mod pricing;
pub mod provider;
pub mod usage;

pub use error::LlmError;
