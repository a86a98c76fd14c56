//! The signed-in session, kept in localStorage: it survives reloads and, the origin being the same,
//! is shared by every tab of both portals.

use crate::PortalError;

const ACCESS_TOKEN_KEY: &str = "fairydust.accessToken";
const REFRESH_TOKEN_KEY: &str = "fairydust.refreshToken";

/// `None` when the browser refuses storage (e.g. disabled by policy).
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub(crate) fn access_token() -> Option<String> {
    local_storage()?.get_item(ACCESS_TOKEN_KEY).ok().flatten()
}

pub(crate) fn store_tokens(access_token: &str, refresh_token: &str) -> Result<(), PortalError> {
    let refused =
        || PortalError::local("This browser does not allow the portal to remember the sign-in.");
    let storage = local_storage().ok_or_else(refused)?;
    storage
        .set_item(ACCESS_TOKEN_KEY, access_token)
        .map_err(|_| refused())?;
    storage
        .set_item(REFRESH_TOKEN_KEY, refresh_token)
        .map_err(|_| refused())
}

/// Signs out locally; errors are ignored because unavailable storage holds no tokens anyway.
pub(crate) fn clear_tokens() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(ACCESS_TOKEN_KEY);
        let _ = storage.remove_item(REFRESH_TOKEN_KEY);
    }
}
