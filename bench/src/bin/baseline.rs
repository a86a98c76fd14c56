//! The baseline of the GraphQL overhead benchmark: a plain axum handler on `POST /graphql` that reads
//! the body and answers a small JSON, with the same axum and tokio as the server and no middleware.
//!
//! `bench-baseline [PORT]` (default 8100), listening on 127.0.0.1.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::routing::{get, post};
use serde::Serialize;

#[derive(Serialize)]
struct Answer {
    data: Data,
}

#[derive(Serialize)]
struct Data {
    version: &'static str,
}

/// Reads the request body like the GraphQL endpoint does, then answers `{"data":{"version":"…"}}`.
async fn graphql(body: Bytes) -> Json<Answer> {
    std::hint::black_box(body);
    Json(Answer {
        data: Data {
            version: env!("CARGO_PKG_VERSION"),
        },
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(port) => port.parse()?,
        None => 8100,
    };
    let app = Router::new()
        .route("/graphql", post(graphql))
        .route("/health", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("bench-baseline listening on 127.0.0.1:{port}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
