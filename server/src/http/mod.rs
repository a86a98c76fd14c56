//! The HTTP surface: routes and the middleware stack around them.

mod error_body;
mod export;
mod graphiql;
mod graphql;
mod health;
pub mod metrics;
mod middleware;
mod portals;
pub mod serve;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::routing::get;
use fairydust_schema::{AppState, FairydustSchema};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error_body::ErrorBody;
pub use graphql::{BODY_LIMIT, LARGE_BODY_LIMIT};
pub use ws::SocketRegistry;

use crate::config::Config;

#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub schema: FairydustSchema,
    pub config: Arc<Config>,
    /// This replica's open WebSockets.
    pub sockets: Arc<SocketRegistry>,
}

impl ServerState {
    /// The caller's address (see [`crate::config::client_ip`]).
    pub fn client_ip(&self, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
        let forwarded_for = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        crate::config::client_ip(
            &self.config.trusted_proxies,
            Some(&forwarded_for),
            peer.ip(),
        )
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: ServerState) -> Router {
    let config = state.config.clone();
    let routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::handler))
        .route("/health", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics::render))
        .merge(if config.graphiql {
            graphiql::routes()
        } else {
            Router::new()
        })
        .route("/export/{file}", get(export::csv))
        .merge(portals::routes(&config.portals_dir))
        .fallback(|| async { error_body::not_found().into_response() })
        .with_state(state);

    let trace = TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
        let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("http", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
    });

    routes
        .layer(axum::middleware::from_fn_with_state(
            config.request_timeout,
            middleware::timeout,
        ))
        .layer(CompressionLayer::new())
        .layer(cors(&config))
        .layer(axum::middleware::from_fn_with_state(
            middleware::SecurityHeaders {
                hsts: config.is_production(),
            },
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn(middleware::http_metrics))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(middleware::panic_response)),
        )
}

fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = config
        .allowed_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    let allow_origin = if config.allowed_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins)
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID])
        .expose_headers([REQUEST_ID])
        .max_age(std::time::Duration::from_secs(600))
}
