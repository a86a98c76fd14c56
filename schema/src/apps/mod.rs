//! Apps (ARCHITECTURE §3, §6): the marketplace, builders' apps, their priced actions and the admin
//! status decisions.

pub mod access;
pub mod catalog;
mod error;
pub mod graphql;
pub mod listing;
pub mod review;
pub mod service;
pub mod slug;
pub mod slug_check;
pub mod stats;

pub use error::AppsError;
