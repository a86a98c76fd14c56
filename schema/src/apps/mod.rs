//! Apps (DESIGN §3 Apps and LLM): the marketplace, app actions and their prices.

pub mod catalog;
pub mod graphql;
