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
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 13] = [
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
            ErrorCode::LlmUnavailable | ErrorCode::LlmNotConfigured => 503,
            ErrorCode::Internal => 500,
        }
    }
}

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
        ApiError::internal(&error)
    }
}

impl From<crate::cache::CacheError> for ApiError {
    fn from(error: crate::cache::CacheError) -> Self {
        ApiError::internal(&error)
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(error: crate::auth::AuthError) -> Self {
        use crate::auth::AuthError;
        match error {
            AuthError::Forbidden(_) => ApiError::forbidden(error.to_string()),
            AuthError::Cache(e) => ApiError::internal(&e),
            AuthError::Database(e) => ApiError::internal(&e),
            _ => ApiError::unauthenticated(error.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::ledger::LedgerError> for ApiError {
    fn from(error: crate::ledger::LedgerError) -> Self {
        use crate::ledger::LedgerError as E;
        let message = error.to_string();
        match error {
            E::UserNotFound | E::AppNotFound | E::ActionNotFound(_) | E::TransactionNotFound => {
                ApiError::new(ErrorCode::NotFound, message)
            }
            E::AppUnavailable => ApiError::new(ErrorCode::Forbidden, message),
            E::InsufficientDust { balance, required } => {
                ApiError::new(ErrorCode::InsufficientDust, message)
                    .with("balance", balance)
                    .with("required", required)
            }
            E::IdempotencyKeyReused => ApiError::new(ErrorCode::IdempotencyKeyReused, message),
            E::PriceAboveAgreed { required, max_dust } => {
                ApiError::new(ErrorCode::Conflict, message)
                    .with("reason", "PRICE_ABOVE_MAX_DUST")
                    .with("required", required)
                    .with("maxDust", max_dust)
            }
            E::InvalidInput(_) | E::NotRefundable => {
                ApiError::new(ErrorCode::BadUserInput, message)
            }
            E::AlreadyRefunded(_) | E::PaymentAlreadyRecorded(_) => {
                ApiError::new(ErrorCode::Conflict, message)
            }
            E::Database(e) => ApiError::internal(&e),
            E::Cache(e) => ApiError::internal(&e),
        }
    }
}

impl From<crate::identity::IdentityError> for ApiError {
    fn from(error: crate::identity::IdentityError) -> Self {
        use crate::identity::IdentityError as E;
        use crate::identity::delivery::DeliveryError;
        use crate::identity::oauth::OAuthError;
        use crate::identity::otp::OtpError;
        let message = error.to_string();
        match error {
            E::InvalidContact(_) | E::InvalidInput(_) => {
                ApiError::new(ErrorCode::BadUserInput, message)
            }
            E::ContactTaken
            | E::FairynameTaken
            | E::FairynameExhausted
            | E::IdentityLinkedElsewhere(_)
            | E::LastWayIn => ApiError::new(ErrorCode::Conflict, message),
            E::ProviderLinkRequired(_) => {
                ApiError::new(ErrorCode::Conflict, message).with("reason", "PROVIDER_LINK_REQUIRED")
            }
            E::UserNotFound | E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::RecentSignInRequired => ApiError::new(ErrorCode::Forbidden, message)
                .with("reason", "RECENT_SIGN_IN_REQUIRED"),
            E::AccountDisabled | E::InvalidRefreshToken | E::RefreshTokenReused => {
                ApiError::new(ErrorCode::Unauthenticated, message)
            }
            E::Otp(OtpError::RateLimited { retry_after }) => ApiError::rate_limited(retry_after),
            E::Otp(OtpError::WrongCode { attempts_left }) => {
                ApiError::new(ErrorCode::Unauthenticated, message)
                    .with("attemptsLeft", attempts_left)
            }
            E::Otp(OtpError::NoCode | OtpError::Burned) => {
                ApiError::new(ErrorCode::Unauthenticated, message)
            }
            E::Otp(OtpError::Cache(e)) | E::Cache(e) => ApiError::internal(&e),
            E::Delivery(DeliveryError::NotConfigured(channel)) => ApiError::bad_input(format!(
                "Sign-in by {channel} is not available on this server"
            )),
            // Not the client's fault and worth a retry; the message is safe, the cause was logged.
            E::Delivery(DeliveryError::Failed { .. }) => {
                ApiError::new(ErrorCode::Internal, message).with("retryable", true)
            }
            E::OAuth(OAuthError::NotConfigured(_)) => ApiError::bad_input(message),
            E::OAuth(OAuthError::Rejected { .. }) => {
                ApiError::new(ErrorCode::Unauthenticated, message)
            }
            E::OAuth(OAuthError::Unavailable { .. }) => {
                ApiError::new(ErrorCode::Internal, message).with("retryable", true)
            }
            E::Ledger(e) => e.into(),
            E::Database(e) => ApiError::internal(&e),
        }
    }
}

impl From<crate::profile::ProfileError> for ApiError {
    fn from(error: crate::profile::ProfileError) -> Self {
        use crate::profile::ProfileError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::TooManyPeople(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::Cache(e) => ApiError::internal(&e),
            E::Database(e) => ApiError::internal(&e),
        }
    }
}

impl From<crate::apps::AppsError> for ApiError {
    fn from(error: crate::apps::AppsError) -> Self {
        use crate::apps::AppsError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::InvalidField { field, .. } => {
                ApiError::new(ErrorCode::BadUserInput, message).with("field", field)
            }
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::Forbidden(_) => ApiError::new(ErrorCode::Forbidden, message),
            E::SlugTaken(_) => ApiError::new(ErrorCode::Conflict, message).with("field", "slug"),
            E::InvalidTransition { .. } => ApiError::new(ErrorCode::Conflict, message),
            E::RateLimited { retry_after } => ApiError::rate_limited(retry_after),
            E::Identity(e) => e.into(),
            E::Cache(e) => ApiError::internal(&e),
            E::Database(e) => ApiError::internal(&e),
        }
    }
}

impl From<crate::llm::LlmError> for ApiError {
    fn from(error: crate::llm::LlmError) -> Self {
        use crate::llm::LlmError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) | E::Rejected(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::InvalidConfig(error) => {
                ApiError::new(ErrorCode::BadUserInput, message).with("field", error.field)
            }
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::Forbidden(_) | E::AppUnavailable => ApiError::new(ErrorCode::Forbidden, message),
            E::NotConfigured(_) => ApiError::new(ErrorCode::LlmNotConfigured, message),
            E::Unavailable { attempts } => ApiError::new(ErrorCode::LlmUnavailable, message)
                .with("attempts", attempts.len() as u64),
            E::RateLimited { retry_after } => ApiError::rate_limited(retry_after),
            E::CostLimitReached { retry_after, .. } => {
                ApiError::new(ErrorCode::RateLimited, message).with("retryAfter", retry_after)
            }
            E::InProgress => ApiError::new(ErrorCode::Conflict, message),
            E::Ledger(e) => e.into(),
            E::Cache(e) => ApiError::internal(&e),
            E::Database(e) => ApiError::internal(&e),
        }
    }
}

impl From<crate::content::ContentError> for ApiError {
    fn from(error: crate::content::ContentError) -> Self {
        use crate::content::ContentError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::Unsafe(_) => {
                ApiError::new(ErrorCode::BadUserInput, message).with("reason", "unsafe_content")
            }
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::RateLimited { retry_after, .. } | E::TooManyWrites { retry_after } => {
                ApiError::new(ErrorCode::RateLimited, message).with("retryAfter", retry_after)
            }
            E::Llm(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Profile(e) => e.into(),
            E::Cache(e) => ApiError::internal(&e),
            E::Database(e) => ApiError::internal(&e),
        }
    }
}

impl From<crate::questions::QuestionsError> for ApiError {
    fn from(error: crate::questions::QuestionsError) -> Self {
        use crate::questions::QuestionsError as E;
        let message = error.to_string();
        match error {
            E::InvalidInput(_) => ApiError::new(ErrorCode::BadUserInput, message),
            E::NotFound(_) | E::QuestionNotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::QuestionIdTaken(_) | E::QuestionHasAnswers(_) => {
                ApiError::new(ErrorCode::Conflict, message)
            }
            E::Profile(e) => e.into(),
            E::Ledger(e) => e.into(),
            E::Cache(e) => ApiError::internal(&e),
            E::Database(e) => ApiError::internal(&e),
        }
    }
}
