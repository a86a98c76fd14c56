use super::contact::ContactError;
use super::delivery::DeliveryError;
use super::oauth::OAuthError;
use super::otp::OtpError;
use crate::cache::CacheError;
use crate::error::{ApiError, ErrorCode};
use crate::ledger::LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    InvalidContact(#[from] ContactError),
    #[error("{0}")]
    InvalidInput(String),
    #[error("That email address or phone number belongs to another account")]
    ContactTaken,
    #[error(
        "Changing a sign-in address needs a recent sign-in: sign in again on this device (within 10 minutes) and retry"
    )]
    RecentSignInRequired,
    #[error("That fairyname is taken")]
    FairynameTaken,
    #[error("Could not find a free fairyname; try again")]
    FairynameExhausted,
    #[error("User not found")]
    UserNotFound,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("This account is disabled")]
    AccountDisabled,
    #[error("The refresh token is invalid or expired; sign in again")]
    InvalidRefreshToken,
    #[error("This refresh token was already used; the session has been signed out for safety")]
    RefreshTokenReused,
    #[error("This {0} account is already linked to another fairydust account")]
    IdentityLinkedElsewhere(&'static str),
    #[error(
        "An account with this email already exists. Sign in with your email or phone, then link {0} from your account"
    )]
    ProviderLinkRequired(&'static str),
    #[error(
        "This is your last way to sign in; add an email, a phone number or another provider first"
    )]
    LastWayIn,
    #[error(transparent)]
    Otp(#[from] OtpError),
    #[error("We could not send the code right now; please try again in a moment")]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

/// How this domain's errors reach clients: one stable code each (see `crate::error::ErrorCode`).
impl From<IdentityError> for ApiError {
    fn from(error: IdentityError) -> Self {
        use crate::identity::delivery::DeliveryError;
        use crate::identity::oauth::OAuthError;
        use crate::identity::otp::OtpError;
        use IdentityError as E;
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
            E::Otp(OtpError::Cache(e)) | E::Cache(e) => e.into(),
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
            E::Database(e) => e.into(),
        }
    }
}
