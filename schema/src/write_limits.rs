//! One per-user throttle for the mutations that store content (`saveRecipe`, `syncRecipes`,
//! `createApp`): each is cheap alone, but a script calling them in a loop fills the database.

use std::time::Duration;

use uuid::Uuid;

use crate::cache::{Cache, CacheError, RateLimit};
use crate::settings::ContentLimits;

/// Counts one write; `Some(seconds)` when the user is over the limit and must wait.
pub async fn hit(
    cache: &dyn Cache,
    limits: &ContentLimits,
    user_id: Uuid,
) -> Result<Option<u64>, CacheError> {
    let limit = RateLimit::per(limits.writes_per_minute, Duration::from_secs(60));
    Ok(cache
        .hit(&format!("writes:{user_id}"), limit)
        .await?
        .retry_after_seconds())
}
