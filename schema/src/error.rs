//! The error contract: one list of stable codes (ARCHITECTURE §4) and the single place where every domain error
//! becomes a GraphQL error.
//!
//! Resolvers return `Result<T, ApiError>`. `ApiError` deliberately has no `Display`, so async-graphql's blanket
//! `From<T: Display>` cannot turn it — or, through `?`, a domain error — into a codeless error by accident.

use async_graphql::{ErrorExtensionValues, Value};

/// The machine-readable codes clients branch on. Their names are an API contract: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    InsufficientDust,
    IdempotencyKeyReused,
    RateLimited,
    Conflict,
    PayloadTooLarge,
    QueryTooComplex,
    LlmUnavailable,
    LlmNotConfigured,
    /// The database or the cache cannot be reached right now; `retryAfter` says when to try again.
    ServiceUnavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::BadUserInput,
        ErrorCode::InsufficientDust,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::RateLimited,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::QueryTooComplex,
        ErrorCode::LlmUnavailable,
        ErrorCode::LlmNotConfigured,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::InsufficientDust => "INSUFFICIENT_DUST",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::LlmUnavailable => "LLM_UNAVAILABLE",
            ErrorCode::LlmNotConfigured => "LLM_NOT_CONFIGURED",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The HTTP status a non-GraphQL route answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::BadUserInput | ErrorCode::QueryTooComplex => 400,
            ErrorCode::InsufficientDust => 402,
            ErrorCode::IdempotencyKeyReused | ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::LlmUnavailable
            | ErrorCode::LlmNotConfigured
            | ErrorCode::ServiceUnavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// What `SERVICE_UNAVAILABLE` suggests: about the time a restarted Redis or PostgreSQL takes to answer.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;

/// An error on its way to a client: a code, a message safe to show, and optional extra fields.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub extensions: Vec<(&'static str, Value)>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            extensions: Vec::new(),
        }
    }

    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.extensions.push((key, value.into()));
        self
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self::new(
            ErrorCode::RateLimited,
            format!("Too many requests; try again in {retry_after_seconds} s"),
        )
        .with("retryAfter", retry_after_seconds)
    }

    /// A dependency (`"database"`, `"cache"`) is unreachable: worth a retry, nothing was changed by
    /// this request unless it said so. The cause is logged, never shown.
    pub fn unavailable(dependency: &str, cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::warn!(error = %cause, dependency, "dependency unavailable");
        Self::new(
            ErrorCode::ServiceUnavailable,
            format!("The {dependency} is unavailable; try again in a few seconds"),
        )
        .with("retryAfter", UNAVAILABLE_RETRY_AFTER_SECONDS)
    }

    /// Logs the cause with a reference id and hides it from the client.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let reference = uuid::Uuid::new_v4();
        tracing::error!(%reference, error = %cause, source = ?cause.source(), "internal error");
        Self::new(ErrorCode::Internal, "Internal server error")
            .with("reference", reference.to_string())
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", error.code.as_str());
        for (key, value) in error.extensions {
            extensions.set(key, value);
        }
        async_graphql::Error {
            message: error.message,
            source: None,
            extensions: Some(extensions),
        }
    }
}

/// Errors async-graphql raises itself (input coercion, missing context data) carry no code; they are the
/// client's fault unless a resolver said otherwise.
impl From<async_graphql::Error> for ApiError {
    fn from(error: async_graphql::Error) -> Self {
        let code = error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .and_then(|code| match code {
                Value::String(code) => ErrorCode::ALL.into_iter().find(|c| c.as_str() == code),
                _ => None,
            })
            .unwrap_or(ErrorCode::BadUserInput);
        ApiError::new(code, error.message)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        if crate::db_errors::is_unavailable(&error) {
            ApiError::unavailable("database", &error)
        } else {
            ApiError::internal(&error)
        }
    }
}

impl From<crate::cache::CacheError> for ApiError {
    fn from(error: crate::cache::CacheError) -> Self {
        if error.is_unavailable() {
            ApiError::unavailable("cache", &error)
        } else {
            ApiError::internal(&error)
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_are_unique_screaming_snake_case() {
        let names: std::collections::HashSet<&str> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        );
    }
}
