use async_trait::async_trait;
use fairydust_schema::identity::contact::Phone;
use fairydust_schema::identity::delivery::{DeliveryError, SmsSender};

use crate::config::TwilioConfig;

/// SMS through Twilio: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic auth.
pub struct TwilioClient {
    http: reqwest::Client,
    config: TwilioConfig,
}

impl TwilioClient {
    pub fn new(http: reqwest::Client, config: TwilioConfig) -> Self {
        Self { http, config }
    }
}

#[async_trait]
impl SmsSender for TwilioClient {
    async fn send_sms(&self, to: &Phone, text: &str) -> Result<(), DeliveryError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.config.base_url.trim_end_matches('/'),
            self.config.account_sid
        );
        let request = self
            .http
            .post(url)
            .basic_auth(
                &self.config.account_sid,
                Some(self.config.auth_token.expose()),
            )
            .form(&[
                ("To", to.as_str()),
                ("From", self.config.from_number.as_str()),
                ("Body", text),
            ]);
        // Twilio explains failures as {"code", "message", "more_info", "status"}.
        super::send(request, "Twilio", "SMS").await
    }
}
