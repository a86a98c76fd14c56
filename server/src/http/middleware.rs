//! Cross-cutting HTTP behaviour: security headers, request timeouts, HTTP metrics, panics.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
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
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let series = RouteSeries::of(&method, route, response.status());
    series.requests.increment(1);
    series.duration.record(started.elapsed().as_secs_f64());
    response
}

/// The two series of one (method, route template, status), registered once and then reused:
/// registering them on every request cost a handful of allocations and hashing every label.
#[derive(Clone)]
struct RouteSeries {
    requests: metrics::Counter,
    duration: metrics::Histogram,
}

/// method → route template → status. Routes and statuses are bounded by the router; methods
/// outside the standard ones are registered per request and never kept.
type SeriesByRoute = HashMap<Method, HashMap<Box<str>, HashMap<u16, RouteSeries>>>;

impl RouteSeries {
    fn register(method: &Method, route: &str, status: StatusCode) -> Self {
        let (method, route) = (method.as_str().to_owned(), route.to_owned());
        Self {
            requests: metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string()),
            duration: metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route),
        }
    }

    fn of(method: &Method, route: &str, status: StatusCode) -> Self {
        const STANDARD: [Method; 9] = [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::CONNECT,
            Method::PATCH,
            Method::TRACE,
        ];
        static KNOWN: OnceLock<RwLock<SeriesByRoute>> = OnceLock::new();
        if !STANDARD.contains(method) {
            return Self::register(method, route, status);
        }
        // Handles taken before the recorder is installed would record nowhere, for ever.
        let _ = super::metrics::recorder();
        let known = KNOWN.get_or_init(Default::default);
        let found = known
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(method)
            .and_then(|routes| routes.get(route))
            .and_then(|statuses| statuses.get(&status.as_u16()))
            .cloned();
        found.unwrap_or_else(|| {
            let series = Self::register(method, route, status);
            known
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(method.clone())
                .or_default()
                .entry(route.into())
                .or_default()
                .insert(status.as_u16(), series.clone());
            series
        })
    }
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
