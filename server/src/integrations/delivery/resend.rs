use async_trait::async_trait;
use fairydust_schema::identity::contact::Email;
use fairydust_schema::identity::delivery::{DeliveryError, EmailMessage, EmailSender};
use serde_json::json;

use crate::config::ResendConfig;

/// Email through Resend: `POST {base}/emails` with a bearer key.
pub struct ResendClient {
    http: reqwest::Client,
    config: ResendConfig,
}

impl ResendClient {
    pub fn new(http: reqwest::Client, config: ResendConfig) -> Self {
        Self { http, config }
    }
}

#[async_trait]
impl EmailSender for ResendClient {
    async fn send_email(&self, to: &Email, message: &EmailMessage) -> Result<(), DeliveryError> {
        let request = self
            .http
            .post(format!(
                "{}/emails",
                self.config.base_url.trim_end_matches('/')
            ))
            .bearer_auth(self.config.api_key.expose())
            .json(&json!({
                "from": self.config.from,
                "to": [to.as_str()],
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
            }));
        // Resend explains failures as {"name", "message", "statusCode"}.
        super::send(request, "Resend", "email").await
    }
}
