//! The portals' cookie session over HTTP: the refresh token only ever travels in an `HttpOnly`
//! cookie, every cookie request needs the CSRF header, and signing out clears and revokes it.

use fairydust_tests::{Gql, Overrides, TestApp};
use serde_json::{Value, json};

const VERIFY: &str = "mutation V($input: VerifyOtpInput!) { verifyOtpForPortal(input: $input) { accessToken expiresIn user { id } } }";
const REFRESH: &str = "mutation { refreshPortalSession { accessToken expiresIn user { id } } }";
const SIGN_OUT: &str = "mutation { signOutPortal }";
const ME: &str = "{ me { id } }";

/// One answer plus the `Set-Cookie` headers that came with it.
struct Answer {
    gql: Gql,
    set_cookies: Vec<String>,
}

impl Answer {
    /// The value the answer stored in the refresh cookie (`Some("")` when it cleared it).
    fn refresh_cookie(&self) -> Option<&str> {
        self.set_cookies.iter().find_map(|cookie| {
            cookie
                .strip_prefix("fairydust_refresh=")
                .map(|rest| rest.split(';').next().unwrap_or_default())
        })
    }
}

async fn send(
    app: &TestApp,
    query: &str,
    variables: Value,
    cookie: Option<&str>,
    csrf: bool,
) -> Answer {
    let mut request = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", format!("fairydust_refresh={cookie}"));
    }
    if csrf {
        request = request.header("X-Fairydust-Csrf", "1");
    }
    let response = request.send().await.expect("the server answers");
    let set_cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    Answer {
        gql: Gql { status, body },
        set_cookies,
    }
}

/// Signs `email` in the way a portal does; returns the answer and the cookie value it set.
async fn portal_sign_in(app: &TestApp, email: &str) -> (Answer, String) {
    app.request_email_code(email).await.data();
    let code = app
        .providers
        .email_code(email)
        .await
        .expect("a code was mailed");
    let answer = send(
        app,
        VERIFY,
        json!({ "input": { "email": email, "code": code } }),
        None,
        true,
    )
    .await;
    answer.gql.data();
    let cookie = answer
        .refresh_cookie()
        .expect("the refresh cookie is set")
        .to_owned();
    (answer, cookie)
}

#[tokio::test]
async fn portal_sign_in_sets_an_http_only_strict_cookie_and_gives_script_no_refresh_token() {
    let app = TestApp::spawn().await;
    let (answer, cookie) = portal_sign_in(&app, "portal-cookie@example.com").await;
    assert!(cookie.len() >= 43, "a 256-bit token: {cookie}");
    let header = &answer.set_cookies[0];
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/graphql",
        "Max-Age=2592000",
    ] {
        assert!(header.contains(attribute), "{attribute} missing: {header}");
    }
    // Plain HTTP in development: a Secure cookie would be dropped by the browser.
    assert!(!header.contains("Secure"), "{header}");
    assert!(
        !answer.gql.body.to_string().contains(&cookie),
        "the refresh token must not be in the body"
    );
    assert_eq!(answer.gql.at("verifyOtpForPortal.expiresIn"), 3600);
    let access = answer
        .gql
        .at("verifyOtpForPortal.accessToken")
        .as_str()
        .unwrap();
    assert_eq!(
        app.gql_as(access, ME, json!({})).await.at("me.id"),
        answer.gql.at("verifyOtpForPortal.user.id")
    );
}

#[tokio::test]
async fn the_cookie_restores_the_session_and_rotates_on_every_refresh() {
    // Without the two-tab grace, so that the replay below is plain theft.
    let app =
        TestApp::spawn_with(Overrides::default().set("REFRESH_REUSE_GRACE_SECONDS", "0")).await;
    let (signed_in, first) = portal_sign_in(&app, "portal-reload@example.com").await;
    let user_id = signed_in.gql.at("verifyOtpForPortal.user.id").clone();

    let refreshed = send(&app, REFRESH, json!({}), Some(&first), true).await;
    assert_eq!(refreshed.gql.at("refreshPortalSession.user.id"), &user_id);
    let second = refreshed
        .refresh_cookie()
        .expect("a rotated cookie")
        .to_owned();
    assert!(!second.is_empty() && second != first);
    let access = refreshed
        .gql
        .at("refreshPortalSession.accessToken")
        .as_str()
        .unwrap();
    assert_eq!(
        app.gql_as(access, ME, json!({})).await.at("me.id"),
        &user_id
    );

    // The rotated cookie is used up: replaying it is theft, so the session ends and the cookie goes.
    let replay = send(&app, REFRESH, json!({}), Some(&first), true).await;
    replay.gql.expect_error("UNAUTHENTICATED");
    assert_eq!(replay.refresh_cookie(), Some(""));
    send(&app, REFRESH, json!({}), Some(&second), true)
        .await
        .gql
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn two_tabs_reloading_together_both_keep_the_session() {
    let app = TestApp::spawn().await;
    let (_, cookie) = portal_sign_in(&app, "portal-tabs@example.com").await;
    // Both tabs send the cookie they share; the second arrives after the first rotated it.
    let first_tab = send(&app, REFRESH, json!({}), Some(&cookie), true).await;
    let second_tab = send(&app, REFRESH, json!({}), Some(&cookie), true).await;
    for tab in [&first_tab, &second_tab] {
        let access = tab
            .gql
            .at("refreshPortalSession.accessToken")
            .as_str()
            .unwrap();
        app.gql_as(access, ME, json!({})).await.data();
        let next = tab.refresh_cookie().expect("a new cookie").to_owned();
        assert!(!next.is_empty() && next != cookie);
        send(&app, REFRESH, json!({}), Some(&next), true)
            .await
            .gql
            .data();
    }
}

#[tokio::test]
async fn cookie_requests_without_the_csrf_header_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let email = "portal-csrf@example.com";
    app.request_email_code(email).await.data();
    let code = app.providers.email_code(email).await.unwrap();
    let verify = send(
        &app,
        VERIFY,
        json!({ "input": { "email": email, "code": code } }),
        None,
        false,
    )
    .await;
    verify.gql.expect_error("FORBIDDEN");
    assert!(verify.set_cookies.is_empty());

    let (_, cookie) = portal_sign_in(&app, "portal-csrf-2@example.com").await;
    for query in [REFRESH, SIGN_OUT] {
        let forged = send(&app, query, json!({}), Some(&cookie), false).await;
        let error = forged.gql.expect_error("FORBIDDEN");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("x-fairydust-csrf"),
            "{error}"
        );
        assert!(forged.set_cookies.is_empty(), "{:?}", forged.set_cookies);
    }
    // Neither forged request touched the session: the cookie still works, once.
    send(&app, REFRESH, json!({}), Some(&cookie), true)
        .await
        .gql
        .at("refreshPortalSession.accessToken");
}

#[tokio::test]
async fn portal_sign_out_clears_the_cookie_and_revokes_the_session() {
    let app = TestApp::spawn().await;
    let (signed_in, cookie) = portal_sign_in(&app, "portal-out@example.com").await;
    let access = signed_in
        .gql
        .at("verifyOtpForPortal.accessToken")
        .as_str()
        .unwrap();

    let out = send(&app, SIGN_OUT, json!({}), Some(&cookie), true).await;
    assert_eq!(out.gql.at("signOutPortal"), true);
    assert_eq!(out.refresh_cookie(), Some(""));
    assert!(
        out.set_cookies[0].contains("Max-Age=0"),
        "{:?}",
        out.set_cookies
    );

    app.gql_as(access, ME, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    send(&app, REFRESH, json!({}), Some(&cookie), true)
        .await
        .gql
        .expect_error("UNAUTHENTICATED");
    // Without a cookie there is no session to restore, and nothing to sign out.
    send(&app, REFRESH, json!({}), None, true)
        .await
        .gql
        .expect_error("UNAUTHENTICATED");
    assert_eq!(
        send(&app, SIGN_OUT, json!({}), None, true)
            .await
            .gql
            .at("signOutPortal"),
        false
    );
}
