//! The standard JSON error body of non-GraphQL answers (ARCHITECTURE §4):
//! `{"error": true, "message", "status_code", "timestamp", "details"}`.
//!
//! Transport-level refusals on `/graphql` (too large, malformed, too many operations) use the same body
//! plus a GraphQL `errors` array, so both plain HTTP clients and GraphQL clients find what they expect.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fairydust_schema::error::ErrorCode;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ErrorBody {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    pub graphql: bool,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            details: json!({}),
            graphql: false,
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// Adds the GraphQL `errors` array (for answers on `/graphql`).
    pub fn for_graphql(mut self) -> Self {
        self.graphql = true;
        self
    }
}

impl IntoResponse for ErrorBody {
    fn into_response(self) -> Response {
        let mut details = self.details;
        if let Value::Object(map) = &mut details {
            map.insert("code".into(), json!(self.code.as_str()));
        }
        let mut body = json!({
            "error": true,
            "message": self.message,
            "status_code": self.status.as_u16(),
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "details": details,
        });
        if self.graphql {
            body["errors"] =
                json!([{ "message": self.message, "extensions": { "code": self.code.as_str() } }]);
        }
        (self.status, Json(body)).into_response()
    }
}

pub fn not_found() -> ErrorBody {
    ErrorBody::new(ErrorCode::NotFound, "No such route")
}
