//! Small validators shared by several domains.

/// An absolute http(s) URL of at most 2 048 bytes (no `javascript:`, no relative paths).
pub fn http_url(field: &str, url: &str) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    let valid = (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if valid {
        Ok(())
    } else {
        Err(format!("{field} must be an http(s) URL"))
    }
}

/// A trimmed text of 1..=max characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(format!("{field} must be 1–{max} characters"));
    }
    Ok(value.to_owned())
}

/// `[a-z0-9_]{1,max}`: action names, field names, categories.
pub fn snake_slug(field: &str, value: &str, max: usize) -> Result<(), String> {
    let valid = (1..=max).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{field} must be 1–{max} characters of a–z, 0–9 and _"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(http_url("u", "https://example.com/icon.png").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x",
            "https://",
            "https:///path",
            "http://a b",
            "example.com",
        ] {
            assert!(http_url("u", bad).is_err(), "{bad}");
        }
    }
}
