//! Identity (DESIGN §3 Identity): accounts, contacts, fairynames, sign-in and sessions.

pub mod accounts;
pub mod contact;
mod error;
pub mod fairyname;

pub use error::IdentityError;
pub mod graphql;
pub mod oauth;
