//! The GraphQL client: typed operations (`graphql_client`) sent to same-origin `POST /graphql` with
//! the in-memory access token. Every request carries the CSRF header, so the cookie-based session
//! mutations work from any call site; the browser adds the `HttpOnly` cookie itself.

use std::fmt;

use gloo_net::http::Request;
use graphql_client::GraphQLQuery;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::session;

/// Same origin: the portals are served by the API server, and the CSP allows no other.
const ENDPOINT: &str = "/graphql";
/// Must match the server's `portal_session::CSRF_HEADER`.
const CSRF_HEADER: &str = "X-Fairydust-Csrf";

/// The server's `extensions.code` for a missing, expired, revoked or malformed access token.
pub(crate) const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

/// Why a GraphQL call failed, worded for the person using the portal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalError {
    /// The server's first GraphQL error message, or what went wrong on the way to it.
    pub message: String,
    /// The GraphQL `extensions.code` (e.g. `BAD_USER_INPUT`) when the server sent one.
    pub code: Option<String>,
    /// The input field the error is about (`extensions.field`, e.g. `slug`), so a form can show the
    /// message next to it.
    pub field: Option<String>,
}

impl PortalError {
    /// A failure the server did not describe with a GraphQL error, so there is no error code.
    pub fn local(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: None,
            field: None,
        }
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

impl fmt::Display for PortalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PortalError {}

/// `data` stays untyped until the errors are checked: with errors, `data` is often null or partial.
#[derive(Deserialize)]
struct GraphqlResponse {
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlError {
    message: String,
    extensions: Option<GraphqlErrorExtensions>,
}

#[derive(Deserialize)]
struct GraphqlErrorExtensions {
    code: Option<String>,
    field: Option<String>,
}

/// Runs one typed operation as the signed-in user (or anonymously).
///
/// An expired or revoked access token is refreshed once through the session cookie and the call
/// repeated; when that fails the session is over and the call is repeated anonymously, so public
/// operations (sign-in, health) never get stuck behind a dead token.
pub async fn run<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, PortalError> {
    let body = serde_json::to_value(Q::build_query(variables))
        .map_err(|error| PortalError::local(format!("Could not encode the request: {error}")))?;
    let token = session::access_token();
    let data = match post(&body, token.as_deref()).await {
        Err(error) if token.is_some() && error.has_code(UNAUTHENTICATED) => {
            let renewed = session::refresh().await;
            post(
                &body,
                renewed.then(session::access_token).flatten().as_deref(),
            )
            .await?
        }
        result => result?,
    };
    decode(data)
}

/// Runs an operation without the access token and without the refresh-and-retry: for the session
/// mutations themselves.
pub(crate) async fn run_anonymous<Q: GraphQLQuery>(
    variables: Q::Variables,
) -> Result<Q::ResponseData, PortalError> {
    let body = serde_json::to_value(Q::build_query(variables))
        .map_err(|error| PortalError::local(format!("Could not encode the request: {error}")))?;
    decode(post(&body, None).await?)
}

fn decode<T: DeserializeOwned>(data: Value) -> Result<T, PortalError> {
    serde_json::from_value(data).map_err(|error| {
        PortalError::local(format!(
            "The server's answer has an unexpected shape: {error}"
        ))
    })
}

/// Sends the request and returns the GraphQL `data`, or the first GraphQL error.
async fn post(body: &Value, token: Option<&str>) -> Result<Value, PortalError> {
    let mut request = Request::post(ENDPOINT).header(CSRF_HEADER, "1");
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request
        .json(body)
        .map_err(|error| PortalError::local(format!("Could not encode the request: {error}")))?
        .send()
        .await
        .map_err(|_| {
            PortalError::local("Could not reach the server. Check the connection and try again.")
        })?;

    let status = response.status();
    let answer: GraphqlResponse = response.json().await.map_err(|_| {
        PortalError::local(format!(
            "The server answered HTTP {status} without a GraphQL result."
        ))
    })?;
    if let Some(first) = answer.errors.into_iter().next() {
        let (code, field) = first.extensions.map_or((None, None), |extensions| {
            (extensions.code, extensions.field)
        });
        return Err(PortalError {
            message: first.message,
            code,
            field,
        });
    }
    answer
        .data
        .ok_or_else(|| PortalError::local("The server answered without data or errors."))
}
