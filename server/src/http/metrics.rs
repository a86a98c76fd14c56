//! `/metrics` in the Prometheus text format.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::ServerState;

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

pub async fn render(State(state): State<ServerState>) -> Response {
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
