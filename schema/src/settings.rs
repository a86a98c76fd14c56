//! The domain's tunables, taken from the server's configuration.

use std::time::Duration;

use rust_decimal::Decimal;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Production never falls back to the log sender for codes, nor to development secrets.
    pub production: bool,
    /// Key of the HMAC that one-time codes are stored under (derived from the JWT secret).
    pub otp_key: Vec<u8>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// DUST for day 1, 2, … of a daily-bonus streak; the last entry repeats.
    pub daily_bonus_table: Vec<i32>,
    /// LLM calls per user per app per minute.
    pub llm_user_rate_limit: u32,
    /// LLM calls per app per minute, all users together.
    pub llm_app_rate_limit: u32,
    pub llm: LlmSettings,
}

/// Platform bounds on LLM use, whatever an app's builder configures.
#[derive(Clone, Debug)]
pub struct LlmSettings {
    /// Characters of prompt (system and messages together) one `generateText` call may send.
    pub max_prompt_chars: usize,
    /// Tokens (prompt + completion) one `logLlmUsage` call may report.
    pub max_logged_tokens: i64,
    /// The highest cost limits (USD) a builder may set; only an admin can set an app above them.
    pub max_per_request_usd: Decimal,
    pub max_daily_usd: Decimal,
    pub max_monthly_usd: Decimal,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            max_prompt_chars: 200_000,
            max_logged_tokens: 200_000,
            max_per_request_usd: Decimal::from(1),
            max_daily_usd: Decimal::from(50),
            max_monthly_usd: Decimal::from(500),
        }
    }
}

impl Settings {
    pub fn for_secret(jwt_secret: &[u8], production: bool) -> Self {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(jwt_secret)
            .expect("HMAC takes any key length");
        mac.update(b"fairydust one-time codes v1");
        Self {
            production,
            otp_key: mac.finalize().into_bytes().to_vec(),
            access_token_ttl: Duration::from_secs(60 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            daily_bonus_table: vec![1, 2, 3, 4, 5],
            llm_user_rate_limit: 60,
            llm_app_rate_limit: 1_000,
            llm: LlmSettings::default(),
        }
    }
}
