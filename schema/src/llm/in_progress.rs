//! The "still running" mark of a generation, keyed by user and idempotency key, so a retry that
//! arrives while the first request is still at the model answers CONFLICT instead of calling it twice.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::LlmError;
use crate::cache::Cache;

/// A generation holds its idempotency key this long at most, so a crashed request frees it.
pub const IN_PROGRESS_TTL: Duration = Duration::from_secs(180);

/// The cache key of the mark of `idempotency_key` for `user_id` in `scope`.
pub fn mark_key(scope: &str, user_id: Uuid, idempotency_key: &str) -> String {
    format!("{scope}-in-progress:{user_id}:{idempotency_key}")
}

/// Runs `work` as the only request of this user with this idempotency key (per `scope`, e.g. `llm` or
/// `story`): one that arrives meanwhile is CONFLICT; the mark goes when `work` ends, fails or is
/// cancelled. Callers look for an earlier result under the key first, so a finished request replays.
pub async fn exclusively<T, E: From<LlmError>>(
    cache: &Arc<dyn Cache>,
    scope: &str,
    user_id: Uuid,
    idempotency_key: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let key = mark_key(scope, user_id, idempotency_key);
    let running = InProgress::acquire(cache, key, IN_PROGRESS_TTL).await?;
    let result = work.await;
    running.release().await;
    result
}

/// Held while a generation runs. Released by [`InProgress::release`] at the end of the request, or
/// on drop when the request is cancelled (the client went away), so a retry need not wait for the TTL.
/// A release that fails is logged, never reported: the TTL frees the key, and the request's outcome
/// (a charge that committed, say) stands.
pub struct InProgress {
    cache: Arc<dyn Cache>,
    key: Option<String>,
}

impl InProgress {
    /// Marks `key` as running for at most `ttl`; CONFLICT (`InProgress`) when it already is.
    pub async fn acquire(
        cache: &Arc<dyn Cache>,
        key: String,
        ttl: Duration,
    ) -> Result<Self, LlmError> {
        if !cache.set_if_absent(&key, "1", ttl).await? {
            return Err(LlmError::InProgress);
        }
        Ok(Self {
            cache: cache.clone(),
            key: Some(key),
        })
    }

    /// Takes charge of a mark another step set (the gateway sets it with [`Cache::admit`]), to release
    /// it like one this type acquired.
    pub fn adopt(cache: &Arc<dyn Cache>, key: String) -> Self {
        Self {
            cache: cache.clone(),
            key: Some(key),
        }
    }

    /// Hands the release over to the caller, who deletes the key with other writes in one round trip:
    /// this guard no longer releases it.
    pub fn into_key(mut self) -> String {
        self.key.take().unwrap_or_default()
    }

    /// Releases the mark now, waiting for it, so the next request with this key sees it gone.
    pub async fn release(mut self) {
        if let Some(key) = self.key.take() {
            forget(&*self.cache, &key).await;
        }
    }
}

async fn forget(cache: &dyn Cache, key: &str) {
    if let Err(error) = cache.delete(key).await {
        tracing::warn!(%error, key, "could not release a generation mark; its TTL will");
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        // Drop cannot wait: release in the background (outside a runtime, the TTL does it).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let cache = self.cache.clone();
            runtime.spawn(async move { forget(&*cache, &key).await });
        }
    }
}
