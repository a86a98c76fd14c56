use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use fairydust_schema::cache::{
    Admission, Admitted, Cache, CacheError, RateDecision, RateLimit, Write,
};

/// Another cache seen through a counter of the calls made to it. Each call of the port is one round
/// trip to Redis (a script runs as one `EVALSHA`), so tests use it to prove how many round trips a
/// request costs.
#[derive(Clone)]
pub struct CountingCache {
    inner: Arc<dyn Cache>,
    calls: Arc<AtomicU64>,
}

impl CountingCache {
    pub fn new(inner: Arc<dyn Cache>) -> Self {
        Self {
            inner,
            calls: Arc::default(),
        }
    }

    /// Calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn count(&self) -> &dyn Cache {
        self.calls.fetch_add(1, Ordering::SeqCst);
        &*self.inner
    }
}

#[async_trait]
impl Cache for CountingCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.count().get(key).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, CacheError> {
        self.count().get_many(keys).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        self.count().set(key, value, ttl).await
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        self.count().set_if_absent(key, value, ttl).await
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.count().delete(key).await
    }

    async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.count().take(key).await
    }

    async fn increment(&self, key: &str, delta: i64, ttl: Duration) -> Result<i64, CacheError> {
        self.count().increment(key, delta, ttl).await
    }

    async fn hit(&self, key: &str, limit: RateLimit) -> Result<RateDecision, CacheError> {
        self.count().hit(key, limit).await
    }

    async fn unhit(&self, key: &str) -> Result<(), CacheError> {
        self.count().unhit(key).await
    }

    async fn admit(&self, admission: &Admission<'_>) -> Result<Admitted, CacheError> {
        self.count().admit(admission).await
    }

    async fn apply(&self, writes: &[Write<'_>]) -> Result<Vec<Option<i64>>, CacheError> {
        self.count().apply(writes).await
    }

    async fn publish(&self, channel: &str, message: &str) -> Result<(), CacheError> {
        self.count().publish(channel, message).await
    }

    async fn subscribe(&self, channel: &str) -> Result<BoxStream<'static, String>, CacheError> {
        self.count().subscribe(channel).await
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.count().ping().await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}
