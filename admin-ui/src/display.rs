//! How numbers and instants read on the admin screens. Instants are shown in UTC, as the date
//! pickers and the API's days are UTC.

/// `2026-12-01T22:41:12.345Z` → `2026-12-01 22:41`.
pub fn instant(value: &str) -> String {
    value.get(..16).unwrap_or(value).replacen('T', " ", 1)
}

/// `12345` → `12 345` (narrow no-break spaces: the thousands stay together on a phone).
pub fn grouped(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 1);
    if value < 0 {
        out.push('−');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(digit);
    }
    out
}

/// A DUST movement with its sign: `+10`, `−25`.
pub fn signed(value: i64) -> String {
    if value > 0 {
        format!("+{}", grouped(value))
    } else {
        grouped(value)
    }
}

/// A 0–1 share as `12.5 %`.
pub fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0)
}

/// An exact decimal from the server as dollars, e.g. `$1.2345`.
pub fn usd(decimal: &str) -> String {
    format!("${decimal}")
}

/// Axis labels for dollar charts.
pub fn usd_axis(value: f64) -> String {
    if value >= 100.0 {
        format!("${value:.0}")
    } else if value >= 1.0 {
        format!("${value:.2}")
    } else {
        format!("${value:.3}")
    }
}

/// Axis labels for counts.
pub fn count_axis(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        // Grid lines of small axes fall between whole numbers (2.5, 7.5).
        format!("{value:.1}")
    }
}

/// `?a=1&b=x%20y` from the pairs whose value is not blank; "" when none is.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(key, value)| {
            format!(
                "{key}={}",
                String::from(js_sys::encode_uri_component(value.trim()))
            )
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A shortened id for a narrow cell: the first 8 characters and an ellipsis.
pub fn short_id(id: &str) -> String {
    match id.get(..8) {
        Some(start) if id.len() > 9 => format!("{start}…"),
        _ => id.to_owned(),
    }
}

/// `Some(trimmed)` unless blank: optional filters.
pub fn given(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(grouped(-1000), "−1\u{202f}000");
        assert_eq!(signed(10), "+10");
        assert_eq!(instant("2026-12-01T22:41:12.345Z"), "2026-12-01 22:41");
    }
}
