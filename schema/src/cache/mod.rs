//! Shared state that must survive across replicas: short-lived values (OTP codes, role caches, config caches),
//! atomic counters, rate limiters and publish/subscribe.
//!
//! This is the port the domains use; the adapters live with the rest of the infrastructure in the
//! server crate (`fairydust_server::cache`): `RedisCache` for production (several replicas share one
//! Redis) and `MemoryCache` for the embedded default (one process). Both pass the same test suite there.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::BoxStream;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The backing store could not be reached (refused, dropped, timed out): the request may succeed
    /// once it is back.
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    /// The store answered, with an error.
    #[error("cache refused the command: {0}")]
    Refused(String),
    #[error("cache value is not an integer: {0}")]
    NotAnInteger(String),
}

impl CacheError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CacheError::Unavailable(_))
    }
}

/// Reads a value the database also holds (a cached app, principal or answer): a cache that cannot
/// answer is a miss, logged, so an outage slows these paths down instead of failing them.
pub async fn get_or_miss(cache: &dyn Cache, key: &str) -> Option<String> {
    match cache.get(key).await {
        Ok(value) => value,
        Err(error) => {
            tracing::warn!(%error, key, "cache read failed; reading the database instead");
            None
        }
    }
}

/// Stores a copy of what the database holds; a failure only costs the next reader a database read.
pub async fn set_best_effort(cache: &dyn Cache, key: &str, value: &str, ttl: Duration) {
    if let Err(error) = cache.set(key, value, ttl).await {
        tracing::warn!(%error, key, "cache write failed; the next read goes to the database");
    }
}

/// The answer of a rate limiter for one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    Allowed {
        remaining: u32,
    },
    /// Refused; the earliest moment another attempt can succeed is `retry_after` away.
    Limited {
        retry_after: Duration,
    },
}

impl RateDecision {
    pub fn is_allowed(self) -> bool {
        matches!(self, RateDecision::Allowed { .. })
    }

    /// Whole seconds to wait, rounded up (never 0 for a refusal).
    pub fn retry_after_seconds(self) -> Option<u64> {
        match self {
            RateDecision::Allowed { .. } => None,
            RateDecision::Limited { retry_after } => {
                Some(retry_after.as_millis().div_ceil(1000).max(1) as u64)
            }
        }
    }
}

/// A rate limit: at most `limit` attempts within any rolling `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window: Duration,
}

/// The rate-limit bucket of a client address: the address itself for IPv4, its /64 for IPv6 (one
/// subscriber usually holds a whole /64, so per-address IPv6 buckets would be free to multiply).
pub fn ip_bucket(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1));
            format!("{network}/64")
        }
    }
}

impl RateLimit {
    pub const fn per(limit: u32, window: Duration) -> Self {
        Self { limit, window }
    }
}

/// What [`Cache::admit`] does, in one atomic step and one round trip: read some values, then count one
/// attempt against sliding windows and set an "in progress" mark — all of it, or none.
#[derive(Clone, Debug, Default)]
pub struct Admission<'a> {
    /// Keys whose values come back with the answer, as they were before this step.
    pub reads: Vec<&'a str>,
    /// A mark set (for its TTL) only when absent; when it is present the step is refused as
    /// [`Admit::Busy`] and nothing else changes.
    pub mark: Option<(&'a str, Duration)>,
    /// The windows this attempt counts against, together: when any is full, none counts
    /// ([`Admit::Limited`]) and the mark is not set.
    pub windows: Vec<(&'a str, RateLimit)>,
}

/// The answer of [`Cache::admit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// The values of [`Admission::reads`], in order (whatever the decision).
    pub values: Vec<Option<String>>,
    pub decision: Admit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// The windows counted the attempt and the mark is set.
    Admitted,
    /// The mark was already set: nothing changed.
    Busy,
    /// A window is full (the earliest moment one can succeed is `retry_after` away): nothing changed.
    Limited { retry_after: Duration },
}

/// One write of [`Cache::apply`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write<'a> {
    /// Adds `delta` to an integer that exists, keeping its TTL; an absent key stays absent (answer `None`).
    AddIfPresent { key: &'a str, delta: i64 },
    /// [`Cache::increment`].
    Increment {
        key: &'a str,
        delta: i64,
        ttl: Duration,
    },
    /// [`Cache::delete`].
    Delete(&'a str),
    /// [`Cache::unhit`].
    Unhit(&'a str),
    /// [`Cache::publish`].
    Publish { channel: &'a str, message: &'a str },
}

#[async_trait]
pub trait Cache: Send + Sync + 'static {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    /// Several gets in one round trip.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, CacheError>;
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError>;
    /// Sets the value only when the key is absent; true when it was set.
    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError>;
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Gets and deletes in one atomic step: of two concurrent takes, exactly one sees the value.
    async fn take(&self, key: &str) -> Result<Option<String>, CacheError>;
    /// Adds `delta` atomically and returns the new value; a new key starts at 0 and expires after `ttl`.
    async fn increment(&self, key: &str, delta: i64, ttl: Duration) -> Result<i64, CacheError>;
    /// Counts one attempt against a sliding-window limit, atomically; refused attempts are not counted.
    async fn hit(&self, key: &str, limit: RateLimit) -> Result<RateDecision, CacheError>;
    /// Gives back the most recent allowed attempt of `key` (a slot taken for work that then did not
    /// happen); nothing when the window is empty.
    async fn unhit(&self, key: &str) -> Result<(), CacheError>;
    /// Reads, counts against rate windows and sets a mark in one atomic step (see [`Admission`]): the
    /// front door of a priced model call in one round trip.
    async fn admit(&self, admission: &Admission<'_>) -> Result<Admitted, CacheError>;
    /// Runs `writes` in order in one round trip. Answers one entry per write: the new value of an
    /// `AddIfPresent` (`None` when the key was absent) or an `Increment`, `None` for the others.
    async fn apply(&self, writes: &[Write<'_>]) -> Result<Vec<Option<i64>>, CacheError>;
    async fn publish(&self, channel: &str, message: &str) -> Result<(), CacheError>;
    /// Messages published on `channel` from now on, from this or any other replica.
    async fn subscribe(&self, channel: &str) -> Result<BoxStream<'static, String>, CacheError>;
    /// Checks the backing store answers (readiness probe).
    async fn ping(&self) -> Result<(), CacheError>;
    /// "redis" or "memory", for health reports and logs.
    fn backend(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::ip_bucket;

    #[test]
    fn ipv6_addresses_share_their_slash_64_bucket() {
        let bucket = |raw: &str| ip_bucket(raw.parse().unwrap());
        assert_eq!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:2:ffff::9"));
        assert_ne!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:3::1"));
        assert_eq!(bucket("203.0.113.9"), "203.0.113.9");
        assert_eq!(bucket("::ffff:203.0.113.9"), "203.0.113.9");
    }
}
