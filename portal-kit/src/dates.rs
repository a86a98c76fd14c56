//! Date ranges for the analytics and usage screens: people pick UTC days; the API takes instants with
//! an exclusive end.

use wasm_bindgen::JsValue;

const DAY_MS: f64 = 24.0 * 60.0 * 60.0 * 1000.0;

/// Today's UTC date minus `days_ago`, as `YYYY-MM-DD`.
pub fn utc_day(days_ago: u32) -> String {
    let now = js_sys::Date::now() - f64::from(days_ago) * DAY_MS;
    iso(now)[..10].to_owned()
}

/// The start of a `YYYY-MM-DD` day, or `None` when it is not a date.
pub fn day_start(day: &str) -> Option<String> {
    millis(day).map(iso)
}

/// The start of the day after `day`: the exclusive end of a range that includes `day`.
pub fn day_end(day: &str) -> Option<String> {
    millis(day).map(|start| iso(start + DAY_MS))
}

fn millis(day: &str) -> Option<f64> {
    let time = js_sys::Date::parse(&format!("{day}T00:00:00Z"));
    (!time.is_nan()).then_some(time)
}

fn iso(millis: f64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(millis)).to_iso_string())
}

/// `2026-12-01T22:41:44.123Z` as `2026-12-01 22:41` (UTC), for tables.
pub fn short_time(instant: &str) -> String {
    match (instant.get(..10), instant.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time}"),
        _ => instant.to_owned(),
    }
}

/// The last `days` UTC days, oldest first, today included (`YYYY-MM-DD`).
pub fn last_days(days: u32) -> Vec<String> {
    (0..days).rev().map(utc_day).collect()
}
