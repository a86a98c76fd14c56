//! A model provider on loopback that answers at once, for the `generateText` gateway benchmark of
//! bench/run.sh: `POST /v1/messages` in Anthropic's response shape and `POST /v1/chat/completions` in
//! OpenAI's, echoing the requested model, with a fixed short text and fixed token counts.
//!
//! `bench-mock-llm [PORT]` (default 8101), listening on 127.0.0.1. Counts the calls it answered and
//! reports the count at `GET /calls`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

const TEXT: &str = "Build a blanket fort and read by torchlight.";
const INPUT_TOKENS: u32 = 20;
const OUTPUT_TOKENS: u32 = 12;

type Calls = Arc<AtomicU64>;

fn model(request: &Value) -> Value {
    request.get("model").cloned().unwrap_or(Value::Null)
}

async fn anthropic(State(calls): State<Calls>, Json(request): Json<Value>) -> Json<Value> {
    calls.fetch_add(1, Ordering::Relaxed);
    Json(json!({
        "id": "msg_bench", "type": "message", "role": "assistant", "model": model(&request),
        "content": [{ "type": "text", "text": TEXT }], "stop_reason": "end_turn",
        "usage": { "input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS },
    }))
}

async fn openai(State(calls): State<Calls>, Json(request): Json<Value>) -> Json<Value> {
    calls.fetch_add(1, Ordering::Relaxed);
    Json(json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "model": model(&request),
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": TEXT }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS, "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS },
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(port) => port.parse()?,
        None => 8101,
    };
    let calls = Calls::default();
    let app =
        Router::new()
            .route("/v1/messages", post(anthropic))
            .route("/v1/chat/completions", post(openai))
            .route(
                "/calls",
                get(|State(calls): State<Calls>| async move {
                    calls.load(Ordering::Relaxed).to_string()
                }),
            )
            .with_state(calls);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("bench-mock-llm listening on 127.0.0.1:{port}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
