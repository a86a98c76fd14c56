//! The domain's tunables, taken from the server's configuration.

use std::time::Duration;

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
    /// New apps are approved at once; when false they wait as `pending` for an admin's review.
    pub app_auto_approve: bool,
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
            app_auto_approve: true,
        }
    }
}
