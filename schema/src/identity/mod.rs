//! Identity (ARCHITECTURE §3): accounts, contacts, fairynames, one-time codes, OAuth, sessions and
//! the daily bonus.

pub mod account_settings;
pub mod accounts;
pub mod contact;
pub mod contact_change;
pub mod daily_bonus;
pub mod delivery;
mod error;
pub mod fairyname;
pub mod graphql;
pub mod oauth;
pub mod otp;
pub mod portal_session;
pub mod sessions;
pub mod sign_in;

pub use error::IdentityError;
