//! Who is calling: bearer tokens become a typed [`Viewer`], and guards check it.
//!
//! Token *issuing* policy (sessions, refresh rotation) lives in the identity domain; this module owns the
//! token format and the one verification path every request goes through (HTTP and WebSocket alike), so
//! revocation is honoured by the whole API.

mod changes;
mod guards;
mod tokens;
pub mod viewer;

pub use changes::{AUTH_CHANGED_CHANNEL, announce_change};
pub use guards::{ContextExt, RequireAdmin, RequireBuilder, RequireUser};
pub use tokens::{AccessClaims, TOKEN_TYPE_ACCESS, TokenKeys};
pub use viewer::{Authenticator, Principal, Roles, Viewer};

use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("The access token has expired")]
    Expired,
    #[error("The access token is invalid")]
    InvalidToken,
    #[error("This token cannot be used to call the API")]
    WrongTokenType,
    #[error("The session has ended; sign in again")]
    Revoked,
    #[error("Sign in to do this")]
    SignInRequired,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Forbidden(_) => ApiError::forbidden(error.to_string()),
            AuthError::Cache(e) => e.into(),
            AuthError::Database(e) => e.into(),
            _ => ApiError::unauthenticated(error.to_string()),
        }
    }
}
