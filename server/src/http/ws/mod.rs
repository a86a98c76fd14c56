//! `/graphql/ws`: GraphQL over WebSocket (graphql-transport-ws and the older graphql-ws).
//!
//! The token arrives once, in `connection_init`, but its rights are not kept: every operation is
//! authenticated again ([`executor`]), and the socket itself re-checks its session when any replica
//! announces a change for its user, periodically, and when the token expires — closing with 4401
//! once the session is gone. Sockets are limited in message size, operations in flight, sockets per
//! user and idle time (`WS_*` settings).

mod executor;
mod registry;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use async_graphql::Data;
use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, WebSocket as GraphQLSocket, WebSocketProtocols, WsMessage,
};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fairydust_schema::auth::{AuthError, Viewer};
use fairydust_schema::error::ApiError;
use fairydust_schema::state::RequestMeta;
use futures_util::{SinkExt, StreamExt, future};
use tokio::sync::{Notify, Semaphore};

pub use registry::SocketRegistry;

use self::executor::{SocketExecutor, SocketSession};
use super::ServerState;

/// The session behind the socket ended (signed out, revoked, deactivated, token expired).
const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Nothing sent and nothing running for `WS_IDLE_TIMEOUT_SECONDS`.
const CLOSE_IDLE: u16 = 4408;

pub async fn handler(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = protocol(&headers) else {
        return (
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Protocol must name graphql-transport-ws or graphql-ws",
        )
            .into_response();
    };
    let meta = RequestMeta {
        ip: Some(state.client_ip(&headers, peer)),
        user_agent: super::graphql::user_agent(&headers),
    };
    let limit = state.config.websocket.max_message_bytes;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // The reader grows its buffer for a large message; the default 128 KiB up front made each
        // idle socket cost about 130 KiB (a thousand idle sockets: 130 MiB).
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(state, socket, protocol, meta))
}

const WS_READ_BUFFER_BYTES: usize = 8 * 1024;

fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())?
        .split(',')
        .find_map(|p| p.trim().parse().ok())
}

async fn serve(
    state: ServerState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    meta: RequestMeta,
) {
    let limits = state.config.websocket;
    let (mut sink, input) = socket.split();
    let last_message = Arc::new(Mutex::new(Instant::now()));
    let input = {
        let last_message = last_message.clone();
        // A read error (including a message over the size limit) ends the socket.
        input
            .take_while(|message| future::ready(message.is_ok()))
            .filter_map(move |message| {
                *last_message.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
                future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        Some(message.into_data())
                    }
                    _ => None,
                })
            })
    };

    let session_slot: Arc<OnceLock<Arc<SocketSession>>> = Arc::new(OnceLock::new());
    let wake = Arc::new(Notify::new());
    let on_init = {
        let (state, session_slot, wake) = (state.clone(), session_slot.clone(), wake.clone());
        move |payload: serde_json::Value| async move {
            let authorization = authorization(&payload);
            let viewer = state
                .app
                .auth
                .authenticate(authorization.as_deref())
                .await
                .map_err(|error| async_graphql::Error::from(ApiError::from(error)))?;
            let registration = match &viewer {
                Viewer::Anonymous => None,
                Viewer::User(principal) => Some(
                    state
                        .sockets
                        .register(principal.user_id, wake)
                        .map_err(|error| async_graphql::Error::new(error.to_string()))?,
                ),
            };
            let session = Arc::new(SocketSession {
                authorization,
                principal: viewer.principal().cloned(),
                operations: Arc::new(Semaphore::new(limits.max_operations)),
                max_operations: limits.max_operations,
                _registration: registration,
            });
            let _ = session_slot.set(session.clone());
            let mut data = Data::default();
            data.insert(session);
            Ok(data)
        }
    };
    let executor = SocketExecutor {
        schema: state.schema.clone(),
        app: state.app.clone(),
        meta,
    };
    let mut outgoing = GraphQLSocket::new(executor, input, protocol)
        .on_connection_init(on_init)
        .map(|message| match message {
            WsMessage::Text(text) => Message::Text(text.into()),
            WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })),
        });

    let mut recheck = tokio::time::interval(state.config.role_cache.min(limits.idle_timeout));
    recheck.tick().await;
    let close = loop {
        let expiry = session_slot
            .get()
            .and_then(|session| session.principal.as_ref())
            .map(|principal| principal.token_expires_at);
        tokio::select! {
            message = outgoing.next() => match message {
                Some(message) => {
                    if sink.send(message).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            _ = wake.notified() => {
                if let Some(close) = check_session(&state, &session_slot).await {
                    break close;
                }
            }
            _ = until(expiry) => {
                // Operations would still pass for the verifier's few seconds of leeway; the socket
                // need not wait for them, its client has to reconnect with a fresh token anyway.
                break (CLOSE_UNAUTHORIZED, AuthError::Expired.to_string());
            }
            _ = recheck.tick() => {
                if let Some(close) = check_session(&state, &session_slot).await {
                    break close;
                }
                let running = session_slot.get().is_some_and(|s| s.operations_running());
                let quiet = last_message.lock().unwrap_or_else(|p| p.into_inner()).elapsed();
                if !running && quiet >= limits.idle_timeout {
                    break (CLOSE_IDLE, "Idle timeout".to_owned());
                }
            }
        }
    };
    let (code, reason) = close;
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// Sleeps until the token's expiry (unix seconds); never completes for a socket without a token.
async fn until(expires_at: Option<i64>) {
    match expires_at {
        Some(at) => {
            let left = (at - chrono::Utc::now().timestamp()).max(0) as u64;
            tokio::time::sleep(std::time::Duration::from_secs(left)).await;
        }
        None => future::pending().await,
    }
}

/// The close to send when the socket's session no longer authenticates. A failing cache or database
/// keeps the socket: each operation is still authenticated on its own.
async fn check_session(
    state: &ServerState,
    slot: &OnceLock<Arc<SocketSession>>,
) -> Option<(u16, String)> {
    let session = slot.get()?;
    session.principal.as_ref()?;
    match state
        .app
        .auth
        .authenticate(session.authorization.as_deref())
        .await
    {
        Ok(_) => None,
        Err(error @ (AuthError::Cache(_) | AuthError::Database(_))) => {
            tracing::warn!(%error, "cannot re-check a socket's session");
            None
        }
        Err(error) => Some((CLOSE_UNAUTHORIZED, error.to_string())),
    }
}

/// Browsers cannot set headers on a WebSocket, so the token comes in `connection_init`.
fn authorization(payload: &serde_json::Value) -> Option<String> {
    ["Authorization", "authorization", "authToken"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
        .map(|token| {
            if token.contains(' ') {
                token.to_owned()
            } else {
                format!("Bearer {token}")
            }
        })
}
