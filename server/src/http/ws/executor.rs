//! Runs each WebSocket operation as its own request: the viewer is authenticated again from the socket's
//! token (so revocation, expiry and role changes apply exactly as over HTTP), and the socket's limit
//! on operations in flight is enforced.

use std::any::TypeId;
use std::sync::Arc;

use async_graphql::{Data, Executor, Request, Response};
use fairydust_schema::auth::Principal;
use fairydust_schema::error::{ApiError, ErrorCode};
use fairydust_schema::graphql::fill_request_data;
use fairydust_schema::state::RequestMeta;
use fairydust_schema::{AppState, FairydustSchema};
use futures_util::stream::{self, BoxStream};
use futures_util::{FutureExt, StreamExt};
use tokio::sync::Semaphore;

use super::registry::Registration;

/// What `connection_init` established; lives in the socket's session data.
pub struct SocketSession {
    /// The `Authorization` value as an HTTP request would carry it.
    pub authorization: Option<String>,
    pub principal: Option<Principal>,
    pub operations: Arc<Semaphore>,
    pub max_operations: usize,
    pub _registration: Option<Registration>,
}

impl SocketSession {
    pub fn operations_running(&self) -> bool {
        self.operations.available_permits() < self.max_operations
    }
}

#[derive(Clone)]
pub struct SocketExecutor {
    pub schema: FairydustSchema,
    pub app: AppState,
    pub meta: RequestMeta,
}

impl Executor for SocketExecutor {
    fn execute(&self, request: Request) -> impl Future<Output = Response> + Send {
        // Only `execute_stream` is used by the WebSocket protocol; keep this path just as strict.
        let this = self.clone();
        async move {
            this.execute_stream(request, None)
                .next()
                .await
                .unwrap_or_default()
        }
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let Some(session) = session_data.as_deref().and_then(socket_session) else {
            return refusal(ApiError::unauthenticated("Send connection_init first"));
        };
        // Taken now, in the order the operations arrived, not when the stream is first polled.
        let Ok(permit) = session.operations.clone().try_acquire_owned() else {
            return refusal(
                ApiError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "At most {} operations may run at once on one socket",
                        session.max_operations
                    ),
                )
                .with("limit", session.max_operations as u64),
            );
        };
        let this = self.clone();
        async move {
            let viewer = match this
                .app
                .auth
                .authenticate(session.authorization.as_deref())
                .await
            {
                Ok(viewer) => viewer,
                Err(error) => return refusal(ApiError::from(error)),
            };
            fill_request_data(&mut request.data, &this.app, viewer, this.meta.clone());
            Executor::execute_stream(&this.schema, request, session_data)
                .map(move |response| {
                    // The permit is released when the operation's stream ends or is stopped.
                    let _running = &permit;
                    response
                })
                .boxed()
        }
        .into_stream()
        .flatten()
        .boxed()
    }
}

pub fn socket_session(data: &Data) -> Option<Arc<SocketSession>> {
    data.get(&TypeId::of::<Arc<SocketSession>>())
        .and_then(|value| value.downcast_ref::<Arc<SocketSession>>())
        .cloned()
}

fn refusal(error: ApiError) -> BoxStream<'static, Response> {
    let error = async_graphql::Error::from(error).into_server_error(Default::default());
    stream::once(async move { Response::from_errors(vec![error]) }).boxed()
}
