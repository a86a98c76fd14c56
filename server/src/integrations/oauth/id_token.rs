//! OpenID Connect ID tokens from Google and Apple: RS256 signature against the provider's JWKS, then `iss`, `aud`,
//! `exp` and, when the client sent one, `nonce`.

use fairydust_schema::identity::oauth::{OAuthError, OAuthProvider, VerifiedIdentity};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::jwks::JwksCache;
use super::{not_configured, rejected};

/// Clock skew tolerated on `exp` between us and the provider.
const LEEWAY_SECONDS: u64 = 60;

pub(super) struct IdTokenVerifier {
    provider: OAuthProvider,
    audiences: Vec<String>,
    validation: Validation,
    jwks: JwksCache,
}

impl IdTokenVerifier {
    pub(super) fn new(
        provider: OAuthProvider,
        issuers: &[&str],
        audiences: Vec<String>,
        jwks: JwksCache,
    ) -> Self {
        // The algorithm is pinned here; the token header's `alg` is never trusted to choose it.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(issuers);
        validation.set_audience(&audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        Self {
            provider,
            audiences,
            validation,
            jwks,
        }
    }

    pub(super) fn provider(&self) -> OAuthProvider {
        self.provider
    }

    /// Without client ids there is no audience a token could be meant for: the provider is off.
    pub(super) fn ensure_configured(&self) -> Result<(), OAuthError> {
        if self.audiences.is_empty() {
            Err(not_configured(self.provider))
        } else {
            Ok(())
        }
    }

    pub(super) async fn verify(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<VerifiedIdentity, OAuthError> {
        self.ensure_configured()?;
        let header = decode_header(token).map_err(|_| {
            self.rejected("the token is not a well-formed JWT or names an unsupported algorithm")
        })?;
        if header.alg != Algorithm::RS256 {
            return Err(self.rejected(format!(
                "the token is signed with {:?}; only RS256 is accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| self.rejected("the token header names no key (kid)"))?;
        let key = self.jwks.key(&kid).await?;
        let claims = decode::<IdTokenClaims>(token, &key, &self.validation)
            .map_err(|error| self.rejected(describe_validation_error(error.kind())))?
            .claims;

        if let Some(expected) = nonce {
            match claims.nonce.as_deref() {
                None => {
                    return Err(self.rejected("the token carries no nonce but one was expected"));
                }
                Some(claimed) if !nonce_matches(claimed, expected) => {
                    return Err(self.rejected("the token's nonce does not match this sign-in"));
                }
                Some(_) => {}
            }
        }
        if claims.sub.trim().is_empty() {
            return Err(self.rejected("the token has an empty subject"));
        }
        Ok(VerifiedIdentity {
            provider: self.provider,
            subject: claims.sub,
            email_verified: claims.email.is_some()
                && claims
                    .email_verified
                    .as_ref()
                    .is_some_and(FlexibleBool::is_true),
            email: claims.email,
            name: claims.name,
            picture_url: claims.picture,
        })
    }

    fn rejected(&self, reason: impl Into<String>) -> OAuthError {
        rejected(self.provider, reason)
    }
}

/// Apple puts the SHA-256 hex of the client's raw nonce in the token; Google puts the raw value. Either matches.
fn nonce_matches(claimed: &str, expected: &str) -> bool {
    claimed == expected
        || claimed.eq_ignore_ascii_case(&hex::encode(Sha256::digest(expected.as_bytes())))
}

fn describe_validation_error(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidSignature => "the signature does not match the provider's key".to_owned(),
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::InvalidIssuer => "the token was not issued by this provider (iss)".to_owned(),
        ErrorKind::InvalidAudience => "the token was issued for another app (aud)".to_owned(),
        ErrorKind::InvalidAlgorithm => "the token's algorithm does not match its key".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token lacks the {claim} claim"),
        ErrorKind::InvalidClaimFormat(claim) => format!("the token's {claim} claim is malformed"),
        _ => "the token is malformed".to_owned(),
    }
}

#[derive(Deserialize)]
struct IdTokenClaims {
    sub: String,
    email: Option<String>,
    email_verified: Option<FlexibleBool>,
    nonce: Option<String>,
    name: Option<String>,
    picture: Option<String>,
}

/// Google sends `email_verified` as a JSON boolean, Apple as the string `"true"` or `"false"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum FlexibleBool {
    Bool(bool),
    Text(String),
}

impl FlexibleBool {
    fn is_true(&self) -> bool {
        match self {
            FlexibleBool::Bool(value) => *value,
            FlexibleBool::Text(text) => text.eq_ignore_ascii_case("true"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_matches_the_raw_value_or_its_sha256_hex() {
        let raw = "n-0S6_WzA2Mj";
        let hashed = hex::encode(Sha256::digest(raw.as_bytes()));
        assert!(nonce_matches(raw, raw));
        assert!(nonce_matches(&hashed, raw));
        assert!(nonce_matches(&hashed.to_ascii_uppercase(), raw));
        assert!(!nonce_matches("another", raw));
        assert!(!nonce_matches(&hashed, "another"));
    }

    #[test]
    fn email_verified_accepts_booleans_and_strings() {
        let parse = |json: &str| {
            serde_json::from_str::<FlexibleBool>(json)
                .unwrap()
                .is_true()
        };
        assert!(parse("true"));
        assert!(parse("\"true\""));
        assert!(!parse("false"));
        assert!(!parse("\"false\""));
    }
}
