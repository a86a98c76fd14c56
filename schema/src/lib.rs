//! The fairydust GraphQL schema and the domain services behind it.
//!
//! Resolvers stay thin: they read the viewer, call a domain service, and map its error through
//! [`error::ApiError`]. Business rules live in the services, which tests call directly.

// async-graphql's merged roots nest one future per merged object; the layout computation of the
// combined resolver exceeds the default query depth of 128 on a clean build.
#![recursion_limit = "256"]

pub mod admin;
pub mod apps;
pub mod auth;
pub mod cache;
pub mod content;
pub mod db_errors;
pub mod error;
pub mod graphql;
pub mod identity;
pub mod ledger;
pub mod llm;
pub mod loaders;
pub mod pagination;
pub mod profile;
pub mod questions;
pub mod rollups;
pub mod settings;
pub mod skipped_tests;
pub mod sql;
pub mod state;
pub mod system;
pub mod user_sketch;
pub mod validation;
pub mod write_limits;

pub use graphql::{FairydustSchema, build_schema, sdl};
pub use state::AppState;
