//! Code-delivery configuration: the email (Resend) and SMS (Twilio) providers for one-time codes,
//! read from `RESEND_*`/`EMAIL_FROM` and `TWILIO_*`.

use super::{ConfigError, Secret, Source};

/// Where one-time codes go. A provider is configured when its key is set; without one, development
/// writes codes to the log and production answers "not available".
#[derive(Clone, Debug, Default)]
pub struct DeliveryConfig {
    pub resend: Option<ResendConfig>,
    pub twilio: Option<TwilioConfig>,
}

#[derive(Clone, Debug)]
pub struct ResendConfig {
    pub api_key: Secret,
    pub base_url: String,
    /// The sender, e.g. `fairydust <codes@fairydust.fun>`.
    pub from: String,
}

#[derive(Clone, Debug)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: Secret,
    /// E.164 number or messaging service sender.
    pub from_number: String,
    pub base_url: String,
}

impl DeliveryConfig {
    pub(super) fn from_source(source: &Source<'_>) -> Result<Self, ConfigError> {
        let resend = match source.text("RESEND_API_KEY") {
            None => None,
            Some(api_key) => Some(ResendConfig {
                api_key: Secret::new(api_key),
                base_url: source.url("RESEND_BASE_URL", "https://api.resend.com")?,
                from: source
                    .text("EMAIL_FROM")
                    .unwrap_or_else(|| "fairydust <codes@fairydust.fun>".to_owned()),
            }),
        };
        let twilio = match source.text("TWILIO_ACCOUNT_SID") {
            None => None,
            Some(account_sid) => {
                let required = |name: &'static str| {
                    source.text(name).ok_or_else(|| {
                        ConfigError::new(name, "must be set when TWILIO_ACCOUNT_SID is")
                    })
                };
                Some(TwilioConfig {
                    account_sid,
                    auth_token: Secret::new(required("TWILIO_AUTH_TOKEN")?),
                    from_number: required("TWILIO_FROM_NUMBER")?,
                    base_url: source.url("TWILIO_BASE_URL", "https://api.twilio.com")?,
                })
            }
        };
        Ok(Self { resend, twilio })
    }
}
