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
    /// A refresh token rotated this recently may be presented once more without counting as reuse: two
    /// tabs of a portal (or a retried request) refreshing with the same cookie get a sibling token in
    /// the same session instead of signing the device out. Zero turns the grace off.
    pub refresh_reuse_grace: Duration,
    /// DUST for day 1, 2, … of a daily-bonus streak; the last entry repeats.
    pub daily_bonus_table: Vec<i32>,
    /// LLM calls per user per app per minute.
    pub llm_user_rate_limit: u32,
    /// LLM calls per app per minute, all users together.
    pub llm_app_rate_limit: u32,
    /// ID-token sign-ins must carry the nonce the app put in the provider request, so a token taken
    /// from elsewhere cannot be replayed.
    pub oauth_require_nonce: bool,
    pub profile: ProfileLimits,
    pub content: ContentLimits,
    /// New apps are approved at once; when false they wait as `pending` for an admin's review.
    pub app_auto_approve: bool,
    pub llm: LlmSettings,
}

/// Bounds on what one user can store and how much one answer can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentLimits {
    /// Live recipes per user.
    pub max_recipes_per_user: u64,
    /// Apps per builder.
    pub max_apps_per_builder: u64,
    /// `saveRecipe`, `syncRecipes` and `createApp` calls per user per minute, together.
    pub writes_per_minute: u32,
    /// Recipe content bytes one page (a `recipes` page or a `syncRecipes` answer) may carry; a page
    /// ends early (with `hasNextPage`/`hasMoreChanges`) rather than exceed it. At least one recipe
    /// always fits.
    pub max_page_content_bytes: u64,
    /// Changes per `syncRecipes` answer.
    pub sync_changes_per_call: u64,
}

impl Default for ContentLimits {
    fn default() -> Self {
        Self {
            max_recipes_per_user: 10_000,
            max_apps_per_builder: 50,
            writes_per_minute: 60,
            max_page_content_bytes: 32 * 1024 * 1024,
            sync_changes_per_call: 500,
        }
    }
}
/// Per-user caps on what the profile stores (and so on what every `aiContext` carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileLimits {
    /// Facts about the user, and separately facts about their people (all people together).
    pub max_facts: u64,
    pub max_people: u64,
    /// Bytes of one fact's JSON value.
    pub max_value_bytes: usize,
}

impl Default for ProfileLimits {
    fn default() -> Self {
        Self {
            max_facts: 500,
            max_people: 100,
            max_value_bytes: 4 * 1024,
        }
    }
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
            refresh_reuse_grace: Duration::from_secs(10),
            daily_bonus_table: vec![1, 2, 3, 4, 5],
            llm_user_rate_limit: 60,
            llm_app_rate_limit: 1_000,
            oauth_require_nonce: true,
            profile: ProfileLimits::default(),
            content: ContentLimits::default(),
            app_auto_approve: true,
            llm: LlmSettings::default(),
        }
    }
}
