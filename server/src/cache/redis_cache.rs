use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSubSink};
use redis::{AsyncCommands, Script};
use tokio::sync::broadcast;

use fairydust_schema::cache::{
    Admission, Admit, Admitted, Cache, CacheError, RateDecision, RateLimit, Write,
};

const CHANNEL_CAPACITY: usize = 256;

/// Sliding-window log in one atomic script: drop hits older than the window, refuse when full (returning
/// the time until the oldest hit leaves the window), otherwise record this hit. Redis' own clock is used
/// so that replicas with skewed clocks agree.
const SLIDING_WINDOW: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, limit - count - 1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"#;

/// INCRBY that gives a new key its expiry, atomically.
const INCREMENT: &str = r#"
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"#;

/// [`Cache::admit`] in one atomic script: read the values, then refuse when the mark is set (1) or when
/// any window is full (2, with the microseconds until its oldest hit leaves), else count the attempt in
/// every window (scored by Redis' clock, as in `SLIDING_WINDOW`) and set the mark (0).
/// KEYS: the reads, the mark when ARGV[2] is 1, the windows. ARGV: the number of reads, whether there
/// is a mark, its TTL in ms, a unique id for the hits, then each window's length (µs) and limit.
const ADMIT: &str = r#"
local reads = tonumber(ARGV[1])
local values = {}
if reads > 0 then values = redis.call('MGET', unpack(KEYS, 1, reads)) end
local first = reads + 1
local mark = nil
if ARGV[2] == '1' then
  mark = KEYS[first]
  first = first + 1
  if redis.call('EXISTS', mark) == 1 then return {1, 0, values} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local a = 5
for i = first, #KEYS do
  local window = tonumber(ARGV[a])
  local limit = tonumber(ARGV[a + 1])
  a = a + 2
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local wait = window
    if oldest[2] then wait = tonumber(oldest[2]) + window - now end
    return {2, wait, values}
  end
end
a = 5
for i = first, #KEYS do
  local window = tonumber(ARGV[a])
  a = a + 2
  redis.call('ZADD', KEYS[i], now, now .. '-' .. ARGV[4] .. '-' .. i)
  redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000))
end
if mark then redis.call('SET', mark, '1', 'PX', ARGV[3]) end
return {0, 0, values}
"#;

/// [`Cache::apply`] in one script. ARGV: each write's opcode and arguments (`add` delta, `incr` delta
/// ttl-ms, `del`, `unhit`, `pub` channel message); KEYS: the key of each write that has one, in order.
const APPLY: &str = r#"
local answers = {}
local k, a, i = 1, 1, 0
while a <= #ARGV do
  local op = ARGV[a]
  i = i + 1
  answers[i] = false
  if op == 'add' then
    if redis.call('EXISTS', KEYS[k]) == 1 then answers[i] = redis.call('INCRBY', KEYS[k], ARGV[a + 1]) end
    k, a = k + 1, a + 2
  elseif op == 'incr' then
    local value = redis.call('INCRBY', KEYS[k], ARGV[a + 1])
    if value == tonumber(ARGV[a + 1]) then redis.call('PEXPIRE', KEYS[k], ARGV[a + 2]) end
    answers[i] = value
    k, a = k + 1, a + 3
  elseif op == 'del' then
    redis.call('DEL', KEYS[k])
    k, a = k + 1, a + 1
  elseif op == 'unhit' then
    redis.call('ZREMRANGEBYRANK', KEYS[k], -1, -1)
    k, a = k + 1, a + 1
  elseif op == 'pub' then
    redis.call('PUBLISH', ARGV[a + 1], ARGV[a + 2])
    a = a + 3
  else
    return redis.error_reply('unknown write ' .. op)
  end
end
return answers
"#;

/// The production cache: every replica shares one Redis. Keys and channels carry a prefix, so several
/// deployments (or test runs) can share a server.
#[derive(Clone)]
pub struct RedisCache {
    connection: ConnectionManager,
    prefix: String,
    sliding_window: Arc<Script>,
    increment: Arc<Script>,
    admit: Arc<Script>,
    apply: Arc<Script>,
    hub: Arc<PubSubHub>,
}

impl RedisCache {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(cache_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2);
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(cache_error)?;
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            sliding_window: Arc::new(Script::new(SLIDING_WINDOW)),
            increment: Arc::new(Script::new(INCREMENT)),
            admit: Arc::new(Script::new(ADMIT)),
            apply: Arc::new(Script::new(APPLY)),
            hub: Arc::new(PubSubHub {
                client,
                channels: Mutex::new(HashMap::new()),
                sink: tokio::sync::Mutex::new(None),
            }),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// Tells the domain whether Redis was out of reach (refused, dropped, timed out: worth answering
/// SERVICE_UNAVAILABLE and retrying) or answered with an error.
fn cache_error(error: redis::RedisError) -> CacheError {
    let unreachable = error.is_io_error()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || error.is_timeout();
    if unreachable {
        CacheError::Unavailable(error.to_string())
    } else {
        CacheError::Refused(error.to_string())
    }
}

fn millis(duration: Duration) -> u64 {
    (duration.as_millis() as u64).max(1)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self
            .connection
            .clone()
            .get(self.key(key))
            .await
            .map_err(cache_error)?)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = keys.iter().map(|key| self.key(key)).collect();
        Ok(redis::cmd("MGET")
            .arg(keys)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(cache_error)?)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let options =
            redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(millis(ttl)));
        let _: () = self
            .connection
            .clone()
            .set_options(self.key(key), value, options)
            .await
            .map_err(cache_error)?;
        Ok(())
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(millis(ttl)));
        let reply: Option<String> = self
            .connection
            .clone()
            .set_options(self.key(key), value, options)
            .await
            .map_err(cache_error)?;
        Ok(reply.is_some())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let _: () = self
            .connection
            .clone()
            .del(self.key(key))
            .await
            .map_err(cache_error)?;
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self
            .connection
            .clone()
            .get_del(self.key(key))
            .await
            .map_err(cache_error)?)
    }

    async fn increment(&self, key: &str, delta: i64, ttl: Duration) -> Result<i64, CacheError> {
        let value: i64 = self
            .increment
            .key(self.key(key))
            .arg(delta)
            .arg(millis(ttl))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(cache_error)?;
        Ok(value)
    }

    async fn hit(&self, key: &str, limit: RateLimit) -> Result<RateDecision, CacheError> {
        let window_micros = limit.window.as_micros() as u64;
        let (allowed, detail): (i64, i64) = self
            .sliding_window
            .key(self.key(key))
            .arg(window_micros)
            .arg(limit.limit)
            .arg(uuid::Uuid::new_v4().simple().to_string())
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(cache_error)?;
        Ok(if allowed == 1 {
            RateDecision::Allowed {
                remaining: detail.max(0) as u32,
            }
        } else {
            RateDecision::Limited {
                retry_after: Duration::from_micros(detail.max(0) as u64),
            }
        })
    }

    async fn unhit(&self, key: &str) -> Result<(), CacheError> {
        // Members are scored by time: the highest rank is the latest attempt.
        let _: i64 = self
            .connection
            .clone()
            .zremrangebyrank(self.key(key), -1, -1)
            .await
            .map_err(cache_error)?;
        Ok(())
    }

    async fn admit(&self, admission: &Admission<'_>) -> Result<Admitted, CacheError> {
        let mut invocation = self.admit.prepare_invoke();
        for key in &admission.reads {
            invocation.key(self.key(key));
        }
        if let Some((mark, _)) = admission.mark {
            invocation.key(self.key(mark));
        }
        for (key, _) in &admission.windows {
            invocation.key(self.key(key));
        }
        invocation
            .arg(admission.reads.len())
            .arg(u8::from(admission.mark.is_some()))
            .arg(admission.mark.map_or(1, |(_, ttl)| millis(ttl)))
            .arg(uuid::Uuid::new_v4().simple().to_string());
        for (_, limit) in &admission.windows {
            invocation
                .arg(limit.window.as_micros() as u64)
                .arg(limit.limit);
        }
        let (status, wait, values): (i64, i64, Vec<Option<String>>) = invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(cache_error)?;
        let decision = match status {
            0 => Admit::Admitted,
            1 => Admit::Busy,
            _ => Admit::Limited {
                retry_after: Duration::from_micros(wait.max(0) as u64),
            },
        };
        Ok(Admitted { values, decision })
    }

    async fn apply(&self, writes: &[Write<'_>]) -> Result<Vec<Option<i64>>, CacheError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = self.apply.prepare_invoke();
        for write in writes {
            match *write {
                Write::AddIfPresent { key, delta } => {
                    invocation.key(self.key(key)).arg("add").arg(delta);
                }
                Write::Increment { key, delta, ttl } => {
                    invocation
                        .key(self.key(key))
                        .arg("incr")
                        .arg(delta)
                        .arg(millis(ttl));
                }
                Write::Delete(key) => {
                    invocation.key(self.key(key)).arg("del");
                }
                Write::Unhit(key) => {
                    invocation.key(self.key(key)).arg("unhit");
                }
                Write::Publish { channel, message } => {
                    invocation.arg("pub").arg(self.key(channel)).arg(message);
                }
            }
        }
        invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(cache_error)
    }

    async fn publish(&self, channel: &str, message: &str) -> Result<(), CacheError> {
        let _: () = self
            .connection
            .clone()
            .publish(self.key(channel), message)
            .await
            .map_err(cache_error)?;
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<BoxStream<'static, String>, CacheError> {
        let channel = self.key(channel);
        let receiver = self.hub.subscribe(channel.clone()).await?;
        let listener = Listener {
            hub: self.hub.clone(),
            channel,
        };
        Ok(super::memory::broadcast_stream(receiver)
            .map(move |message| {
                let _listening = &listener;
                message
            })
            .boxed())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let _: String = redis::cmd("PING")
            .query_async(&mut self.connection.clone())
            .await
            .map_err(cache_error)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

/// Held by each subscriber's stream; dropping the stream releases the channel.
struct Listener {
    hub: Arc<PubSubHub>,
    channel: String,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let (hub, channel) = (self.hub.clone(), std::mem::take(&mut self.channel));
        // A task, so it runs after the receiver that sits next to this value in the stream is gone.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { hub.release(&channel).await });
        }
    }
}

/// One Redis pub/sub connection per process, fanned out to local subscribers, so a thousand open
/// subscriptions cost one connection rather than a thousand. If the connection drops, a reader task
/// reconnects and subscribes again to every channel that still has listeners.
struct PubSubHub {
    client: redis::Client,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
    sink: tokio::sync::Mutex<Option<PubSubSink>>,
}

impl PubSubHub {
    async fn subscribe(
        self: &Arc<Self>,
        channel: String,
    ) -> Result<broadcast::Receiver<String>, CacheError> {
        let (receiver, is_new) = {
            let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
            // An entry without receivers is still subscribed until its pending unsubscribe runs (which
            // then finds the new receiver and keeps it).
            match channels.get(&channel) {
                Some(sender) => (sender.subscribe(), false),
                None => {
                    let (sender, receiver) = broadcast::channel(CHANNEL_CAPACITY);
                    channels.insert(channel.clone(), sender);
                    (receiver, true)
                }
            }
        };
        if is_new {
            let mut sink = self.sink.lock().await;
            if sink.is_none() {
                *sink = Some(self.connect().await?);
            }
            if let Some(sink) = sink.as_mut() {
                sink.subscribe(&channel).await.map_err(cache_error)?;
            }
        }
        Ok(receiver)
    }

    /// Called when a local subscriber of `channel` went away: when it was the last one, forgets the
    /// channel and unsubscribes on Redis. Both happen under the sink lock, so a concurrent new
    /// subscriber either finds the entry still there (and it stays subscribed) or subscribes after
    /// this unsubscribe.
    async fn release(&self, channel: &str) {
        let mut sink = self.sink.lock().await;
        let unused = {
            let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
            let unused = channels
                .get(channel)
                .is_some_and(|sender| sender.receiver_count() == 0);
            if unused {
                channels.remove(channel);
            }
            unused
        };
        if unused && let Some(sink) = sink.as_mut() {
            // On failure the reconnect (which only subscribes channels with listeners) cleans up.
            if let Err(error) = sink.unsubscribe(channel).await {
                tracing::warn!(%error, channel, "redis unsubscribe failed");
            }
        }
    }

    /// Opens the shared connection and starts the task that dispatches its messages.
    ///
    /// Boxed with an explicit `Send` bound: the reader task reconnects through this function, and the
    /// compiler cannot infer auto traits through that cycle.
    fn connect(
        self: &Arc<Self>,
    ) -> futures_util::future::BoxFuture<'static, Result<PubSubSink, CacheError>> {
        let this = self.clone();
        Box::pin(async move { this.open().await })
    }

    async fn open(self: Arc<Self>) -> Result<PubSubSink, CacheError> {
        let (sink, mut stream) = self
            .client
            .get_async_pubsub()
            .await
            .map_err(cache_error)?
            .split();
        let hub = Arc::downgrade(&self);
        tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                let Some(hub) = hub.upgrade() else { return };
                let Ok(payload) = message.get_payload::<String>() else {
                    continue;
                };
                let channels = hub.channels.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(sender) = channels.get(message.get_channel_name()) {
                    let _ = sender.send(payload);
                }
            }
            if let Some(hub) = hub.upgrade() {
                tracing::warn!("redis pub/sub connection closed; reconnecting");
                hub.reconnect().await;
            }
        });
        Ok(sink)
    }

    async fn reconnect(self: Arc<Self>) {
        let mut sink = self.sink.lock().await;
        *sink = None;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let names: Vec<String> = {
                let channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
                channels
                    .iter()
                    .filter(|(_, s)| s.receiver_count() > 0)
                    .map(|(name, _)| name.clone())
                    .collect()
            };
            let attempt = async {
                let mut new_sink = self.connect().await?;
                for name in &names {
                    new_sink.subscribe(name).await.map_err(cache_error)?;
                }
                Ok::<_, CacheError>(new_sink)
            };
            match attempt.await {
                Ok(new_sink) => {
                    *sink = Some(new_sink);
                    return;
                }
                Err(error) => tracing::warn!(%error, "redis pub/sub reconnect failed; retrying"),
            }
        }
    }
}
