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

fn failed(reason: impl Into<String>) -> DeliveryError {
    DeliveryError::Failed {
        channel: "email",
        reason: reason.into(),
    }
}

#[async_trait]
impl EmailSender for ResendClient {
    async fn send_email(&self, to: &Email, message: &EmailMessage) -> Result<(), DeliveryError> {
        let response = self
            .http
            .post(format!(
                "{}/emails",
                self.config.base_url.trim_end_matches('/')
            ))
            .bearer_auth(&self.config.api_key)
            .json(&json!({
                "from": self.config.from,
                "to": [to.as_str()],
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
            }))
            .send()
            .await
            .map_err(|error| failed(format!("request failed: {}", error.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // Resend explains failures as {"name", "message", "statusCode"}; keep the message, never the key.
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let reason = body["message"].as_str().unwrap_or("no explanation");
        Err(failed(format!("Resend answered {status}: {reason}")))
    }
}
