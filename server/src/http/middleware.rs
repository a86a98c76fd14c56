//! Cross-cutting HTTP behaviour: security headers, request timeouts, HTTP metrics, panics.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fairydust_schema::error::ErrorCode;

use super::error_body::ErrorBody;

/// The portals are our own WASM bundles: scripts and styles only from this origin (no inline ones; charts are
/// SVG styled by classes), WebAssembly compilation allowed,
/// API calls only to this origin, and no framing.
const PORTAL_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

#[derive(Clone, Copy)]
pub struct SecurityHeaders {
    pub hsts: bool,
}

pub async fn security_headers(
    State(settings): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let is_portal = {
        let path = request.uri().path();
        path.starts_with("/admin") || path.starts_with("/builder")
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if is_portal {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PORTAL_CSP),
        );
    }
    if settings.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// Answers 503 with the standard body when a request takes longer than the configured timeout.
/// WebSocket connections are exempt: they are meant to stay open.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    if request.headers().contains_key(header::UPGRADE) {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ErrorBody::new(ErrorCode::Internal, "The request took too long")
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .details(serde_json::json!({ "timeout_seconds": limit.as_secs() }))
            .into_response(),
    }
}

/// Request counts and latency per route template (never per raw path, which clients control).
pub async fn http_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A panic is a bug; the client gets the standard 500 body and the panic is logged, never the details.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "request handler panicked");
    ErrorBody::new(ErrorCode::Internal, "Internal server error").into_response()
}
