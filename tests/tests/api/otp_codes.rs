//! The one-time-code rules called directly, over the in-process cache: single use, stored only as an
//! HMAC, burned after five wrong tries, bound to their purpose, throttled per identifier and per IP.
//! (`identity_otp.rs` drives the same rules through the API.)

use std::net::IpAddr;
use std::sync::Arc;

use fairydust_schema::cache::Cache;
use fairydust_schema::identity::contact::Email;
use fairydust_schema::identity::delivery::Identifier;
use fairydust_schema::identity::otp::{OtpError, Purpose, issue, verify};
use fairydust_server::cache::MemoryCache;

fn email() -> Identifier {
    Identifier::Email(Email::parse("ada@example.com").unwrap())
}

#[tokio::test]
async fn a_code_is_six_digits_and_works_once() {
    let cache = MemoryCache::new();
    let issued = issue(&cache, b"key", &Purpose::SignIn, &email(), None)
        .await
        .unwrap();
    assert!(issued.code.len() == 6 && issued.code.bytes().all(|b| b.is_ascii_digit()));
    verify(&cache, b"key", &Purpose::SignIn, &email(), &issued.code)
        .await
        .unwrap();
    assert!(matches!(
        verify(&cache, b"key", &Purpose::SignIn, &email(), &issued.code).await,
        Err(OtpError::NoCode)
    ));
}

#[tokio::test]
async fn the_code_is_stored_only_as_an_hmac() {
    let cache = MemoryCache::new();
    let issued = issue(&cache, b"key", &Purpose::SignIn, &email(), None)
        .await
        .unwrap();
    let stored = cache
        .get("otp:signin:ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.contains(&issued.code), "{stored}");
}

#[tokio::test]
async fn five_wrong_tries_burn_the_code() {
    let cache = MemoryCache::new();
    let issued = issue(&cache, b"key", &Purpose::SignIn, &email(), None)
        .await
        .unwrap();
    let wrong = if issued.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (1..5).rev() {
        let result = verify(&cache, b"key", &Purpose::SignIn, &email(), wrong).await;
        assert!(
            matches!(result, Err(OtpError::WrongCode { attempts_left }) if attempts_left == left),
            "{result:?}"
        );
    }
    assert!(matches!(
        verify(&cache, b"key", &Purpose::SignIn, &email(), wrong).await,
        Err(OtpError::Burned)
    ));
    assert!(
        verify(&cache, b"key", &Purpose::SignIn, &email(), &issued.code)
            .await
            .is_err(),
        "burned for good"
    );
}

#[tokio::test]
async fn parallel_right_answers_succeed_exactly_once() {
    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new());
    let issued = issue(&*cache, b"key", &Purpose::SignIn, &email(), None)
        .await
        .unwrap();
    let tries = (0..2).map(|_| {
        let (cache, code) = (cache.clone(), issued.code.clone());
        tokio::spawn(async move {
            verify(&*cache, b"key", &Purpose::SignIn, &email(), &code)
                .await
                .is_ok()
        })
    });
    let wins = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .filter(|won| *won.as_ref().unwrap())
        .count();
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn a_code_for_one_purpose_does_not_verify_another() {
    let cache = MemoryCache::new();
    let issued = issue(&cache, b"key", &Purpose::SignIn, &email(), None)
        .await
        .unwrap();
    let other = Purpose::ContactChange(uuid::Uuid::new_v4());
    assert!(
        verify(&cache, b"key", &other, &email(), &issued.code)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn requests_are_throttled_per_identifier_and_per_ip() {
    let cache = MemoryCache::new();
    let ip: IpAddr = "203.0.113.9".parse().unwrap();
    issue(&cache, b"key", &Purpose::SignIn, &email(), Some(ip))
        .await
        .unwrap();
    let again = issue(&cache, b"key", &Purpose::SignIn, &email(), Some(ip)).await;
    assert!(
        matches!(again, Err(OtpError::RateLimited { retry_after }) if (59..=60).contains(&retry_after))
    );

    for i in 0..19 {
        let other = Identifier::Email(Email::parse(&format!("u{i}@example.com")).unwrap());
        issue(&cache, b"key", &Purpose::SignIn, &other, Some(ip))
            .await
            .unwrap();
    }
    let twenty_first = Identifier::Email(Email::parse("last@example.com").unwrap());
    let refused = issue(&cache, b"key", &Purpose::SignIn, &twenty_first, Some(ip)).await;
    assert!(
        matches!(refused, Err(OtpError::RateLimited { .. })),
        "20 per IP per hour"
    );
}
