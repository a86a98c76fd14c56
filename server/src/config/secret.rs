//! One type for every credential the server holds (signing secret, provider keys, database and Redis
//! URLs that may carry a password), so none can reach a log line or an error message through `Debug`.

use std::fmt;

/// A credential: `Debug` prints `[redacted]`; the raw value only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the one place that hands it to the library or provider that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_output_never_shows_the_value() {
        let secret = Secret::new("postgres://app:hunter2@db/fairydust");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
        assert_eq!(secret.expose(), "postgres://app:hunter2@db/fairydust");
    }
}
