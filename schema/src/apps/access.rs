//! Who may see an app and who may act for it. Every path that returns an app or takes one from a
//! caller goes through here, so an app off the marketplace is NOT_FOUND to everyone but its builder
//! and admins, whatever the path.

use fairydust_entities::apps;
use sea_orm::ConnectionTrait;

use super::AppsError;
use super::catalog::{self, AppRef};
use crate::auth::Principal;

/// Approved and active: listed on the marketplace and visible to everyone.
pub fn on_marketplace(app: &apps::Model) -> bool {
    app.status == "approved" && app.is_active
}

/// The app's builder or an admin.
pub fn is_privileged(app: &apps::Model, viewer: Option<&Principal>) -> bool {
    viewer.is_some_and(|viewer| viewer.user_id == app.builder_id || viewer.roles.admin)
}

/// The one visibility rule: marketplace apps for everyone, the others for their builder and admins.
pub fn is_visible(app: &apps::Model, viewer: Option<&Principal>) -> bool {
    on_marketplace(app) || is_privileged(app, viewer)
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

/// The app if `viewer` is its builder or an admin: NOT_FOUND when they cannot see it, FORBIDDEN when
/// they can but it is not theirs.
pub async fn operated_by<C: ConnectionTrait>(
    conn: &C,
    viewer: &Principal,
    app: &AppRef,
    why: &'static str,
) -> Result<apps::Model, AppsError> {
    let app = visible(conn, Some(viewer), app).await?;
    if !is_privileged(&app, Some(viewer)) {
        return Err(AppsError::Forbidden(why));
    }
    Ok(app)
}
