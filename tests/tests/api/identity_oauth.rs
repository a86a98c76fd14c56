//! Sign-in with Google, Apple and Facebook, verified by the server's real clients against a mock provider.

use fairydust_entities::{auth_identities, users};
use fairydust_tests::{MockIdentityProvider as Idp, Overrides, TEST_NONCE, TestApp};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const SIGN_IN: &str = "mutation S($input: OAuthInput!) { signInWithOAuth(input: $input) {
    accessToken isNewUser dustGranted user { id email dustBalance linkedProviders } } }";

fn google(token: String, nonce: Option<&str>) -> Value {
    json!({ "input": { "provider": "GOOGLE", "idToken": token, "nonce": nonce } })
}

#[tokio::test]
async fn a_google_id_token_creates_then_signs_in_one_account() {
    let app = TestApp::spawn().await;
    let mut claims = Idp::google_claims("g-100", Some("Lin@Example.com"), true);
    claims["nonce"] = json!("n-1");
    let first = app
        .gql(SIGN_IN, google(Idp::sign(&claims), Some("n-1")))
        .await;
    assert_eq!(first.at("signInWithOAuth.isNewUser"), true);
    assert_eq!(first.at("signInWithOAuth.dustGranted"), 25);
    assert_eq!(first.at("signInWithOAuth.user.email"), "lin@example.com");
    assert_eq!(
        first.at("signInWithOAuth.user.linkedProviders"),
        &json!(["GOOGLE"])
    );

    let again = app
        .gql(SIGN_IN, google(Idp::sign(&claims), Some("n-1")))
        .await;
    assert_eq!(again.at("signInWithOAuth.isNewUser"), false);
    assert_eq!(
        again.at("signInWithOAuth.user.id"),
        first.at("signInWithOAuth.user.id")
    );
}

#[tokio::test]
async fn tokens_that_fail_verification_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let good = Idp::google_claims("g-200", Some("x@example.com"), true);
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("someone-elses-app");
    let mut expired = good.clone();
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let mut with_nonce = good.clone();
    with_nonce["nonce"] = json!("expected");
    let cases = [
        ("bad signature", google(Idp::forge(&good), Some(TEST_NONCE))),
        (
            "wrong audience",
            google(Idp::sign(&wrong_aud), Some(TEST_NONCE)),
        ),
        ("expired", google(Idp::sign(&expired), Some(TEST_NONCE))),
        (
            "wrong nonce",
            google(Idp::sign(&with_nonce), Some("something-else")),
        ),
        ("not a jwt", google("garbage".into(), Some(TEST_NONCE))),
    ];
    for (case, variables) in cases {
        let answer = app.gql(SIGN_IN, variables).await;
        assert_eq!(
            answer.code(),
            Some("UNAUTHENTICATED"),
            "{case}: {:#}",
            answer.body
        );
    }
    assert_eq!(
        users::Entity::find()
            .filter(users::Column::IsSystem.eq(false))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_verified_email_links_to_the_existing_account_an_unverified_one_never_does() {
    let app = TestApp::spawn().await;
    let existing = app.sign_in_by_email("owner@example.com").await;

    let unverified = Idp::google_claims("g-evil", Some("owner@example.com"), false);
    let answer = app
        .gql(SIGN_IN, google(Idp::sign(&unverified), Some(TEST_NONCE)))
        .await;
    assert_eq!(
        answer.at("signInWithOAuth.isNewUser"),
        true,
        "a separate account"
    );
    assert_ne!(
        answer.at("signInWithOAuth.user.id"),
        &existing["user"]["id"]
    );
    assert!(
        answer.at("signInWithOAuth.user.email").is_null(),
        "the unverified email is not claimed"
    );

    let verified = Idp::google_claims("g-owner", Some("owner@example.com"), true);
    let answer = app
        .gql(SIGN_IN, google(Idp::sign(&verified), Some(TEST_NONCE)))
        .await;
    assert_eq!(answer.at("signInWithOAuth.isNewUser"), false);
    assert_eq!(
        answer.at("signInWithOAuth.user.id"),
        &existing["user"]["id"]
    );
}

#[tokio::test]
async fn an_apple_account_without_an_email_is_keyed_on_the_identity() {
    let app = TestApp::spawn().await;
    let claims = Idp::apple_claims("apple-001.private", None);
    let input = json!({ "input": { "provider": "APPLE", "idToken": Idp::sign(&claims), "nonce": TEST_NONCE } });
    let first = app.gql(SIGN_IN, input.clone()).await;
    assert_eq!(first.at("signInWithOAuth.isNewUser"), true);
    assert!(first.at("signInWithOAuth.user.email").is_null());
    let again = app.gql(SIGN_IN, input).await;
    assert_eq!(
        again.at("signInWithOAuth.user.id"),
        first.at("signInWithOAuth.user.id")
    );
}

#[tokio::test]
async fn facebook_tokens_are_checked_with_the_graph_api() {
    let app = TestApp::spawn().await;
    let idp = &app.providers.identity;
    idp.facebook_user(
        "fb-good",
        "fb-1",
        Some("fan@example.com"),
        fairydust_tests::FACEBOOK_APP_ID,
    )
    .await;
    idp.facebook_user("fb-other-app", "fb-2", None, "999999")
        .await;
    let input = |token: &str| json!({ "input": { "provider": "FACEBOOK", "accessToken": token } });

    let answer = app.gql(SIGN_IN, input("fb-good")).await;
    assert_eq!(answer.at("signInWithOAuth.isNewUser"), true);
    assert_eq!(
        answer.at("signInWithOAuth.user.linkedProviders"),
        &json!(["FACEBOOK"])
    );
    app.gql(SIGN_IN, input("fb-other-app"))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn credentials_must_match_the_provider_shape() {
    let app = TestApp::spawn().await;
    let both = json!({ "input": { "provider": "GOOGLE", "idToken": "a", "accessToken": "b" } });
    app.gql(SIGN_IN, both).await.expect_error("BAD_USER_INPUT");
    let neither = json!({ "input": { "provider": "GOOGLE" } });
    app.gql(SIGN_IN, neither)
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_sign_ins_with_one_identity_make_one_account() {
    let app = TestApp::spawn().await;
    let token = Idp::sign(&Idp::google_claims(
        "g-race",
        Some("race@example.com"),
        true,
    ));
    let answers =
        join_all((0..6).map(|_| app.gql(SIGN_IN, google(token.clone(), Some(TEST_NONCE))))).await;
    assert!(
        answers.iter().all(|a| a.errors().is_empty()),
        "{answers:#?}"
    );
    let ids: std::collections::HashSet<_> = answers
        .iter()
        .map(|a| a.at("signInWithOAuth.user.id").clone())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        auth_identities::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn providers_can_be_linked_and_unlinked_but_never_the_last_way_in() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let link = "mutation L($input: OAuthInput!) { linkOAuth(input: $input) }";
    let unlink = "mutation U($p: OAuthProvider!) { unlinkOAuth(provider: $p) }";
    let token = Idp::sign(&Idp::google_claims("g-link", None, false));
    let linked = app
        .gql_as(&user.token, link, google(token.clone(), Some(TEST_NONCE)))
        .await;
    assert_eq!(linked.at("linkOAuth"), &json!(["GOOGLE"]));
    // The identity now belongs to this user; nobody else can link it.
    let other = app.user().await;
    app.gql_as(&other.token, link, google(token, Some(TEST_NONCE)))
        .await
        .expect_error("CONFLICT");
    assert_eq!(
        app.gql_as(&user.token, unlink, json!({ "p": "GOOGLE" }))
            .await
            .at("unlinkOAuth"),
        &json!([])
    );
    app.gql_as(&user.token, unlink, json!({ "p": "GOOGLE" }))
        .await
        .expect_error("NOT_FOUND");

    // An account whose only way in is Apple keeps it.
    let apple = Idp::sign(&Idp::apple_claims("apple-only", None));
    let signed_in = app
        .gql(
            SIGN_IN,
            json!({ "input": { "provider": "APPLE", "idToken": apple, "nonce": TEST_NONCE } }),
        )
        .await;
    let token = signed_in
        .at("signInWithOAuth.accessToken")
        .as_str()
        .unwrap();
    app.gql_as(token, unlink, json!({ "p": "APPLE" }))
        .await
        .expect_error("CONFLICT");
}

#[tokio::test]
async fn an_id_token_sign_in_needs_its_nonce_unless_the_server_allows_none() {
    let app = TestApp::spawn().await;
    let token = Idp::sign(&Idp::google_claims("g-nonce", Some("n@example.com"), true));
    for nonce in [None, Some("  ")] {
        let answer = app.gql(SIGN_IN, google(token.clone(), nonce)).await;
        let error = answer.expect_error("UNAUTHENTICATED");
        assert!(
            error["message"].as_str().unwrap().contains("nonce"),
            "{error}"
        );
    }
    let user = app.user().await;
    app.gql_as(
        &user.token,
        "mutation L($input: OAuthInput!) { linkOAuth(input: $input) }",
        google(token.clone(), None),
    )
    .await
    .expect_error("UNAUTHENTICATED");
    assert_eq!(
        auth_identities::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    app.gql(SIGN_IN, google(token, Some(TEST_NONCE)))
        .await
        .data();

    let lenient =
        TestApp::spawn_with(Overrides::default().set("OAUTH_REQUIRE_NONCE", "false")).await;
    let mut claims = Idp::google_claims("g-old-sdk", None, false);
    claims.as_object_mut().unwrap().remove("nonce");
    lenient
        .gql(SIGN_IN, google(Idp::sign(&claims), None))
        .await
        .data();
}

#[tokio::test]
async fn a_facebook_email_never_links_to_an_existing_account() {
    let app = TestApp::spawn().await;
    let existing = app.sign_in_by_email("owner@example.com").await;
    let idp = &app.providers.identity;
    let app_id = fairydust_tests::FACEBOOK_APP_ID;
    idp.facebook_user("fb-claims-owner", "fb-9", Some("Owner@Example.com"), app_id)
        .await;
    let facebook = json!({ "input": { "provider": "FACEBOOK", "accessToken": "fb-claims-owner" } });

    let refused = app.gql(SIGN_IN, facebook.clone()).await;
    assert_eq!(
        refused.expect_error("CONFLICT")["extensions"]["reason"],
        "PROVIDER_LINK_REQUIRED"
    );
    assert_eq!(
        auth_identities::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    let accounts = users::Entity::find()
        .filter(users::Column::IsSystem.eq(false))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(accounts, 1, "no second account either");

    // The owner links Facebook from their own session; from then on Facebook signs them in.
    let owner_token = existing["accessToken"].as_str().unwrap();
    let link = "mutation L($input: OAuthInput!) { linkOAuth(input: $input) }";
    let linked = app.gql_as(owner_token, link, facebook.clone()).await;
    assert_eq!(linked.at("linkOAuth"), &json!(["FACEBOOK"]));
    let signed_in = app.gql(SIGN_IN, facebook).await;
    assert_eq!(
        signed_in.at("signInWithOAuth.user.id"),
        &existing["user"]["id"]
    );

    // A new Facebook user gets an account, but the unverified email does not become its address.
    idp.facebook_user("fb-newcomer", "fb-10", Some("newcomer@example.com"), app_id)
        .await;
    let newcomer = json!({ "input": { "provider": "FACEBOOK", "accessToken": "fb-newcomer" } });
    let newcomer = app.gql(SIGN_IN, newcomer).await;
    assert_eq!(newcomer.at("signInWithOAuth.isNewUser"), true);
    assert!(newcomer.at("signInWithOAuth.user.email").is_null());
}

#[tokio::test]
async fn facebook_sign_ins_are_throttled_per_ip_before_the_graph_api_is_called() {
    let app = TestApp::spawn().await;
    let idp = &app.providers.identity;
    idp.facebook_user("fb-busy", "fb-77", None, fairydust_tests::FACEBOOK_APP_ID)
        .await;
    let input = json!({ "input": { "provider": "FACEBOOK", "accessToken": "fb-busy" } });
    for _ in 0..20 {
        app.gql(SIGN_IN, input.clone()).await.data();
    }
    let graph_calls = idp.server.received_requests().await.unwrap().len();
    let refused = app.gql(SIGN_IN, input).await;
    assert!(
        refused.expect_error("RATE_LIMITED")["extensions"]["retryAfter"]
            .as_u64()
            .is_some()
    );
    assert_eq!(
        idp.server.received_requests().await.unwrap().len(),
        graph_calls,
        "the refused sign-in cost no Graph API call"
    );
}

#[tokio::test]
async fn facebook_sign_ins_from_one_ipv6_slash_64_share_the_per_ip_throttle() {
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("TRUST_FORWARDED_FOR", "true")
            .set("TRUSTED_PROXIES", "127.0.0.1"),
    )
    .await;
    let idp = &app.providers.identity;
    idp.facebook_user("fb-v6", "fb-78", None, fairydust_tests::FACEBOOK_APP_ID)
        .await;
    let sign_in_from = |address: String| {
        let app = &app;
        async move {
            let response = app
                .http
                .post(app.url("/graphql"))
                .header("x-forwarded-for", address)
                .json(&json!({ "query": SIGN_IN,
                    "variables": { "input": { "provider": "FACEBOOK", "accessToken": "fb-v6" } } }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            fairydust_tests::Gql {
                status,
                body: response.json().await.unwrap(),
            }
        }
    };
    // Each sign-in from another address of the same /64: one client, 20 an hour.
    for i in 0..20 {
        sign_in_from(format!("2001:db8:7:9::{:x}", i + 1))
            .await
            .data();
    }
    sign_in_from("2001:db8:7:9::ffff".into())
        .await
        .expect_error("RATE_LIMITED");
    // Another /64 is another client.
    sign_in_from("2001:db8:7:a::1".into()).await.data();
}
