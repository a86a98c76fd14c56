//! Browser sessions for the portals: the refresh token rides in an `HttpOnly` cookie that script
//! cannot read, so a cross-site script bug cannot steal a long-lived credential. The access token
//! still travels as a bearer token (kept in memory by the portal), so the rest of the API is the
//! same for browsers and mobile apps.
//!
//! A cookie is sent by the browser on its own, which is what cross-site request forgery abuses. Two
//! locks: `SameSite=Strict`, and every request that relies on the cookie must carry
//! [`CSRF_HEADER`]. A page on another origin can only add a custom header after a CORS preflight,
//! and the server never lists this header as allowed, so the preflight fails.

use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::IdentityError;
use super::sessions::{self, hash_refresh_token};
use crate::cache::Cache;

/// The cookie holding the refresh token.
pub const REFRESH_COOKIE: &str = "fairydust_refresh";
/// Scoped to the API: the portals' own pages and assets never carry it.
pub const COOKIE_PATH: &str = "/graphql";
/// The header every cookie-based request must carry (any non-empty value; the portals send `1`).
pub const CSRF_HEADER: &str = "x-fairydust-csrf";

/// What the HTTP layer found on a request, for the portal-session resolvers.
#[derive(Clone, Debug, Default)]
pub struct PortalCookie {
    pub refresh_token: Option<String>,
    /// Whether [`CSRF_HEADER`] was present.
    pub csrf_header: bool,
}

impl PortalCookie {
    /// Reads the cookie out of `Cookie` header values (a request may send several).
    pub fn from_headers<'a>(
        cookie_headers: impl Iterator<Item = &'a str>,
        csrf_header: bool,
    ) -> Self {
        let refresh_token = cookie_headers
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, value)| *name == REFRESH_COOKIE && !value.is_empty())
            .map(|(_, value)| value.to_owned());
        Self {
            refresh_token,
            csrf_header,
        }
    }
}

/// `Set-Cookie` storing `refresh_token` for as long as the token lives. `Secure` in production only:
/// development and the tests run over plain HTTP, where browsers drop `Secure` cookies.
pub fn set_cookie(refresh_token: &str, lifetime: Duration, secure: bool) -> String {
    cookie(refresh_token, lifetime.as_secs(), secure)
}

/// `Set-Cookie` deleting the cookie.
pub fn clear_cookie(secure: bool) -> String {
    cookie("", 0, secure)
}

fn cookie(value: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{REFRESH_COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// Ends the device session the cookie belongs to, whatever state its token is in (a rotated token
/// still names its session). Returns whether a live session ended.
pub async fn sign_out(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    refresh_token: &str,
) -> Result<bool, IdentityError> {
    use fairydust_entities::auth_sessions;
    let Some(row) = auth_sessions::Entity::find()
        .filter(auth_sessions::Column::RefreshTokenHash.eq(hash_refresh_token(refresh_token)))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    sessions::revoke_family(db, cache, row.user_id, row.family_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_api() {
        let cookie = set_cookie("abc", Duration::from_secs(60), false);
        assert_eq!(
            cookie,
            "fairydust_refresh=abc; Path=/graphql; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        assert!(set_cookie("abc", Duration::from_secs(60), true).ends_with("; Secure"));
        assert!(clear_cookie(false).starts_with("fairydust_refresh=; Path=/graphql; Max-Age=0;"));
    }

    #[test]
    fn the_refresh_token_is_found_among_other_cookies() {
        let found = PortalCookie::from_headers(
            ["theme=dark; fairydust_refresh=tok-1", "other=2"].into_iter(),
            true,
        );
        assert_eq!(found.refresh_token.as_deref(), Some("tok-1"));
        let empty = PortalCookie::from_headers(["fairydust_refresh="].into_iter(), false);
        assert_eq!(empty.refresh_token, None);
    }
}
