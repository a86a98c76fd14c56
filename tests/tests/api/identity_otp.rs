//! Sign-in by one-time code over real HTTP clients to (mock) Resend and Twilio.

use std::sync::{Arc, Mutex};

use fairydust_entities::{dust_transactions, users};
use fairydust_schema::identity::accounts::find_or_create;
use fairydust_schema::identity::contact::Email;
use fairydust_schema::identity::delivery::Identifier;
use fairydust_tests::{MockProviders, Overrides, TWILIO_SID, TestApp};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

const VERIFY: &str = "mutation V($input: VerifyOtpInput!) { verifyOtp(input: $input) { accessToken isNewUser dustGranted user { id fairyname dustBalance } } }";

#[tokio::test]
async fn a_new_user_signs_in_by_email_and_gets_a_fairyname_and_25_dust() {
    let app = TestApp::spawn().await;
    let sent = app.request_email_code("Ada@Example.com").await;
    assert_eq!(sent.at("requestOtp.sentTo"), "a***@example.com");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(sent.at("requestOtp.expiresAt").clone()).unwrap();
    let minutes = (expires - chrono::Utc::now()).num_seconds();
    assert!(
        (590..=600).contains(&minutes),
        "valid 10 minutes, got {minutes} s"
    );

    let code = app.providers.email_code("ada@example.com").await.unwrap();
    assert_eq!(code.len(), 6);
    let answer = app
        .gql(
            VERIFY,
            json!({ "input": { "email": "ada@example.com", "code": code } }),
        )
        .await;
    assert_eq!(answer.at("verifyOtp.isNewUser"), true);
    assert_eq!(answer.at("verifyOtp.dustGranted"), 25);
    assert_eq!(answer.at("verifyOtp.user.dustBalance"), 25);
    let fairyname = answer.at("verifyOtp.user.fairyname").as_str().unwrap();
    assert!(regex_lite(fairyname), "{fairyname}");
    let grant = dust_transactions::Entity::find()
        .filter(dust_transactions::Column::Kind.eq("grant"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (grant.amount, grant.description.as_deref()),
        (25, Some("Welcome bonus"))
    );

    // Stored lower-cased, so any capitalisation finds the same account rather than making a new one.
    let stored = users::Entity::find()
        .filter(users::Column::IsSystem.eq(false))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].email.as_deref(), Some("ada@example.com"));
    let identifier = Identifier::Email(Email::parse("ADA@example.COM").unwrap());
    let (same, is_new) = find_or_create(&app.db, &identifier).await.unwrap();
    assert_eq!((same.id, is_new), (stored[0].id, false));
}

fn regex_lite(name: &str) -> bool {
    let parts: Vec<&str> = name.split('_').collect();
    parts.len() == 3
        && parts[..2]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[2].len() == 4
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn the_email_goes_to_resend_with_the_bearer_key() {
    let app = TestApp::spawn().await;
    app.request_email_code("grace@example.com").await.data();
    let requests = app.providers.email.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(request.url.path(), "/emails");
    assert_eq!(request.headers["authorization"], "Bearer re_test_key");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["to"], json!(["grace@example.com"]));
    assert_eq!(body["from"], "fairydust <codes@example.com>");
    assert!(body["subject"].as_str().unwrap().contains("code"));
    assert!(
        body["html"]
            .as_str()
            .unwrap()
            .contains(&app.providers.email_code("grace@example.com").await.unwrap())
    );
}

#[tokio::test]
async fn sms_codes_go_to_twilio_with_basic_auth_and_sign_in() {
    let app = TestApp::spawn().await;
    let sent = app
        .gql(
            fairydust_tests_request(),
            json!({ "input": { "phone": "+1 (415) 555-0123" } }),
        )
        .await;
    assert_eq!(sent.at("requestOtp.sentTo"), "+141•••0123");
    let requests = app.providers.sms.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(
        request.url.path(),
        format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
    );
    let expected = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{TWILIO_SID}:twilio_test_token")
        )
    );
    assert_eq!(request.headers["authorization"], expected.as_str());
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    assert!(form.contains(&("To".into(), "+14155550123".into())));
    assert!(form.contains(&("From".into(), "+15005550006".into())));

    let code = app.providers.sms_code("+14155550123").await.unwrap();
    let answer = app
        .gql(
            VERIFY,
            json!({ "input": { "phone": "+14155550123", "code": code } }),
        )
        .await;
    assert_eq!(answer.at("verifyOtp.isNewUser"), true);
}

fn fairydust_tests_request() -> &'static str {
    "mutation R($input: RequestOtpInput!) { requestOtp(input: $input) { sentTo } }"
}

#[tokio::test]
async fn a_provider_failure_is_a_clear_error_and_leaves_nothing_behind() {
    let providers = MockProviders::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .and(header("authorization", "Bearer re_test_key"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({ "name": "internal_server_error", "message": "boom" })),
        )
        .with_priority(1)
        .mount(&providers.email)
        .await;
    let app = TestApp::spawn_with(providers.overrides()).await;
    let answer = app.request_email_code("fail@example.com").await;
    let error = answer.expect_error("INTERNAL");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("could not send the code"),
        "{error}"
    );
    assert_eq!(error["extensions"]["retryable"], true);
    // No code was kept: nothing can verify, and no account exists.
    for code in ["000000", "123456"] {
        app.gql(
            VERIFY,
            json!({ "input": { "email": "fail@example.com", "code": code } }),
        )
        .await
        .expect_error("UNAUTHENTICATED");
    }
    assert_eq!(
        users::Entity::find()
            .filter(users::Column::Email.eq("fail@example.com"))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn bad_identifiers_are_bad_user_input() {
    let app = TestApp::spawn().await;
    for input in [
        json!({}),
        json!({ "email": "a@b.co", "phone": "+14155550123" }),
        json!({ "email": "nope" }),
        json!({ "phone": "12" }),
    ] {
        app.gql(fairydust_tests_request(), json!({ "input": input }))
            .await
            .expect_error("BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn codes_are_single_use_even_in_parallel() {
    let app = TestApp::spawn().await;
    app.request_email_code("twice@example.com").await.data();
    let code = app.providers.email_code("twice@example.com").await.unwrap();
    let input = json!({ "input": { "email": "twice@example.com", "code": code } });
    let answers = join_all((0..2).map(|_| app.gql(VERIFY, input.clone()))).await;
    assert_eq!(answers.iter().filter(|a| a.errors().is_empty()).count(), 1);
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.code() == Some("UNAUTHENTICATED"))
            .count(),
        1
    );
    app.gql(VERIFY, input).await.expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn five_wrong_tries_burn_the_code() {
    let app = TestApp::spawn().await;
    app.request_email_code("guess@example.com").await.data();
    let code = app.providers.email_code("guess@example.com").await.unwrap();
    let wrong = if code == "999999" { "000000" } else { "999999" };
    for left in (1..=4).rev() {
        let answer = app
            .gql(
                VERIFY,
                json!({ "input": { "email": "guess@example.com", "code": wrong } }),
            )
            .await;
        assert_eq!(
            answer.expect_error("UNAUTHENTICATED")["extensions"]["attemptsLeft"],
            left
        );
    }
    app.gql(
        VERIFY,
        json!({ "input": { "email": "guess@example.com", "code": wrong } }),
    )
    .await
    .expect_error("UNAUTHENTICATED");
    let right = app
        .gql(
            VERIFY,
            json!({ "input": { "email": "guess@example.com", "code": code } }),
        )
        .await;
    right.expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn code_requests_are_throttled_per_identifier_and_per_ip() {
    let app = TestApp::spawn().await;
    app.request_email_code("busy@example.com").await.data();
    let again = app.request_email_code("busy@example.com").await;
    let retry_after = again.expect_error("RATE_LIMITED")["extensions"]["retryAfter"]
        .as_u64()
        .unwrap();
    assert!((59..=60).contains(&retry_after), "{retry_after}");

    for i in 1..20 {
        app.request_email_code(&format!("person{i}@example.com"))
            .await
            .data();
    }
    app.request_email_code("person20@example.com")
        .await
        .expect_error("RATE_LIMITED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_first_sign_ins_all_succeed() {
    let app = TestApp::spawn().await;
    let emails: Vec<String> = (0..20).map(|i| format!("new{i}@example.com")).collect();
    for email in &emails {
        app.request_email_code(email).await.data();
    }
    let mut inputs = Vec::new();
    for email in &emails {
        inputs.push(json!({ "input": { "email": email, "code": app.providers.email_code(email).await.unwrap() } }));
    }
    let answers = join_all(inputs.into_iter().map(|input| app.gql(VERIFY, input))).await;
    assert!(
        answers
            .iter()
            .all(|a| a.errors().is_empty() && a.at("verifyOtp.isNewUser") == true),
        "{answers:#?}"
    );
    let names: std::collections::HashSet<_> = answers
        .iter()
        .map(|a| a.at("verifyOtp.user.fairyname").clone())
        .collect();
    assert_eq!(names.len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_sign_ins_for_one_identifier_make_one_account() {
    let app = TestApp::spawn().await;
    let identifier = Identifier::Email(Email::parse("race@example.com").unwrap());
    let attempts = join_all((0..8).map(|_| find_or_create(&app.db, &identifier))).await;
    let ids: std::collections::HashSet<_> =
        attempts.iter().map(|a| a.as_ref().unwrap().0.id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        attempts.iter().filter(|a| a.as_ref().unwrap().1).count(),
        1,
        "exactly one is new"
    );
}

/// Captures every log line emitted on this thread (the test's runtime runs the server too).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn codes_are_logged_only_by_the_development_sender() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let with_providers = TestApp::spawn().await;
    with_providers.sign_in_by_email("quiet@example.com").await;
    let code = with_providers
        .providers
        .email_code("quiet@example.com")
        .await
        .unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.contains(&code), "the code leaked into the logs");

    let development = TestApp::spawn_with(Overrides::default().set("RESEND_API_KEY", "")).await;
    development
        .request_email_code("dev@example.com")
        .await
        .data();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("otp identifier=dev@example.com code="),
        "the development sender logs the code"
    );
}
