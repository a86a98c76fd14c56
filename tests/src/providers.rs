//! Third parties on 127.0.0.1: wiremock servers standing in for Resend and Twilio, from which tests read
//! the codes the server really sent over HTTP.

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::Overrides;

pub const TWILIO_SID: &str = "AC_test_account";

pub struct MockProviders {
    pub email: MockServer,
    pub sms: MockServer,
    /// Google, Apple and Facebook.
    pub identity: crate::MockIdentityProvider,
    /// Anthropic and OpenAI.
    pub llm: crate::MockLlm,
}

fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|part| part.len() == 6)
        .map(str::to_owned)
}

impl MockProviders {
    pub async fn start() -> Self {
        let email = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/emails"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({ "id": "email_test" })),
            )
            .with_priority(10)
            .mount(&email)
            .await;
        let sms = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!(
                "/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
            )))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(serde_json::json!({ "sid": "SM_test" })),
            )
            .with_priority(10)
            .mount(&sms)
            .await;
        Self {
            email,
            sms,
            identity: crate::MockIdentityProvider::start().await,
            llm: crate::MockLlm::start().await,
        }
    }

    /// Points the server's senders at these mocks.
    pub fn overrides(&self) -> Overrides {
        Overrides::default()
            .set("RESEND_API_KEY", "re_test_key")
            .set("RESEND_BASE_URL", self.email.uri())
            .set("EMAIL_FROM", "fairydust <codes@example.com>")
            .set("TWILIO_ACCOUNT_SID", TWILIO_SID)
            .set("TWILIO_AUTH_TOKEN", "twilio_test_token")
            .set("TWILIO_FROM_NUMBER", "+15005550006")
            .set("TWILIO_BASE_URL", self.sms.uri())
    }

    /// The code in the latest email sent to `to`.
    pub async fn email_code(&self, to: &str) -> Option<String> {
        let requests = self.email.received_requests().await.unwrap_or_default();
        requests.iter().rev().find_map(|request| {
            let body: Value = serde_json::from_slice(&request.body).ok()?;
            let recipients = body["to"].as_array()?;
            recipients
                .iter()
                .any(|r| r == to)
                .then(|| six_digits(body["text"].as_str()?))?
        })
    }

    /// The code in the latest SMS sent to `to`.
    pub async fn sms_code(&self, to: &str) -> Option<String> {
        let requests = self.sms.received_requests().await.unwrap_or_default();
        requests.iter().rev().find_map(|request| {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
            let sent_to = form
                .iter()
                .find(|(k, _)| k == "To")
                .map(|(_, v)| v.as_str())?;
            (sent_to == to).then(|| six_digits(&form.iter().find(|(k, _)| k == "Body")?.1))?
        })
    }
}
