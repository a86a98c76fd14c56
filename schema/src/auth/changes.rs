//! Tells every replica that a user's sessions or roles changed, so open WebSockets re-check their
//! viewer at once instead of at their next periodic check.

use uuid::Uuid;

use crate::cache::Cache;

/// The pub/sub channel; each message is a user id.
pub const AUTH_CHANGED_CHANNEL: &str = "auth:changed";

/// Best effort: the change itself is already stored, and sockets re-check periodically anyway, so a
/// lost announcement only delays the close.
pub async fn announce_change(cache: &dyn Cache, user_id: Uuid) {
    if let Err(error) = cache
        .publish(AUTH_CHANGED_CHANNEL, &user_id.to_string())
        .await
    {
        tracing::warn!(%error, %user_id, "could not announce an auth change");
    }
}
