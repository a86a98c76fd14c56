//! Numbers as the builder reads them: USD from exact decimal strings, DUST, percentages.

/// 1 DUST is bought for 1 US cent.
pub const USD_PER_DUST: f64 = 0.01;

/// A USD amount with enough decimals to see the cost of a single request.
pub fn usd(value: f64) -> String {
    if value == 0.0 {
        "$0".into()
    } else if value >= 100.0 {
        format!("${value:.0}")
    } else if value >= 1.0 {
        format!("${value:.2}")
    } else {
        format!("${value:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

/// A decimal string from the server, shown as USD without losing its digits.
pub fn usd_text(decimal: &str) -> String {
    format!("${decimal}")
}

pub fn dust(amount: i64) -> String {
    if amount == 1 {
        "1 DUST".into()
    } else {
        format!("{amount} DUST")
    }
}

pub fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0)
}
