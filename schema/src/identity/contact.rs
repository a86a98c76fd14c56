//! Email addresses and phone numbers as normalised values: `A@X.com` and `a@x.com` are one user.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContactError {
    #[error("{0:?} is not a valid email address")]
    Email(String),
    #[error("{0:?} is not a valid phone number; use the international format, e.g. +14155550123")]
    Phone(String),
}

impl Email {
    /// Trims and lower-cases; requires one `@` with a dotted domain and no spaces, ≤ 320 bytes.
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 320
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && !domain.contains('@')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(email))
        } else {
            Err(ContactError::Email(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `j***@example.com`, for telling a user where a code went without revealing the address.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl Phone {
    /// E.164: `+`, a non-zero digit, 8–15 digits in all. Spaces, dashes, dots and parentheses are dropped.
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(compact))
        } else {
            Err(ContactError::Phone(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+1415•••0123`.
    pub fn masked(&self) -> String {
        let keep_start = 4.min(self.0.len());
        let keep_end = 4.min(self.0.len() - keep_start);
        format!(
            "{}•••{}",
            &self.0[..keep_start],
            &self.0[self.0.len() - keep_end..]
        )
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_to_one_form() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert_eq!(
            Email::parse("A@x.com").unwrap(),
            Email::parse("a@x.com").unwrap()
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.com",
            "ada@x",
            "ada@.com",
            "a b@x.com",
            "ada@x..com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            Phone::parse("+1 (415) 555-0123").unwrap().as_str(),
            "+14155550123"
        );
        for bad in [
            "4155550123",
            "+0123456789",
            "+1",
            "+1415555012345678",
            "+1415abc0123",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masks_hide_most_of_the_identifier() {
        assert_eq!(
            Email::parse("jane@example.com").unwrap().masked(),
            "j***@example.com"
        );
        assert_eq!(
            Phone::parse("+14155550123").unwrap().masked(),
            "+141•••0123"
        );
    }
}
