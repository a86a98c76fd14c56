//! One-time codes (ARCHITECTURE §3): 6 digits from a CSPRNG, valid 10 minutes, stored only as an
//! HMAC, single use, compared in constant time, burned after 5 tries, throttled per identifier and per IP.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::delivery::Identifier;
use crate::cache::{Cache, CacheError, RateDecision, RateLimit};

pub const CODE_TTL: Duration = Duration::from_secs(10 * 60);
pub const MAX_ATTEMPTS: i64 = 5;
pub const PER_IDENTIFIER_MINUTE: RateLimit = RateLimit::per(1, Duration::from_secs(60));
pub const PER_IDENTIFIER_HOUR: RateLimit = RateLimit::per(5, Duration::from_secs(3600));
pub const PER_IP_HOUR: RateLimit = RateLimit::per(20, Duration::from_secs(3600));

/// What a code is for; codes for one purpose never verify another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    /// Proving control of a new email or phone for this user.
    ContactChange(uuid::Uuid),
}

impl Purpose {
    fn scope(&self) -> String {
        match self {
            Purpose::SignIn => "signin".to_owned(),
            Purpose::ContactChange(user) => format!("contact:{user}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    #[error("Too many codes requested; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("The code is wrong; {attempts_left} tries left")]
    WrongCode { attempts_left: i64 },
    #[error("There is no valid code for this address; request a new one")]
    NoCode,
    #[error("Too many wrong tries; request a new code")]
    Burned,
    #[error(transparent)]
    Cache(#[from] CacheError),
}

#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct StoredCode {
    /// HMAC of scope, identifier and code, hex.
    mac: String,
    expires_at: i64,
    /// Distinguishes this issue of a code from a later one with the same value.
    issue: String,
}

/// A freshly issued code. The code itself goes to the sender and nowhere else.
pub struct IssuedCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    pub resend_after: DateTime<Utc>,
}

fn code_key(purpose: &Purpose, identifier: &Identifier) -> String {
    format!("otp:{}:{}", purpose.scope(), identifier.as_str())
}

fn attempts_key(purpose: &Purpose, identifier: &Identifier) -> String {
    format!("otp-attempts:{}:{}", purpose.scope(), identifier.as_str())
}

fn mac(key: &[u8], purpose: &Purpose, identifier: &Identifier, code: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(purpose.scope().as_bytes());
    mac.update(b"\0");
    mac.update(identifier.as_str().as_bytes());
    mac.update(b"\0");
    mac.update(code.as_bytes());
    mac
}

fn refuse(decision: RateDecision) -> Result<(), OtpError> {
    match decision.retry_after_seconds() {
        Some(retry_after) => Err(OtpError::RateLimited { retry_after }),
        None => Ok(()),
    }
}

/// The per-IP throttle of code requests, for other sign-ins that cost a call to a third party
/// (a Facebook sign-in costs two Graph API calls under our app's quota). `scope` keeps the counts apart.
/// Counted per [`crate::cache::ip_bucket`] like code requests: an IPv6 client by its /64.
pub async fn throttle_ip(cache: &dyn Cache, scope: &str, ip: IpAddr) -> Result<(), OtpError> {
    let bucket = crate::cache::ip_bucket(ip);
    refuse(
        cache
            .hit(&format!("{scope}-rate:ip:{bucket}"), PER_IP_HOUR)
            .await?,
    )
}

/// Issues a new code (replacing any earlier one) if the throttles allow.
pub async fn issue(
    cache: &dyn Cache,
    otp_key: &[u8],
    purpose: &Purpose,
    identifier: &Identifier,
    ip: Option<IpAddr>,
) -> Result<IssuedCode, OtpError> {
    // The address's throttle is shared by every purpose: whoever asks, one address gets at most one
    // code a minute and five an hour. A contact change is also throttled per user, so one account
    // cannot probe or spam many addresses.
    if let Purpose::ContactChange(user) = purpose {
        refuse(
            cache
                .hit(
                    &format!("otp-rate:user-minute:{user}"),
                    PER_IDENTIFIER_MINUTE,
                )
                .await?,
        )?;
        refuse(
            cache
                .hit(&format!("otp-rate:user-hour:{user}"), PER_IDENTIFIER_HOUR)
                .await?,
        )?;
    }
    refuse(
        cache
            .hit(
                &format!("otp-rate:minute:{}", identifier.as_str()),
                PER_IDENTIFIER_MINUTE,
            )
            .await?,
    )?;
    refuse(
        cache
            .hit(
                &format!("otp-rate:hour:{}", identifier.as_str()),
                PER_IDENTIFIER_HOUR,
            )
            .await?,
    )?;
    if let Some(ip) = ip {
        let bucket = crate::cache::ip_bucket(ip);
        refuse(
            cache
                .hit(&format!("otp-rate:ip:{bucket}"), PER_IP_HOUR)
                .await?,
        )?;
    }

    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    let now = Utc::now();
    let expires_at = now + chrono::Duration::from_std(CODE_TTL).expect("ten minutes fit");
    let stored = StoredCode {
        mac: hex::encode(
            mac(otp_key, purpose, identifier, &code)
                .finalize()
                .into_bytes(),
        ),
        expires_at: expires_at.timestamp(),
        issue: uuid::Uuid::new_v4().simple().to_string(),
    };
    cache
        .set(
            &code_key(purpose, identifier),
            &serde_json::to_string(&stored).expect("serialisable"),
            CODE_TTL,
        )
        .await?;
    cache.delete(&attempts_key(purpose, identifier)).await?;
    Ok(IssuedCode {
        code,
        expires_at,
        resend_after: now + chrono::Duration::seconds(60),
    })
}

/// Forgets an issued code, e.g. when it could not be delivered.
pub async fn discard(
    cache: &dyn Cache,
    purpose: &Purpose,
    identifier: &Identifier,
) -> Result<(), OtpError> {
    cache.delete(&code_key(purpose, identifier)).await?;
    Ok(())
}

/// Checks a code and uses it up. Every try counts before the comparison, so even a burst of parallel
/// guesses gets at most five comparisons; the winning try takes the code atomically, so of two
/// parallel verifications with the right code exactly one succeeds.
pub async fn verify(
    cache: &dyn Cache,
    otp_key: &[u8],
    purpose: &Purpose,
    identifier: &Identifier,
    code: &str,
) -> Result<(), OtpError> {
    let key = code_key(purpose, identifier);
    let Some(raw) = cache.get(&key).await? else {
        return Err(OtpError::NoCode);
    };
    let Ok(stored) = serde_json::from_str::<StoredCode>(&raw) else {
        return Err(OtpError::NoCode);
    };

    let attempts = cache
        .increment(&attempts_key(purpose, identifier), 1, CODE_TTL)
        .await?;
    if attempts > MAX_ATTEMPTS {
        cache.delete(&key).await?;
        return Err(OtpError::Burned);
    }
    let expected = hex::decode(&stored.mac).unwrap_or_default();
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    let matches = well_formed
        && mac(otp_key, purpose, identifier, code)
            .verify_slice(&expected)
            .is_ok();
    if !matches {
        if attempts >= MAX_ATTEMPTS {
            cache.delete(&key).await?;
            return Err(OtpError::Burned);
        }
        return Err(OtpError::WrongCode {
            attempts_left: MAX_ATTEMPTS - attempts,
        });
    }
    // Only the request that takes this very issue of the code wins.
    match cache.take(&key).await? {
        Some(taken) if taken == raw => {
            cache.delete(&attempts_key(purpose, identifier)).await?;
            Ok(())
        }
        Some(newer) => {
            // A new code was issued meanwhile: put it back untouched.
            cache.set(&key, &newer, CODE_TTL).await?;
            Err(OtpError::NoCode)
        }
        None => Err(OtpError::NoCode),
    }
}
