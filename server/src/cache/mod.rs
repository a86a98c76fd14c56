//! The adapters behind the domains' [`Cache`](fairydust_schema::cache::Cache) port: [`RedisCache`]
//! for production, where several replicas share one Redis, and [`MemoryCache`] for the embedded
//! default, one process. Both pass the same behaviour checks (`tests.rs`). [`CountingCache`] counts the
//! calls (round trips) made through it, for tests.

mod counting;
mod memory;
mod redis_cache;

pub use counting::CountingCache;
pub use memory::{Clock, ManualClock, MemoryCache};
pub use redis_cache::RedisCache;

#[cfg(test)]
mod tests;
