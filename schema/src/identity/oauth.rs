//! What the identity domain needs from an OAuth provider: a verified statement of who the user is.
//! The HTTP clients that produce it (JWKS checks, code exchange, Graph API) live in the server crate.

use async_graphql::Enum;
use async_trait::async_trait;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "OAuthProvider")]
pub enum OAuthProvider {
    Google,
    Apple,
    Facebook,
}

impl OAuthProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthProvider::Google => "google",
            OAuthProvider::Apple => "apple",
            OAuthProvider::Facebook => "facebook",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        [
            OAuthProvider::Google,
            OAuthProvider::Apple,
            OAuthProvider::Facebook,
        ]
        .into_iter()
        .find(|provider| provider.as_str() == stored)
    }
}

/// What the mobile app obtained from the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OAuthCredential {
    /// Google or Apple: an OpenID Connect ID token (JWT).
    IdToken(String),
    /// Facebook: a user access token.
    AccessToken(String),
    /// Google or Apple: an authorization code with its PKCE verifier.
    AuthorizationCode {
        code: String,
        code_verifier: String,
        redirect_uri: String,
    },
}

/// The provider's verified answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub provider: OAuthProvider,
    /// The provider's stable user id (`sub`, or Facebook's `id`).
    pub subject: String,
    pub email: Option<String>,
    /// Only a verified email may be linked to an existing account.
    pub email_verified: bool,
    pub name: Option<String>,
    pub picture_url: Option<String>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum OAuthError {
    #[error("Sign-in with {0} is not configured on this server")]
    NotConfigured(&'static str),
    /// Bad signature, wrong audience or issuer, expired, wrong nonce, unknown key, a token for
    /// another app: the client's credential is not acceptable.
    #[error("The {provider} credential was rejected: {reason}")]
    Rejected {
        provider: &'static str,
        reason: String,
    },
    /// The provider could not be reached or answered nonsense; the user may retry.
    #[error("{provider} is unavailable right now: {reason}")]
    Unavailable {
        provider: &'static str,
        reason: String,
    },
}

#[async_trait]
pub trait OAuthVerifier: Send + Sync {
    /// Verifies the credential with the provider. For ID tokens, `nonce` must match the token's `nonce`
    /// claim when the client sent one (Apple hashes it: the verifier accepts the SHA-256 hex as well).
    async fn verify(
        &self,
        provider: OAuthProvider,
        credential: OAuthCredential,
        nonce: Option<&str>,
    ) -> Result<VerifiedIdentity, OAuthError>;
}
