//! Who may see an app and who may act for it. Every path that returns an app or takes one from a
//! caller goes through here, so an app off the marketplace is NOT_FOUND to everyone but its builder
//! and admins, whatever the path.

use fairydust_entities::apps::{self, AppStatus};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::AppsError;
use super::catalog::{self, AppRef, AppSnapshot};
use crate::auth::Principal;

/// Approved and active: listed on the marketplace and visible to everyone.
pub fn on_marketplace(app: &apps::Model) -> bool {
    app.status == AppStatus::Approved && app.is_active
}

/// The app's builder or an admin.
pub fn is_privileged(app: &apps::Model, viewer: Option<&Principal>) -> bool {
    owned_or_admin(app.builder_id, viewer)
}

fn owned_or_admin(builder_id: Uuid, viewer: Option<&Principal>) -> bool {
    viewer.is_some_and(|viewer| viewer.user_id == builder_id || viewer.roles.admin)
}

/// The one visibility rule: marketplace apps for everyone, the others for their builder and admins.
pub fn is_visible(app: &apps::Model, viewer: Option<&Principal>) -> bool {
    on_marketplace(app) || is_privileged(app, viewer)
}

/// [`is_visible`] for the cached snapshot the hot paths read (`chargeable` is "on the marketplace").
pub fn snapshot_visible(app: &AppSnapshot, viewer: Option<&Principal>) -> bool {
    app.chargeable || owned_or_admin(app.builder_id, viewer)
}

/// Whether `viewer` may change the app: an admin, or its builder while they still hold the builder
/// right. Roles come from the viewer (re-read from the database within `ROLE_CACHE_SECONDS`, and at
/// once after `setBuilder`), like the guards' — so a builder whose right was removed can no longer
/// edit the apps they own.
pub fn may_operate(app: &apps::Model, viewer: &Principal) -> bool {
    viewer.roles.admin || (viewer.user_id == app.builder_id && viewer.roles.builder)
}

/// The app if `viewer` may see it; NOT_FOUND otherwise (an app off the marketplace does not exist
/// for anyone else).
pub async fn visible<C: ConnectionTrait>(
    conn: &C,
    viewer: Option<&Principal>,
    app: &AppRef,
) -> Result<apps::Model, AppsError> {
    catalog::find_app(conn, app)
        .await?
        .filter(|app| is_visible(app, viewer))
        .ok_or(AppsError::NotFound("App"))
}

/// The app if `viewer` may act for it ([`may_operate`]): NOT_FOUND when they cannot see it,
/// FORBIDDEN when they can but it is not theirs, or their builder right was removed.
pub async fn operated_by<C: ConnectionTrait>(
    conn: &C,
    viewer: &Principal,
    app: &AppRef,
    why: &'static str,
) -> Result<apps::Model, AppsError> {
    let app = visible(conn, Some(viewer), app).await?;
    if may_operate(&app, viewer) {
        Ok(app)
    } else if app.builder_id == viewer.user_id {
        Err(AppsError::Forbidden(
            "Your builder rights were removed; ask an admin to restore them",
        ))
    } else {
        Err(AppsError::Forbidden(why))
    }
}
