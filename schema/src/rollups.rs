//! Daily rollups of the admin reports. Ledger and usage rows are only ever added, stamped with the
//! time they were written, so once a UTC day has closed its figures never change: a report computes a
//! closed day once, keeps it in `report_days` as JSON, and afterwards reads that row instead of the
//! day's raw rows. Days still open (and the partial days at the edges of a range) are computed live.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use fairydust_entities::report_days;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long after midnight a day counts as still open: a row's `created_at` is taken when its
/// transaction starts, so rows of the day before may still commit for a moment after midnight.
pub const SETTLE: Duration = Duration::minutes(10);

pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

/// The first instant of the days that are not closed yet.
pub fn open_from(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = midnight(now.date_naive());
    if now - today >= SETTLE {
        today
    } else {
        today - Duration::days(1)
    }
}

/// The `count` most recent closed days, oldest first: what a server fills ahead of the reports.
pub fn recent_closed_days(now: DateTime<Utc>, count: u32) -> Vec<NaiveDate> {
    let first_open = open_from(now).date_naive();
    (1..=i64::from(count))
        .rev()
        .map(|back| first_open - Duration::days(back))
        .collect()
}

/// How long until the next day closes (when the next fill has something new to do).
pub fn until_next_close(now: DateTime<Utc>) -> std::time::Duration {
    (open_from(now) + Duration::days(1) + SETTLE - now)
        .to_std()
        .unwrap_or_default()
}

/// A range `[from, to)` cut into the whole closed days it covers, read from the rollups, and the
/// stretches computed live: a partial first day, a partial last day, what is still open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub closed_days: Vec<NaiveDate>,
    pub live: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

pub fn split(from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) -> Split {
    let mut result = Split::default();
    if to <= from {
        return result;
    }
    let first_whole = if midnight(from.date_naive()) == from {
        from.date_naive()
    } else {
        from.date_naive() + Duration::days(1)
    };
    let closed_until = open_from(now).min(to);
    let mut day = first_whole;
    while midnight(day + Duration::days(1)) <= closed_until {
        result.closed_days.push(day);
        day += Duration::days(1);
    }
    // What the whole closed days leave uncovered at each end.
    let (covered_from, covered_to) = match (result.closed_days.first(), result.closed_days.last()) {
        (Some(first), Some(last)) => (midnight(*first), midnight(*last + Duration::days(1))),
        _ => (to, to),
    };
    if from < covered_from {
        result.live.push((from, covered_from.min(to)));
    }
    if covered_to < to && covered_from < to {
        result.live.push((covered_to, to));
    }
    result
}

/// The figures of `days` (all closed) for `report`: stored ones are read, missing ones are computed
/// with one call of `compute` over the span they cover, stored, and returned. `compute` answers per
/// day for `[from, to)`; a day it leaves out had no activity.
pub async fn closed_days<T, E, F, Fut>(
    db: &DatabaseConnection,
    report: &'static str,
    days: &[NaiveDate],
    compute: F,
) -> Result<BTreeMap<NaiveDate, T>, E>
where
    T: Serialize + DeserializeOwned + Default,
    E: From<DbErr>,
    F: FnOnce(DateTime<Utc>, DateTime<Utc>) -> Fut,
    Fut: Future<Output = Result<BTreeMap<NaiveDate, T>, E>>,
{
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(BTreeMap::new());
    };
    let stored = report_days::Entity::find()
        .filter(report_days::Column::Report.eq(report))
        .filter(report_days::Column::Day.gte(*first))
        .filter(report_days::Column::Day.lte(*last))
        .all(db)
        .await?;
    let mut found = BTreeMap::new();
    for row in stored {
        let figures = serde_json::from_str(&row.body)
            .map_err(|error| DbErr::Custom(format!("report_days {report} {}: {error}", row.day)))?;
        found.insert(row.day, figures);
    }
    let missing: Vec<NaiveDate> = days
        .iter()
        .copied()
        .filter(|day| !found.contains_key(day))
        .collect();
    let (Some(first_missing), Some(last_missing)) = (missing.first(), missing.last()) else {
        return Ok(found);
    };
    let mut computed = compute(
        midnight(*first_missing),
        midnight(*last_missing + Duration::days(1)),
    )
    .await?;
    let computed_at = fairydust_entities::now();
    let mut rows = Vec::with_capacity(missing.len());
    for day in missing {
        let figures = computed.remove(&day).unwrap_or_default();
        let body = serde_json::to_string(&figures)
            .map_err(|error| DbErr::Custom(format!("report_days {report} {day}: {error}")))?;
        rows.push(report_days::ActiveModel {
            report: Set(report.to_owned()),
            day: Set(day),
            body: Set(body),
            computed_at: Set(computed_at),
        });
        found.insert(day, figures);
    }
    // Two admins may fill the same day at once; both computed the same figures.
    for chunk in rows.chunks(100) {
        report_days::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
    }
    Ok(found)
}

/// Per-day figures of `[from, to)` as `split` cuts it: the closed whole days from their rollups
/// (computed and stored first when missing), the rest with `compute` live.
pub async fn per_day<T, E, F, Fut>(
    db: &DatabaseConnection,
    report: &'static str,
    split: &Split,
    compute: F,
) -> Result<BTreeMap<NaiveDate, T>, E>
where
    T: Serialize + DeserializeOwned + Default,
    E: From<DbErr>,
    F: Fn(DateTime<Utc>, DateTime<Utc>) -> Fut,
    Fut: Future<Output = Result<BTreeMap<NaiveDate, T>, E>>,
{
    let mut days = closed_days(db, report, &split.closed_days, &compute).await?;
    for (from, to) in &split.live {
        days.extend(compute(*from, *to).await?);
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_day_closes_a_moment_after_midnight() {
        assert_eq!(
            open_from(at("2026-12-02T00:05:00Z")),
            at("2026-12-01T00:00:00Z")
        );
        assert_eq!(
            open_from(at("2026-12-02T00:10:00Z")),
            at("2026-12-02T00:00:00Z")
        );
    }

    #[test]
    fn the_recent_closed_days_end_yesterday_once_today_settled() {
        assert_eq!(
            recent_closed_days(at("2026-12-02T15:00:00Z"), 2),
            vec![day("2026-11-30"), day("2026-12-01")]
        );
        assert_eq!(
            recent_closed_days(at("2026-12-02T00:05:00Z"), 1),
            vec![day("2026-11-30")]
        );
        assert!(recent_closed_days(at("2026-12-02T15:00:00Z"), 0).is_empty());
        assert_eq!(
            until_next_close(at("2026-12-02T00:05:00Z")),
            std::time::Duration::from_secs(5 * 60)
        );
        assert_eq!(
            until_next_close(at("2026-12-02T23:10:00Z")),
            std::time::Duration::from_secs(60 * 60)
        );
    }

    #[test]
    fn whole_closed_days_come_from_rollups_and_the_rest_is_live() {
        let now = at("2026-12-02T15:00:00Z");
        let found = split(at("2026-11-28T06:00:00Z"), now, now);
        assert_eq!(
            found.closed_days,
            vec![day("2026-11-29"), day("2026-11-30"), day("2026-12-01")]
        );
        assert_eq!(
            found.live,
            vec![
                (at("2026-11-28T06:00:00Z"), at("2026-11-29T00:00:00Z")),
                (at("2026-12-02T00:00:00Z"), now),
            ]
        );
    }

    #[test]
    fn a_range_of_midnights_in_the_past_is_all_rollups() {
        let found = split(
            at("2026-11-01T00:00:00Z"),
            at("2026-11-03T00:00:00Z"),
            at("2026-12-02T15:00:00Z"),
        );
        assert_eq!(
            found.closed_days,
            vec![day("2026-11-01"), day("2026-11-02")]
        );
        assert!(found.live.is_empty());
    }

    #[test]
    fn a_range_within_one_day_is_live() {
        let (from, to) = (at("2026-11-01T03:00:00Z"), at("2026-11-01T09:00:00Z"));
        let found = split(from, to, at("2026-12-02T15:00:00Z"));
        assert!(found.closed_days.is_empty());
        assert_eq!(found.live, vec![(from, to)]);
        let today = split(
            at("2026-12-02T01:00:00Z"),
            at("2026-12-03T00:00:00Z"),
            at("2026-12-02T15:00:00Z"),
        );
        assert!(today.closed_days.is_empty());
        assert_eq!(
            today.live,
            vec![(at("2026-12-02T01:00:00Z"), at("2026-12-03T00:00:00Z"))]
        );
    }
}
