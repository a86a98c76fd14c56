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

fn failed(reason: impl Into<String>) -> DeliveryError {
    DeliveryError::Failed {
        channel: "SMS",
        reason: reason.into(),
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
        let response = self
            .http
            .post(url)
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .form(&[
                ("To", to.as_str()),
                ("From", self.config.from_number.as_str()),
                ("Body", text),
            ])
            .send()
            .await
            .map_err(|error| failed(format!("request failed: {}", error.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // Twilio explains failures as {"code", "message", "more_info", "status"}.
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let reason = body["message"].as_str().unwrap_or("no explanation");
        Err(failed(format!("Twilio answered {status}: {reason}")))
    }
}
