//! A provider's JSON Web Key Set, fetched over HTTP and kept in memory for as long as the provider's
//! `Cache-Control: max-age` allows. Providers rotate keys by publishing the new one before signing with it, so a
//! token naming a key we do not know triggers one refetch; a cooldown keeps forged `kid`s from making us hammer
//! the provider.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use fairydust_schema::identity::oauth::{OAuthError, OAuthProvider};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::{rejected, unavailable};
use crate::integrations::http::describe_transport_error;

/// How long keys stay cached when the provider sends no `max-age`.
const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);
/// Upper bound on a provider's `max-age`, so a misconfigured header cannot pin old keys for weeks.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// After a fetch, unknown key ids are refused without another fetch for this long.
const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(60);

pub(super) struct JwksCache {
    provider: OAuthProvider,
    url: String,
    http: reqwest::Client,
    unknown_kid_cooldown: Duration,
    cached: RwLock<Option<Arc<KeySet>>>,
    /// Held while fetching, so concurrent verifications wait for one fetch instead of each starting one.
    fetching: tokio::sync::Mutex<()>,
}

struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Instant,
    ttl: Duration,
}

impl KeySet {
    fn is_fresh(&self) -> bool {
        self.fetched_at.elapsed() < self.ttl
    }
}

impl JwksCache {
    pub(super) fn new(provider: OAuthProvider, url: String, http: reqwest::Client) -> Self {
        Self::with_unknown_kid_cooldown(provider, url, http, UNKNOWN_KID_COOLDOWN)
    }

    pub(super) fn with_unknown_kid_cooldown(
        provider: OAuthProvider,
        url: String,
        http: reqwest::Client,
        unknown_kid_cooldown: Duration,
    ) -> Self {
        Self {
            provider,
            url,
            http,
            unknown_kid_cooldown,
            cached: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The verification key named `kid`, from the cache or, when needed, from the provider.
    pub(super) async fn key(&self, kid: &str) -> Result<DecodingKey, OAuthError> {
        let current = self.current();
        if let Some(set) = &current
            && set.is_fresh()
        {
            if let Some(key) = set.keys.get(kid) {
                return Ok(key.clone());
            }
            if set.fetched_at.elapsed() < self.unknown_kid_cooldown {
                return Err(self.unknown_kid());
            }
        }
        let refreshed = self.refresh(current.map(|set| set.fetched_at)).await?;
        refreshed
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| self.unknown_kid())
    }

    fn current(&self) -> Option<Arc<KeySet>> {
        self.cached
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Fetches the key set unless another caller replaced the one fetched at `seen` while we waited.
    async fn refresh(&self, seen: Option<Instant>) -> Result<Arc<KeySet>, OAuthError> {
        let _fetching = self.fetching.lock().await;
        if let Some(set) = self.current()
            && seen.is_none_or(|seen| set.fetched_at > seen)
            && set.is_fresh()
        {
            return Ok(set);
        }
        let set = Arc::new(self.fetch().await?);
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&set));
        Ok(set)
    }

    async fn fetch(&self) -> Result<KeySet, OAuthError> {
        let provider = self.provider;
        let response = self.http.get(&self.url).send().await.map_err(|error| {
            unavailable(
                provider,
                format!(
                    "cannot fetch signing keys: {}",
                    describe_transport_error(error)
                ),
            )
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(
                provider,
                format!("signing keys answered HTTP {status}"),
            ));
        }
        let ttl = ttl_from_cache_control(response.headers());
        let body: JwkSetBody = response.json().await.map_err(|error| {
            unavailable(
                provider,
                format!(
                    "signing keys are not a JWK set: {}",
                    describe_transport_error(error)
                ),
            )
        })?;
        let keys: HashMap<String, DecodingKey> = body
            .keys
            .into_iter()
            .filter_map(Jwk::into_rs256_key)
            .collect();
        if keys.is_empty() {
            return Err(unavailable(
                provider,
                "the JWK set holds no RS256 signing key",
            ));
        }
        tracing::debug!(
            provider = provider.as_str(),
            keys = keys.len(),
            ttl_seconds = ttl.as_secs(),
            "JWKS fetched"
        );
        Ok(KeySet {
            keys,
            fetched_at: Instant::now(),
            ttl,
        })
    }

    fn unknown_kid(&self) -> OAuthError {
        rejected(
            self.provider,
            "the token is signed with a key the provider does not publish (unknown kid)",
        )
    }
}

fn ttl_from_cache_control(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|directive| {
            directive
                .trim()
                .strip_prefix("max-age=")?
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(DEFAULT_TTL, |seconds| {
            Duration::from_secs(seconds).min(MAX_TTL)
        })
}

#[derive(Deserialize)]
struct JwkSetBody {
    keys: Vec<Jwk>,
}

/// One entry of a JWK set; only what an RS256 verification key needs. Other key types are skipped, not errors,
/// so a provider adding an EC key does not break sign-in.
#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl Jwk {
    fn into_rs256_key(self) -> Option<(String, DecodingKey)> {
        let is_signing_key = self.usage.as_deref().is_none_or(|usage| usage == "sig");
        let is_rs256 = self.alg.as_deref().is_none_or(|alg| alg == "RS256");
        if self.kty != "RSA" || !is_signing_key || !is_rs256 {
            return None;
        }
        let key = DecodingKey::from_rsa_components(self.n.as_deref()?, self.e.as_deref()?).ok()?;
        Some((self.kid?, key))
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{CACHE_CONTROL, HeaderMap, HeaderValue};

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn max_age_sets_the_cache_lifetime_within_bounds() {
        assert_eq!(
            ttl_from_cache_control(&headers("public, max-age=21600, must-revalidate")),
            Duration::from_secs(21600)
        );
        assert_eq!(
            ttl_from_cache_control(&headers("max-age=0")),
            Duration::ZERO
        );
        assert_eq!(
            ttl_from_cache_control(&headers("max-age=99999999")),
            MAX_TTL
        );
        assert_eq!(ttl_from_cache_control(&headers("no-cache")), DEFAULT_TTL);
        assert_eq!(ttl_from_cache_control(&HeaderMap::new()), DEFAULT_TTL);
    }
}
