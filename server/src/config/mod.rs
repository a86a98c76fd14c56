//! All configuration in one typed struct, read from the environment (and `.env` when present).
//! Every variable, its default and its meaning is listed in README.md; keep the two in step.
//!
//! The code-delivery providers are parsed in `delivery.rs` and re-exported here.

mod delivery;
mod llm;
mod secret;
#[cfg(test)]
mod tests;
mod transport;

pub use delivery::{DeliveryConfig, ResendConfig, TwilioConfig};
pub use secret::Secret;
pub use transport::{IpNetwork, WebSocketLimits, client_ip};

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use crate::integrations::config::IntegrationsConfig;

/// A development-only signing key. `ENVIRONMENT=production` refuses to start with it.
const DEVELOPMENT_JWT_SECRET: &str = "fairydust-development-secret-do-not-use-in-production";
const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    pub host: IpAddr,
    pub port: u16,
    /// `sqlite://fairydust.db?mode=rwc` unless `DATABASE_URL` is set.
    pub database_url: Secret,
    pub database_max_connections: u32,
    /// How long a statement waits for a pooled connection before answering `SERVICE_UNAVAILABLE`.
    pub database_acquire_timeout: Duration,
    /// `None`: the in-process cache, rate limiter and pub/sub of the embedded default.
    pub redis_url: Option<Secret>,
    pub redis_key_prefix: String,
    pub skip_migrations: bool,
    pub jwt_secret: Secret,
    /// Exact origins allowed to call the API from a browser; empty means same-origin only.
    pub allowed_origins: Vec<String>,
    pub graphql_introspection: bool,
    /// Serve GraphiQL at `/graphiql`.
    pub graphiql: bool,
    pub log_format: LogFormat,
    pub request_timeout: Duration,
    /// Where the built portals live (`<dir>/admin`, `<dir>/builder`).
    pub portals_dir: String,
    /// Proxies whose `X-Forwarded-For` entries are believed (`TRUSTED_PROXIES`, or loopback and
    /// private networks with the older `TRUST_FORWARDED_FOR=true`); empty: the peer is the client.
    pub trusted_proxies: Vec<IpNetwork>,
    pub delivery: DeliveryConfig,
    /// DUST for day 1, 2, … of a daily-bonus streak; the last entry repeats.
    pub daily_bonus_table: Vec<i32>,
    /// LLM calls per user per app per minute.
    pub llm_user_rate_limit: u32,
    /// LLM calls per app per minute, all users together.
    pub llm_app_rate_limit: u32,
    /// New apps are approved at once (default); when false they start pending admin review.
    pub app_auto_approve: bool,
    /// Platform bounds on LLM use: prompt size, logged tokens, the highest cost limits a builder may set.
    pub llm: fairydust_schema::settings::LlmSettings,
    /// How long roles and session state read from the database are trusted (1–30 s).
    pub role_cache: Duration,
    /// ID-token sign-ins must carry their nonce (`OAUTH_REQUIRE_NONCE`).
    pub oauth_require_nonce: bool,
    /// Seconds a rotated refresh token may be presented again without counting as reuse (0–60).
    pub refresh_reuse_grace: Duration,
    /// Per-user caps on profile facts, people and value size (`PROFILE_MAX_*`).
    pub profile_limits: fairydust_schema::settings::ProfileLimits,
    /// Per-user caps and write throttle for recipes and apps, and the content carried per page.
    pub content_limits: fairydust_schema::settings::ContentLimits,
    /// OAuth and LLM providers (see docs/INTEGRATIONS.md).
    pub integrations: IntegrationsConfig,
    pub websocket: WebSocketLimits,
    /// Bearer token that opens `/metrics` to callers other than loopback; `None`: loopback only.
    pub metrics_token: Option<Secret>,
    /// How many closed days of admin-report rollups the server fills ahead of the first admin who
    /// asks (at start-up, then each day as it closes); 0: only when a report asks.
    pub report_rollup_days: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self {
            variable,
            reason: reason.into(),
        }
    }
}

/// Reads variables: an empty one counts as unset, and a bad one names itself in the error.
pub(crate) struct Source<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Source<'_> {
    pub(crate) fn text(&self, name: &'static str) -> Option<String> {
        (self.lookup)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// A comma-separated list; empty items are dropped.
    pub(crate) fn list(&self, name: &'static str) -> Vec<String> {
        self.text(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An http(s) URL without a trailing slash.
    pub(crate) fn url(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        let raw = self.text(name).unwrap_or_else(|| default.to_owned());
        match reqwest::Url::parse(&raw) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                Ok(raw.trim_end_matches('/').to_owned())
            }
            _ => Err(ConfigError::new(
                name,
                format!("{raw:?} is not an http(s) URL"),
            )),
        }
    }

    pub(crate) fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.text(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| ConfigError::new(name, format!("cannot parse {raw:?}: {e}"))),
        }
    }

    pub(crate) fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.text(name).map(|raw| raw.to_ascii_lowercase()) {
            None => Ok(default),
            Some(raw) if ["1", "true", "yes", "on"].contains(&raw.as_str()) => Ok(true),
            Some(raw) if ["0", "false", "no", "off"].contains(&raw.as_str()) => Ok(false),
            Some(raw) => Err(ConfigError::new(
                name,
                format!("expected true or false, got {raw:?}"),
            )),
        }
    }
}

fn parse_bonus_table(raw: Option<String>) -> Result<Vec<i32>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(vec![1, 2, 3, 4, 5]);
    };
    let invalid = || {
        ConfigError::new(
            "DAILY_BONUS_TABLE",
            format!("expected 1–30 comma-separated amounts of 1–1000, got {raw:?}"),
        )
    };
    let table: Vec<i32> = raw
        .split(',')
        .map(|part| part.trim().parse::<i32>())
        .collect::<Result<_, _>>()
        .map_err(|_| invalid())?;
    if table.is_empty()
        || table.len() > 30
        || table.iter().any(|amount| !(1..=1000).contains(amount))
    {
        return Err(invalid());
    }
    Ok(table)
}

impl Config {
    pub fn database_pool(&self) -> crate::db::PoolSettings {
        crate::db::PoolSettings {
            max_connections: self.database_max_connections,
            acquire_timeout: self.database_acquire_timeout,
        }
    }

    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    pub fn from_map(values: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| values.get(name).cloned())
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let source = Source { lookup };
        let environment = match source
            .text("ENVIRONMENT")
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "ENVIRONMENT",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let jwt_secret = source.text("JWT_SECRET");
        let allowed_origins: Vec<String> = source
            .text("ALLOWED_ORIGINS")
            .map(|raw| {
                raw.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let log_format = match source
            .text("LOG_FORMAT")
            .map(|f| f.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("text") | Some("pretty") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("expected text or json, got {other:?}"),
                ));
            }
        };

        if environment == Environment::Production {
            match &jwt_secret {
                None => return Err(ConfigError::new("JWT_SECRET", "must be set in production")),
                Some(secret) if secret.len() < MIN_JWT_SECRET_BYTES => {
                    return Err(ConfigError::new(
                        "JWT_SECRET",
                        format!("must be at least {MIN_JWT_SECRET_BYTES} bytes in production"),
                    ));
                }
                Some(secret) if secret == DEVELOPMENT_JWT_SECRET => {
                    return Err(ConfigError::new(
                        "JWT_SECRET",
                        "is the development default; set your own",
                    ));
                }
                Some(_) => {}
            }
            if allowed_origins.iter().any(|origin| origin == "*") {
                return Err(ConfigError::new(
                    "ALLOWED_ORIGINS",
                    "must list exact origins in production, not *",
                ));
            }
        }
        if let Some(origin) = allowed_origins
            .iter()
            .find(|o| *o != "*" && !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(ConfigError::new(
                "ALLOWED_ORIGINS",
                format!("{origin:?} is not an http(s) origin"),
            ));
        }

        let database_url = source
            .text("DATABASE_URL")
            .unwrap_or_else(|| "sqlite://fairydust.db?mode=rwc".to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let redis_url = source.text("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError::new(
                "REDIS_URL",
                "must start with redis:// or rediss://",
            ));
        }
        let request_timeout_seconds: u64 = source.parse("REQUEST_TIMEOUT_SECONDS", 30)?;
        if request_timeout_seconds == 0 {
            return Err(ConfigError::new(
                "REQUEST_TIMEOUT_SECONDS",
                "must be at least 1",
            ));
        }

        let delivery = DeliveryConfig::from_source(&source)?;
        if environment == Environment::Production
            && delivery.resend.is_none()
            && delivery.twilio.is_none()
        {
            return Err(ConfigError::new(
                "RESEND_API_KEY",
                "production needs an email (RESEND_API_KEY) or SMS (TWILIO_ACCOUNT_SID, …) provider for sign-in codes",
            ));
        }
        let daily_bonus_table = parse_bonus_table(source.text("DAILY_BONUS_TABLE"))?;
        let llm_user_rate_limit: u32 = source.parse("LLM_RATE_LIMIT_PER_MINUTE", 60)?;
        let llm_app_rate_limit: u32 = source.parse("LLM_APP_RATE_LIMIT_PER_MINUTE", 1_000)?;
        if llm_user_rate_limit == 0 || llm_app_rate_limit == 0 {
            return Err(ConfigError::new(
                "LLM_RATE_LIMIT_PER_MINUTE",
                "rate limits must be at least 1",
            ));
        }

        let llm = llm::from_source(&source)?;

        let role_cache_seconds: u64 = source.parse("ROLE_CACHE_SECONDS", 30)?;
        if !(1..=30).contains(&role_cache_seconds) {
            return Err(ConfigError::new(
                "ROLE_CACHE_SECONDS",
                "must be between 1 and 30",
            ));
        }

        let acquire_timeout_seconds: u64 = source.parse("DATABASE_ACQUIRE_TIMEOUT_SECONDS", 3)?;
        if !(1..=60).contains(&acquire_timeout_seconds) {
            return Err(ConfigError::new(
                "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
                "must be between 1 and 60",
            ));
        }

        let report_rollup_days: u32 = source.parse("REPORT_ROLLUP_DAYS", 31)?;
        if report_rollup_days > 366 {
            return Err(ConfigError::new(
                "REPORT_ROLLUP_DAYS",
                "must be between 0 and 366",
            ));
        }

        let refresh_reuse_grace_seconds: u64 = source.parse("REFRESH_REUSE_GRACE_SECONDS", 10)?;
        if refresh_reuse_grace_seconds > 60 {
            return Err(ConfigError::new(
                "REFRESH_REUSE_GRACE_SECONDS",
                "must be between 0 and 60",
            ));
        }

        let profile_limits = fairydust_schema::settings::ProfileLimits {
            max_facts: source.parse("PROFILE_MAX_FACTS", 500)?,
            max_people: source.parse("PROFILE_MAX_PEOPLE", 100)?,
            max_value_bytes: source.parse("PROFILE_MAX_VALUE_BYTES", 4 * 1024)?,
        };
        if profile_limits.max_facts == 0
            || profile_limits.max_people == 0
            || profile_limits.max_value_bytes < 16
        {
            return Err(ConfigError::new(
                "PROFILE_MAX_FACTS",
                "profile caps must be at least 1 (values at least 16 bytes)",
            ));
        }

        let content_limits = fairydust_schema::settings::ContentLimits {
            max_recipes_per_user: source.parse("MAX_RECIPES_PER_USER", 10_000)?,
            max_apps_per_builder: source.parse("MAX_APPS_PER_BUILDER", 50)?,
            writes_per_minute: source.parse("WRITE_RATE_LIMIT_PER_MINUTE", 60)?,
            max_page_content_bytes: source.parse("MAX_PAGE_CONTENT_BYTES", 32 * 1024 * 1024)?,
            sync_changes_per_call: source.parse("SYNC_CHANGES_PER_CALL", 500)?,
        };
        if content_limits.max_recipes_per_user == 0
            || content_limits.max_apps_per_builder == 0
            || content_limits.writes_per_minute == 0
            || content_limits.max_page_content_bytes == 0
            || content_limits.sync_changes_per_call == 0
        {
            return Err(ConfigError::new(
                "MAX_RECIPES_PER_USER",
                "recipe, app, write, page and sync limits must be at least 1",
            ));
        }

        let integrations =
            IntegrationsConfig::from_source(&source, environment == Environment::Production)?;

        Ok(Self {
            websocket: WebSocketLimits::from_source(&source)?,
            metrics_token: source.text("METRICS_TOKEN").map(Secret::new),
            report_rollup_days,
            oauth_require_nonce: source.flag("OAUTH_REQUIRE_NONCE", true)?,
            refresh_reuse_grace: Duration::from_secs(refresh_reuse_grace_seconds),
            profile_limits,
            content_limits,
            integrations,
            role_cache: Duration::from_secs(role_cache_seconds),
            delivery,
            daily_bonus_table,
            llm_user_rate_limit,
            llm_app_rate_limit,
            app_auto_approve: source.flag("APP_AUTO_APPROVE", true)?,
            llm,
            environment,
            host: source.parse("HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: source.parse("PORT", 8000)?,
            database_max_connections: source.parse("DATABASE_MAX_CONNECTIONS", 20)?.max(2),
            database_acquire_timeout: Duration::from_secs(acquire_timeout_seconds),
            database_url: Secret::new(database_url),
            redis_url: redis_url.map(Secret::new),
            redis_key_prefix: source
                .text("REDIS_KEY_PREFIX")
                .unwrap_or_else(|| "fairydust:".to_owned()),
            skip_migrations: source.flag("SKIP_MIGRATIONS", false)?,
            jwt_secret: Secret::new(
                jwt_secret.unwrap_or_else(|| DEVELOPMENT_JWT_SECRET.to_owned()),
            ),
            allowed_origins,
            graphql_introspection: source.flag("GRAPHQL_INTROSPECTION", true)?,
            graphiql: source.flag("GRAPHIQL", true)?,
            log_format,
            request_timeout: Duration::from_secs(request_timeout_seconds),
            portals_dir: source
                .text("PORTALS_DIR")
                .unwrap_or_else(|| "dist".to_owned()),
            trusted_proxies: transport::trusted_proxies(&source)?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    pub fn uses_development_secret(&self) -> bool {
        self.jwt_secret.expose() == DEVELOPMENT_JWT_SECRET
    }

    /// The domain's tunables.
    pub fn settings(&self) -> fairydust_schema::settings::Settings {
        let mut settings = fairydust_schema::settings::Settings::for_secret(
            self.jwt_secret.expose().as_bytes(),
            self.is_production(),
        );
        settings.daily_bonus_table = self.daily_bonus_table.clone();
        settings.llm_user_rate_limit = self.llm_user_rate_limit;
        settings.llm_app_rate_limit = self.llm_app_rate_limit;
        settings.oauth_require_nonce = self.oauth_require_nonce;
        settings.refresh_reuse_grace = self.refresh_reuse_grace;
        settings.profile = self.profile_limits;
        settings.content = self.content_limits;
        settings.app_auto_approve = self.app_auto_approve;
        settings.llm = self.llm.clone();
        settings
    }
}
