//! `/health` (the process answers) and `/health/ready` (its database and cache answer too).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ServerState;

pub async fn live() -> Response {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })).into_response()
}

pub async fn ready(State(state): State<ServerState>) -> Response {
    let report = state.app.check_dependencies().await;
    let dependency = |up: bool, backend: &str| json!({ "status": if up { "up" } else { "down" }, "backend": backend });
    let ready = report.database && report.cache;
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "version": env!("CARGO_PKG_VERSION"),
        "dependencies": {
            "database": dependency(report.database, report.database_backend),
            "redis": if report.cache_backend == "redis" { dependency(report.cache, "redis") } else { json!({ "status": "not_configured", "backend": "memory" }) },
            "cache": dependency(report.cache, report.cache_backend),
        },
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
