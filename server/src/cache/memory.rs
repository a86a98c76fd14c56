use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;

use fairydust_schema::cache::{
    Admission, Admit, Admitted, Cache, CacheError, RateDecision, RateLimit, Write,
};

/// How many writes between sweeps of expired keys, so a long-running embedded server does not grow.
const SWEEP_EVERY: u64 = 1024;
const CHANNEL_CAPACITY: usize = 256;

/// Where the cache reads the time: the system's monotonic clock, or a [`ManualClock`] a test moves
/// forward instead of sleeping until a TTL or a rate window has passed.
#[derive(Clone, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(ManualClock),
}

impl Clock {
    fn now(&self) -> Instant {
        match self {
            Clock::System => Instant::now(),
            Clock::Manual(clock) => clock.now(),
        }
    }
}

/// A clock that stands still until told to move.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<Instant>>);

impl Default for ManualClock {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }
}

impl ManualClock {
    pub fn now(&self) -> Instant {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn advance(&self, by: Duration) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) += by;
    }
}

/// The in-process cache of the embedded default. Everything lives behind one mutex: the critical
/// sections are a hash lookup long, and it makes every operation trivially atomic.
#[derive(Default)]
pub struct MemoryCache {
    state: Mutex<State>,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
    clock: Clock,
}

#[derive(Default)]
struct State {
    values: HashMap<String, (String, Instant)>,
    windows: HashMap<String, VecDeque<Instant>>,
    writes: u64,
}

impl State {
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut (String, Instant)> {
        if self
            .values
            .get(key)
            .is_some_and(|(_, expires)| *expires <= now)
        {
            self.values.remove(key);
        }
        self.values.get_mut(key)
    }

    /// The window of `key` without the hits that left it: how many remain and when the oldest leaves.
    fn window(&mut self, key: &str, limit: RateLimit, now: Instant) -> &mut VecDeque<Instant> {
        let hits = self.windows.entry(key.to_owned()).or_default();
        while hits
            .front()
            .is_some_and(|first| now.duration_since(*first) >= limit.window)
        {
            hits.pop_front();
        }
        hits
    }

    /// `Some(retry_after)` when the window of `key` is full.
    fn full(&mut self, key: &str, limit: RateLimit, now: Instant) -> Option<Duration> {
        let hits = self.window(key, limit, now);
        (hits.len() >= limit.limit as usize).then(|| {
            let oldest = hits.front().copied().unwrap_or(now);
            limit.window.saturating_sub(now.duration_since(oldest))
        })
    }

    fn increment(
        &mut self,
        key: &str,
        delta: i64,
        ttl: Duration,
        now: Instant,
    ) -> Result<i64, CacheError> {
        let next = match self.live(key, now) {
            Some((value, _)) => {
                let current: i64 = value
                    .parse()
                    .map_err(|_| CacheError::NotAnInteger(value.clone()))?;
                let next = current + delta;
                *value = next.to_string();
                next
            }
            None => {
                self.values
                    .insert(key.to_owned(), (delta.to_string(), now + ttl));
                delta
            }
        };
        Ok(next)
    }

    fn after_write(&mut self, now: Instant) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.values.retain(|_, (_, expires)| *expires > now);
            self.windows.retain(|_, hits| {
                hits.back()
                    .is_some_and(|last| now.duration_since(*last) < Duration::from_secs(86_400))
            });
        }
    }
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_clock(clock: Clock) -> Self {
        Self {
            clock,
            ..Self::default()
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated, so poisoning is ignorable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self
            .state()
            .live(key, self.clock.now())
            .map(|(value, _)| value.clone()))
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, CacheError> {
        let now = self.clock.now();
        let mut state = self.state();
        Ok(keys
            .iter()
            .map(|key| state.live(key, now).map(|(value, _)| value.clone()))
            .collect())
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let now = self.clock.now();
        let mut state = self.state();
        state
            .values
            .insert(key.to_owned(), (value.to_owned(), now + ttl));
        state.after_write(now);
        Ok(())
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let now = self.clock.now();
        let mut state = self.state();
        if state.live(key, now).is_some() {
            return Ok(false);
        }
        state
            .values
            .insert(key.to_owned(), (value.to_owned(), now + ttl));
        state.after_write(now);
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.state().values.remove(key);
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        let now = self.clock.now();
        let mut state = self.state();
        let value = state.live(key, now).map(|(value, _)| value.clone());
        state.values.remove(key);
        Ok(value)
    }

    async fn increment(&self, key: &str, delta: i64, ttl: Duration) -> Result<i64, CacheError> {
        let now = self.clock.now();
        let mut state = self.state();
        let next = state.increment(key, delta, ttl, now)?;
        state.after_write(now);
        Ok(next)
    }

    async fn hit(&self, key: &str, limit: RateLimit) -> Result<RateDecision, CacheError> {
        let now = self.clock.now();
        let mut state = self.state();
        let decision = match state.full(key, limit, now) {
            Some(retry_after) => RateDecision::Limited { retry_after },
            None => {
                let hits = state.window(key, limit, now);
                hits.push_back(now);
                RateDecision::Allowed {
                    remaining: limit.limit - hits.len() as u32,
                }
            }
        };
        state.after_write(now);
        Ok(decision)
    }

    async fn unhit(&self, key: &str) -> Result<(), CacheError> {
        if let Some(hits) = self.state().windows.get_mut(key) {
            hits.pop_back();
        }
        Ok(())
    }

    async fn admit(&self, admission: &Admission<'_>) -> Result<Admitted, CacheError> {
        let now = self.clock.now();
        let mut state = self.state();
        let values = admission
            .reads
            .iter()
            .map(|key| state.live(key, now).map(|(value, _)| value.clone()))
            .collect();
        let busy = admission
            .mark
            .is_some_and(|(mark, _)| state.live(mark, now).is_some());
        let limited = if busy {
            None
        } else {
            admission
                .windows
                .iter()
                .find_map(|(key, limit)| state.full(key, *limit, now))
        };
        let decision = match (busy, limited) {
            (true, _) => Admit::Busy,
            (false, Some(retry_after)) => Admit::Limited { retry_after },
            (false, None) => {
                for (key, limit) in &admission.windows {
                    state.window(key, *limit, now).push_back(now);
                }
                if let Some((mark, ttl)) = admission.mark {
                    state
                        .values
                        .insert(mark.to_owned(), ("1".to_owned(), now + ttl));
                }
                Admit::Admitted
            }
        };
        state.after_write(now);
        Ok(Admitted { values, decision })
    }

    async fn apply(&self, writes: &[Write<'_>]) -> Result<Vec<Option<i64>>, CacheError> {
        let now = self.clock.now();
        let mut answers = Vec::with_capacity(writes.len());
        let mut messages = Vec::new();
        {
            let mut state = self.state();
            for write in writes {
                answers.push(match *write {
                    Write::AddIfPresent { key, delta } => match state.live(key, now) {
                        Some(_) => Some(state.increment(key, delta, Duration::ZERO, now)?),
                        None => None,
                    },
                    Write::Increment { key, delta, ttl } => {
                        Some(state.increment(key, delta, ttl, now)?)
                    }
                    Write::Delete(key) => {
                        state.values.remove(key);
                        None
                    }
                    Write::Unhit(key) => {
                        if let Some(hits) = state.windows.get_mut(key) {
                            hits.pop_back();
                        }
                        None
                    }
                    Write::Publish { channel, message } => {
                        messages.push((channel, message));
                        None
                    }
                });
            }
            state.after_write(now);
        }
        for (channel, message) in messages {
            self.publish(channel, message).await?;
        }
        Ok(answers)
    }

    async fn publish(&self, channel: &str, message: &str) -> Result<(), CacheError> {
        let channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = channels.get(channel) {
            // No receiver is not an error: nobody is listening right now.
            let _ = sender.send(message.to_owned());
        }
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<BoxStream<'static, String>, CacheError> {
        let receiver = {
            let mut channels = self
                .channels
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            channels.retain(|_, sender| sender.receiver_count() > 0);
            channels
                .entry(channel.to_owned())
                .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
                .subscribe()
        };
        Ok(broadcast_stream(receiver))
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

/// A broadcast receiver as a stream that skips messages a slow subscriber missed (as Redis pub/sub also
/// drops messages for clients that fall behind).
pub(super) fn broadcast_stream(
    receiver: broadcast::Receiver<String>,
) -> BoxStream<'static, String> {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(message) => return Some((message, receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}
