//! A small GraphQL client: same-origin `POST /graphql`, carrying the stored access token.

use std::fmt;

use gloo_net::http::Request;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::session;

/// Same origin: the portals are served by the API server, and the CSP allows no other.
const ENDPOINT: &str = "/graphql";

/// The server's `extensions.code` for a missing, expired, revoked or malformed access token.
const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

/// Why a GraphQL call failed, worded for the person using the portal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalError {
    /// The server's first GraphQL error message, or what went wrong on the way to it.
    pub message: String,
    /// The GraphQL `extensions.code` (e.g. `BAD_USER_INPUT`) when the server sent one.
    pub code: Option<String>,
}

impl PortalError {
    /// A failure the server did not describe with a GraphQL error, so there is no error code.
    pub(crate) fn local(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: None,
        }
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
}

/// Runs one GraphQL operation and decodes its `data` into `T`.
pub async fn graphql<T: DeserializeOwned>(query: &str, variables: Value) -> Result<T, PortalError> {
    let body = json!({ "query": query, "variables": variables });
    let token = session::access_token();
    let data = match post(&body, token.as_deref()).await {
        // The server refuses a whole request whose token is expired, revoked or malformed, even
        // for public fields such as the health check and sign-in. Such a token is useless: forget
        // it and ask again anonymously, so a stale session never locks anyone out of signing in.
        Err(error) if token.is_some() && error.code.as_deref() == Some(UNAUTHENTICATED) => {
            session::clear_tokens();
            post(&body, None).await?
        }
        result => result?,
    };
    serde_json::from_value(data).map_err(|error| {
        PortalError::local(format!(
            "The server's answer has an unexpected shape: {error}"
        ))
    })
}

/// Sends the request and returns the GraphQL `data`, or the first GraphQL error.
async fn post(body: &Value, token: Option<&str>) -> Result<Value, PortalError> {
    let mut request = Request::post(ENDPOINT);
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
        return Err(PortalError {
            message: first.message,
            code: first.extensions.and_then(|extensions| extensions.code),
        });
    }
    answer
        .data
        .ok_or_else(|| PortalError::local("The server answered without data or errors."))
}
