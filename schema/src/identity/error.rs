use super::contact::ContactError;
use super::delivery::DeliveryError;
use super::oauth::OAuthError;
use super::otp::OtpError;
use crate::cache::CacheError;
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
