//! Sending one-time codes. The domain decides what to send; the server crate's senders deliver it
//! (Resend for email, Twilio for SMS, or the log in development).

use async_trait::async_trait;

use super::contact::{Email, Phone};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailMessage {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    #[error("sending by {0} is not configured on this server")]
    NotConfigured(&'static str),
    #[error("the {channel} provider refused or failed: {reason}")]
    Failed {
        channel: &'static str,
        reason: String,
    },
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    async fn send_email(&self, to: &Email, message: &EmailMessage) -> Result<(), DeliveryError>;
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send_sms(&self, to: &Phone, text: &str) -> Result<(), DeliveryError>;
}

/// Where a code goes: a normalised email address or phone number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identifier {
    Email(Email),
    Phone(Phone),
}

impl Identifier {
    pub fn as_str(&self) -> &str {
        match self {
            Identifier::Email(email) => email.as_str(),
            Identifier::Phone(phone) => phone.as_str(),
        }
    }

    pub fn masked(&self) -> String {
        match self {
            Identifier::Email(email) => email.masked(),
            Identifier::Phone(phone) => phone.masked(),
        }
    }
}

pub fn code_email(code: &str, purpose: &str) -> EmailMessage {
    EmailMessage {
        subject: format!("Your fairydust code: {code}"),
        text: format!(
            "Your fairydust code is {code}. It {purpose} and expires in 10 minutes.\n\nIf you did not ask for it, ignore this email."
        ),
        html: format!(
            "<p>Your fairydust code is</p><p style=\"font-size:28px;letter-spacing:6px\"><strong>{code}</strong></p>\
             <p>It {purpose} and expires in 10 minutes.</p><p>If you did not ask for it, ignore this email.</p>"
        ),
    }
}

pub fn code_sms(code: &str) -> String {
    format!("{code} is your fairydust code. It expires in 10 minutes.")
}
