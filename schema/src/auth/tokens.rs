use std::sync::Arc;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AuthError;

pub const TOKEN_TYPE_ACCESS: &str = "access";
const ISSUER: &str = "fairydust";
const AUDIENCE: &str = "fairydust-api";
/// Clock skew tolerated between replicas; small, since access tokens live only an hour.
const LEEWAY_SECONDS: u64 = 5;

/// The claims of an access token (ARCHITECTURE §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    /// The session (device) the token belongs to.
    pub sid: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub typ: String,
    pub roles: Vec<String>,
}

/// HS256 keys. The algorithm is pinned here, never read from the token header, so `alg=none` and
/// algorithm-confusion tokens are rejected. Cheap to clone (shared), as request state is cloned per request.
#[derive(Clone)]
pub struct TokenKeys(Arc<Keys>);

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }))
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        roles: Vec<String>,
        issued_at: DateTime<Utc>,
        lifetime: chrono::Duration,
    ) -> (String, AccessClaims) {
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            jti: Uuid::new_v4(),
            iat: issued_at.timestamp(),
            exp: (issued_at + lifetime).timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            typ: TOKEN_TYPE_ACCESS.to_owned(),
            roles,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
            .expect("HS256 encoding of serialisable claims cannot fail");
        (token, claims)
    }

    /// Signs arbitrary claims with the server key; tests use it to forge tokens of the wrong type.
    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.0.encoding)
            .expect("serialisable claims")
    }

    /// Checks signature, algorithm, issuer, audience, expiry and type.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let data = decode::<AccessClaims>(token, &self.0.decoding, &self.0.validation).map_err(
            |error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::InvalidToken,
            },
        )?;
        if data.claims.typ != TOKEN_TYPE_ACCESS {
            return Err(AuthError::WrongTokenType);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef")
    }

    fn issue(keys: &TokenKeys, issued_at: DateTime<Utc>) -> String {
        keys.issue_access(
            Uuid::new_v4(),
            Uuid::new_v4(),
            vec![],
            issued_at,
            chrono::Duration::hours(1),
        )
        .0
    }

    #[test]
    fn a_fresh_access_token_verifies() {
        let keys = keys();
        let token = issue(&keys, Utc::now());
        assert_eq!(keys.verify_access(&token).unwrap().typ, "access");
    }

    #[test]
    fn an_expired_token_is_rejected_as_expired() {
        let keys = keys();
        let token = issue(&keys, Utc::now() - chrono::Duration::hours(2));
        assert!(matches!(
            keys.verify_access(&token),
            Err(AuthError::Expired)
        ));
    }

    #[test]
    fn a_token_signed_with_another_key_is_rejected() {
        let other = TokenKeys::from_secret(b"another-secret-another-secret-xx");
        let token = issue(&other, Utc::now());
        assert!(matches!(
            keys().verify_access(&token),
            Err(AuthError::InvalidToken)
        ));
    }

    #[test]
    fn a_refresh_typed_token_cannot_call_the_api() {
        let keys = keys();
        let (_, mut claims) = keys.issue_access(
            Uuid::new_v4(),
            Uuid::new_v4(),
            vec![],
            Utc::now(),
            chrono::Duration::hours(1),
        );
        claims.typ = "refresh".into();
        assert!(matches!(
            keys.verify_access(&keys.sign(&claims)),
            Err(AuthError::WrongTokenType)
        ));
    }

    #[test]
    fn alg_none_is_rejected() {
        let keys = keys();
        let (_, claims) = keys.issue_access(
            Uuid::new_v4(),
            Uuid::new_v4(),
            vec![],
            Utc::now(),
            chrono::Duration::hours(1),
        );
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert!(
                matches!(keys.verify_access(&token), Err(AuthError::InvalidToken)),
                "{token}"
            );
        }
    }

    #[test]
    fn a_tampered_payload_is_rejected() {
        let keys = keys();
        let token = issue(&keys, Utc::now());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["roles"] = serde_json::json!(["admin"]);
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert!(matches!(
            keys.verify_access(&parts.join(".")),
            Err(AuthError::InvalidToken)
        ));
    }

    #[test]
    fn wrong_audience_or_issuer_is_rejected() {
        let keys = keys();
        let (_, mut claims) = keys.issue_access(
            Uuid::new_v4(),
            Uuid::new_v4(),
            vec![],
            Utc::now(),
            chrono::Duration::hours(1),
        );
        claims.aud = "someone-else".into();
        assert!(matches!(
            keys.verify_access(&keys.sign(&claims)),
            Err(AuthError::InvalidToken)
        ));
        claims.aud = AUDIENCE.into();
        claims.iss = "evil".into();
        assert!(matches!(
            keys.verify_access(&keys.sign(&claims)),
            Err(AuthError::InvalidToken)
        ));
    }
}
