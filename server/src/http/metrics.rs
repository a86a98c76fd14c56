//! `/metrics` in the Prometheus text format.

use std::sync::OnceLock;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use fairydust_schema::error::ErrorCode;

use super::{ErrorBody, ServerState};

const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder: metrics are global by nature, and several in-process servers (tests) share it.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".to_owned()),
                &LATENCY_BUCKETS,
            )
            .expect("non-empty bucket list")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding program); then ours just stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Metrics describe the deployment (traffic, pool sizes, operation names), so only the host itself
/// (a scraper on loopback, not through a proxy) or a holder of `METRICS_TOKEN` may read them.
pub async fn render(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !may_read(&state, &headers, peer) {
        return ErrorBody::new(
            ErrorCode::Forbidden,
            "Metrics are served to loopback, or with the METRICS_TOKEN bearer token",
        )
        .status(StatusCode::FORBIDDEN)
        .into_response();
    }
    let (size, idle) = crate::db::pool_usage(&state.app.db);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("db_pool_max_connections")
        .set(f64::from(state.config.database_max_connections));
    let mut response = recorder().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn may_read(state: &ServerState, headers: &HeaderMap, peer: SocketAddr) -> bool {
    let forwarded =
        headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    if !forwarded && state.client_ip(headers, peer).is_loopback() {
        return true;
    }
    let Some(expected) = &state.config.metrics_token else {
        return false;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    presented.is_some_and(|token| same_secret(token.as_bytes(), expected.expose().as_bytes()))
}

/// Compares without stopping at the first difference, so timing does not reveal the token.
fn same_secret(presented: &[u8], expected: &[u8]) -> bool {
    presented.len() == expected.len()
        && presented
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}
