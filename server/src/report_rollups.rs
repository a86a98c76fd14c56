//! Fills the admin reports' daily rollups before the first admin asks: at start-up for the last
//! `REPORT_ROLLUP_DAYS` closed days, then again each time a day closes. Without it the first report
//! of a day pays for computing the days it lacks (seconds at a million users). Every replica runs
//! it; a day two replicas compute at once is stored once.

use std::time::{Duration, Instant};

use chrono::Utc;
use fairydust_schema::{admin, llm, rollups};
use sea_orm::DatabaseConnection;

/// After a failure (the database restarting), try again sooner than the next day.
const RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

pub fn spawn(db: DatabaseConnection, days: u32) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            let wait = match fill(&db, days).await {
                Ok(()) => rollups::until_next_close(Utc::now()),
                Err(error) => {
                    tracing::warn!(%error, "report rollups not filled; trying again in 5 minutes");
                    RETRY_AFTER
                }
            };
            tokio::time::sleep(wait).await;
        }
    });
}

async fn fill(db: &DatabaseConnection, days: u32) -> Result<(), String> {
    let started = Instant::now();
    let now = Utc::now();
    let closed = rollups::recent_closed_days(now, days);
    admin::stats::fill_rollups(db, &closed, now)
        .await
        .map_err(|error| error.to_string())?;
    llm::platform_usage::fill_rollups(db, &closed)
        .await
        .map_err(|error| error.to_string())?;
    tracing::info!(
        days = closed.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "report rollups ready"
    );
    Ok(())
}
