//! The open sockets of this replica, per user: enforces the per-user socket limit and wakes a user's
//! sockets when any replica announces that the user's sessions or roles changed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use fairydust_schema::auth::AUTH_CHANGED_CHANNEL;
use fairydust_schema::cache::Cache;
use futures_util::StreamExt;
use tokio::sync::Notify;
use uuid::Uuid;

/// A socket's id and the signal that makes it re-check its session.
type OpenSocket = (u64, Arc<Notify>);

pub struct SocketRegistry {
    max_per_user: usize,
    next_id: AtomicU64,
    sockets: Mutex<HashMap<Uuid, Vec<OpenSocket>>>,
}

/// A socket's place in the registry; dropping it (the socket closed) frees the place.
pub struct Registration {
    registry: Arc<SocketRegistry>,
    user_id: Uuid,
    id: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("Too many open sockets for this user (at most {0})")]
pub struct TooManySockets(pub usize);

impl SocketRegistry {
    pub fn new(max_per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            max_per_user,
            next_id: AtomicU64::new(0),
            sockets: Mutex::new(HashMap::new()),
        })
    }

    pub fn register(
        self: &Arc<Self>,
        user_id: Uuid,
        wake: Arc<Notify>,
    ) -> Result<Registration, TooManySockets> {
        let mut sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        let open = sockets.entry(user_id).or_default();
        if open.len() >= self.max_per_user {
            return Err(TooManySockets(self.max_per_user));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        open.push((id, wake));
        Ok(Registration {
            registry: self.clone(),
            user_id,
            id,
        })
    }

    fn wake_user(&self, user_id: Uuid) {
        let sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        for (_, wake) in sockets.get(&user_id).into_iter().flatten() {
            // A stored permit: a socket busy sending still re-checks right after.
            wake.notify_one();
        }
    }

    /// Listens to the auth-change announcements of every replica for as long as the registry lives.
    pub fn listen(self: &Arc<Self>, cache: Arc<dyn Cache>) {
        let registry = Arc::downgrade(self);
        tokio::spawn(listen(registry, cache));
    }
}

async fn listen(registry: Weak<SocketRegistry>, cache: Arc<dyn Cache>) {
    loop {
        match cache.subscribe(AUTH_CHANGED_CHANNEL).await {
            Ok(mut messages) => {
                while let Some(message) = messages.next().await {
                    let Some(registry) = registry.upgrade() else {
                        return;
                    };
                    if let Ok(user_id) = message.parse::<Uuid>() {
                        registry.wake_user(user_id);
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot subscribe to auth changes; retrying"),
        }
        if registry.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut sockets = self
            .registry
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(open) = sockets.get_mut(&self.user_id) {
            open.retain(|(id, _)| *id != self.id);
            if open.is_empty() {
                sockets.remove(&self.user_id);
            }
        }
    }
}
