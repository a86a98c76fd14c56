use async_trait::async_trait;
use fairydust_schema::identity::contact::{Email, Phone};
use fairydust_schema::identity::delivery::{DeliveryError, EmailMessage, EmailSender, SmsSender};

/// Development only: writes each code to the log as one line, `otp identifier=<id> code=<code>`, so a
/// developer can sign in with no email or SMS provider. The only place a code is ever logged.
pub struct LogSender;

fn code_in(text: &str) -> &str {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|part| part.len() == 6)
        .unwrap_or("")
}

#[async_trait]
impl EmailSender for LogSender {
    async fn send_email(&self, to: &Email, message: &EmailMessage) -> Result<(), DeliveryError> {
        tracing::info!(target: "fairydust::otp", "otp identifier={} code={}", to.as_str(), code_in(&message.text));
        Ok(())
    }
}

#[async_trait]
impl SmsSender for LogSender {
    async fn send_sms(&self, to: &Phone, text: &str) -> Result<(), DeliveryError> {
        tracing::info!(target: "fairydust::otp", "otp identifier={} code={}", to.as_str(), code_in(text));
        Ok(())
    }
}
