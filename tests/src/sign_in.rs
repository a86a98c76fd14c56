//! Signing in the way a mobile app does: request a code, read it from the mock provider, verify it.

use serde_json::{Value, json};

use crate::{Gql, TestApp};

pub const REQUEST_OTP: &str = "mutation Request($input: RequestOtpInput!) { requestOtp(input: $input) { sentTo expiresAt resendAfter } }";
pub const VERIFY_OTP: &str = "mutation Verify($input: VerifyOtpInput!) { verifyOtp(input: $input) {
    accessToken refreshToken expiresIn isNewUser dustGranted user { id fairyname email phone dustBalance } } }";

impl TestApp {
    pub async fn request_email_code(&self, email: &str) -> Gql {
        self.gql(REQUEST_OTP, json!({ "input": { "email": email } }))
            .await
    }

    /// Requests a code for `email`, reads it from the mock Resend, and verifies it: the `verifyOtp` payload.
    pub async fn sign_in_by_email(&self, email: &str) -> Value {
        self.request_email_code(email).await.data();
        let code = self
            .providers
            .email_code(&email.trim().to_lowercase())
            .await
            .expect("an email with a code was sent");
        let answer = self
            .gql(
                VERIFY_OTP,
                json!({ "input": { "email": email, "code": code } }),
            )
            .await;
        answer.at("verifyOtp").clone()
    }
}
