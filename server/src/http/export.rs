//! `GET /export/{users,transactions,audit-log}.csv`: an admin list as CSV, with the filters of its
//! GraphQL field as query parameters, streamed page by page. Bearer token only (like `/graphql`), so
//! a link cannot be followed into a download on an admin's behalf; every export is audited.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use fairydust_schema::admin::export::{self, ExportList};
use fairydust_schema::error::ApiError;
use futures_util::StreamExt;

use super::ServerState;
use super::error_body::ErrorBody;

fn refuse(error: ApiError) -> Response {
    ErrorBody::new(error.code, error.message).into_response()
}

pub async fn csv(
    State(state): State<ServerState>,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(list) = file.strip_suffix(".csv") else {
        return refuse(ApiError::not_found("Export"));
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("invalid"));
    let viewer = match state.app.auth.authenticate(authorization).await {
        Ok(viewer) => viewer,
        Err(error) => return refuse(error.into()),
    };
    let Some(principal) = viewer.principal() else {
        return refuse(ApiError::unauthenticated(
            "Send an admin's access token as a bearer token",
        ));
    };
    if !principal.roles.admin {
        return refuse(ApiError::forbidden("Only admins can export"));
    }
    let db = &state.app.db;
    let parsed = match ExportList::parse(db, list, &params).await {
        Ok(parsed) => parsed,
        Err(error) => return refuse(error.into()),
    };
    let filters = serde_json::to_value(&params).unwrap_or_default();
    let stream = match export::export(db, principal.user_id, parsed, filters).await {
        Ok(stream) => stream,
        Err(error) => return refuse(error.into()),
    };
    // Fused: the response compression layer polls the body once more after its end, which an
    // `unfold` stream answers with a panic (found by the browser test's export: gzip is on there).
    let body = Body::from_stream(stream.fuse().map(|chunk| {
        chunk.map_err(|error| {
            // Headers are gone by now; the cut-off body is the client's signal, the log has the cause.
            tracing::error!(%error, "CSV export failed mid-stream");
            std::io::Error::other("export failed; see the server log")
        })
    }));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{list}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
