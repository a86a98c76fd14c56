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
