//! The admin and builder portals: static WASM bundles with an SPA fallback to `index.html`, so a
//! deep link such as `/admin/users/42` loads the app, whose router takes over.

use std::path::Path;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use fairydust_schema::error::ErrorCode;
use tower_http::services::{ServeDir, ServeFile};

use super::ServerState;
use super::error_body::ErrorBody;

pub fn routes(portals_dir: &str) -> Router<ServerState> {
    let mut router = Router::new();
    for portal in ["admin", "builder"] {
        let dir = Path::new(portals_dir).join(portal);
        let index = dir.join("index.html");
        if index.exists() {
            let files = ServeDir::new(&dir).fallback(ServeFile::new(&index));
            router = router.nest_service(&format!("/{portal}"), files);
        } else {
            tracing::warn!(portal, dir = %dir.display(), "portal not built; run scripts/build-portals.sh");
            let missing = move || async move {
                ErrorBody::new(
                    ErrorCode::NotFound,
                    format!("The {portal} portal is not built on this server"),
                )
                .details(serde_json::json!({ "hint": "run scripts/build-portals.sh" }))
                .into_response()
            };
            router = router
                .route(&format!("/{portal}"), get(missing))
                .route(&format!("/{portal}/"), get(missing))
                .route(&format!("/{portal}/{{*path}}"), get(missing));
        }
    }
    router
}
