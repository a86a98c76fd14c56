//! `/graphql` over HTTP (WebSocket: `ws/`, GraphiQL: `graphiql.rs`).
//!
//! The handler does transport work only: enforce body and batch limits, turn the bearer token into a
//! viewer, attach request data, execute. Everything else happens in the schema.

use std::net::SocketAddr;

use async_graphql::parser::types::{OperationType, Selection};
use async_graphql::{BatchRequest, BatchResponse};
use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fairydust_schema::error::{ApiError, ErrorCode};
use fairydust_schema::graphql::read_only::{GET_IS_READ_ONLY, ReadOnlyRequest};
use fairydust_schema::graphql::{LARGE_PAYLOAD_MUTATIONS, MAX_BATCH, fill_request_data};
use fairydust_schema::identity::portal_session::{CSRF_HEADER, PortalCookie};
use fairydust_schema::state::RequestMeta;
use serde_json::json;

use super::ServerState;
use super::error_body::ErrorBody;

/// ARCHITECTURE §2: 1 MB for every request, 12 MB for the content mutations that carry recipe text.
pub const BODY_LIMIT: usize = 1024 * 1024;
pub const LARGE_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub async fn post(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > LARGE_BODY_LIMIT) {
        return payload_too_large(LARGE_BODY_LIMIT);
    }
    let Ok(bytes) = axum::body::to_bytes(body, LARGE_BODY_LIMIT).await else {
        return payload_too_large(LARGE_BODY_LIMIT);
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(error) => {
            return ErrorBody::new(
                ErrorCode::BadUserInput,
                format!("The body is not a GraphQL request: {error}"),
            )
            .for_graphql()
            .into_response();
        }
    };
    let operations = match &batch {
        BatchRequest::Single(request) => std::slice::from_ref(request),
        BatchRequest::Batch(requests) => requests.as_slice(),
    };
    if operations.is_empty() {
        return ErrorBody::new(ErrorCode::BadUserInput, "The batch holds no operations")
            .for_graphql()
            .into_response();
    }
    if operations.len() > MAX_BATCH {
        return ErrorBody::new(
            ErrorCode::QueryTooComplex,
            format!("A batch may hold at most {MAX_BATCH} operations"),
        )
        .status(StatusCode::BAD_REQUEST)
        .details(json!({ "operations": operations.len(), "limit": MAX_BATCH }))
        .for_graphql()
        .into_response();
    }
    if bytes.len() > BODY_LIMIT && !operations.iter().all(allows_large_body) {
        return payload_too_large(BODY_LIMIT);
    }
    execute(&state, batch, &headers, peer).await
}

pub async fn get(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let request =
        match async_graphql::http::parse_query_string(query.as_deref().unwrap_or_default()) {
            Ok(request) => request,
            Err(error) => {
                return ErrorBody::new(
                    ErrorCode::BadUserInput,
                    format!("Bad GraphQL query string: {error}"),
                )
                .for_graphql()
                .into_response();
            }
        };
    if operation_type(&request) != Some(OperationType::Query) && !request.query.is_empty() {
        return ErrorBody::new(ErrorCode::BadUserInput, GET_IS_READ_ONLY)
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .for_graphql()
            .into_response();
    }
    // A document the handler cannot see here (a persisted-query hash) is checked once it is resolved.
    let request = request.data(ReadOnlyRequest);
    execute(&state, BatchRequest::Single(request), &headers, peer).await
}

async fn execute(
    state: &ServerState,
    mut batch: BatchRequest,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("invalid"));
    let viewer = match state.app.auth.authenticate(authorization).await {
        Ok(viewer) => viewer,
        Err(error) => {
            let error = async_graphql::Error::from(ApiError::from(error))
                .into_server_error(Default::default());
            let response = || async_graphql::Response::from_errors(vec![error.clone()]);
            let answer = match batch {
                BatchRequest::Single(_) => BatchResponse::Single(response()),
                BatchRequest::Batch(requests) => {
                    BatchResponse::Batch(requests.iter().map(|_| response()).collect())
                }
            };
            return no_store(Json(answer).into_response());
        }
    };
    let meta = RequestMeta {
        ip: Some(state.client_ip(headers, peer)),
        user_agent: user_agent(headers),
    };
    let portal_cookie = portal_cookie(headers);
    for request in batch.iter_mut() {
        fill_request_data(&mut request.data, &state.app, viewer.clone(), meta.clone());
        request.data.insert(portal_cookie.clone());
    }
    let answer = state.schema.execute_batch(batch).await;
    // Resolvers add headers only to set or clear the portals' refresh cookie.
    let set_headers: Vec<_> = answer.http_headers_iter().collect();
    let mut response = Json(answer).into_response();
    for (name, value) in set_headers {
        response.headers_mut().append(name, value);
    }
    no_store(response)
}

fn portal_cookie(headers: &HeaderMap) -> PortalCookie {
    let csrf_header = headers
        .get(CSRF_HEADER)
        .is_some_and(|value| !value.is_empty());
    PortalCookie::from_headers(
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok()),
        csrf_header,
    )
}

fn payload_too_large(limit: usize) -> Response {
    ErrorBody::new(
        ErrorCode::PayloadTooLarge,
        format!("The request body exceeds {} MB", limit / (1024 * 1024)),
    )
    .details(json!({
        "limit_bytes": limit,
        "large_payload_mutations": LARGE_PAYLOAD_MUTATIONS,
        "large_payload_limit_bytes": LARGE_BODY_LIMIT,
    }))
    .for_graphql()
    .into_response()
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(256).collect())
}

fn parsed_operation(
    request: &async_graphql::Request,
) -> Option<async_graphql::parser::types::OperationDefinition> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    let mut operations = document.operations.iter();
    match &request.operation_name {
        Some(name) => operations
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| op.node.clone()),
        None => {
            let (_, first) = operations.next()?;
            operations.next().is_none().then(|| first.node.clone())
        }
    }
}

fn operation_type(request: &async_graphql::Request) -> Option<OperationType> {
    parsed_operation(request).map(|operation| operation.ty)
}

/// A request may exceed 1 MB only when it is a mutation made solely of the content mutations.
fn allows_large_body(request: &async_graphql::Request) -> bool {
    let Some(operation) = parsed_operation(request) else {
        return false;
    };
    operation.ty == OperationType::Mutation
        && operation
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(field) => {
                    LARGE_PAYLOAD_MUTATIONS.contains(&field.node.name.node.as_str())
                }
                _ => false,
            })
}
