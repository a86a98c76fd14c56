//! Delivering one-time codes: Resend (email) and Twilio (SMS) over HTTP, or — in development, when no
//! keys are set — the log.

mod log_sender;
mod resend;
mod twilio;

use std::sync::Arc;

use fairydust_schema::identity::contact::{Email, Phone};
use fairydust_schema::identity::delivery::{DeliveryError, EmailMessage, EmailSender, SmsSender};

pub use log_sender::LogSender;
pub use resend::ResendClient;
pub use twilio::TwilioClient;

use crate::config::{Config, DeliveryConfig};

/// The senders the configuration asks for. Production never uses the log sender (`Config` refuses a
/// production start with neither provider configured; a missing one answers "not available").
pub fn senders(
    config: &Config,
    http: &reqwest::Client,
) -> (Arc<dyn EmailSender>, Arc<dyn SmsSender>) {
    let delivery: &DeliveryConfig = &config.delivery;
    let email: Arc<dyn EmailSender> = match &delivery.resend {
        Some(resend) => Arc::new(ResendClient::new(http.clone(), resend.clone())),
        None if config.is_production() => Arc::new(Unavailable),
        None => Arc::new(LogSender),
    };
    let sms: Arc<dyn SmsSender> = match &delivery.twilio {
        Some(twilio) => Arc::new(TwilioClient::new(http.clone(), twilio.clone())),
        None if config.is_production() => Arc::new(Unavailable),
        None => Arc::new(LogSender),
    };
    (email, sms)
}

/// A channel with no provider in production.
struct Unavailable;

#[async_trait::async_trait]
impl EmailSender for Unavailable {
    async fn send_email(&self, _: &Email, _: &EmailMessage) -> Result<(), DeliveryError> {
        Err(DeliveryError::NotConfigured("email"))
    }
}

#[async_trait::async_trait]
impl SmsSender for Unavailable {
    async fn send_sms(&self, _: &Phone, _: &str) -> Result<(), DeliveryError> {
        Err(DeliveryError::NotConfigured("SMS"))
    }
}

/// Sends one provider request and turns every failure into [`DeliveryError::Failed`]: the transport
/// error without its URL, or the provider's status with its `message` (Resend and Twilio both explain
/// failures in a JSON `message`). Credentials travel in headers, so neither can echo them here.
async fn send(
    request: reqwest::RequestBuilder,
    provider: &str,
    channel: &'static str,
) -> Result<(), DeliveryError> {
    let failed = |reason: String| DeliveryError::Failed { channel, reason };
    let response = request
        .send()
        .await
        .map_err(|error| failed(format!("request failed: {}", error.without_url())))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let reason = body["message"].as_str().unwrap_or("no explanation");
    Err(failed(format!("{provider} answered {status}: {reason}")))
}
