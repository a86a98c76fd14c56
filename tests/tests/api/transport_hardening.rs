//! The HTTP surface an attacker reaches first: client addresses behind proxies, GET, /metrics, GraphiQL.

use fairydust_tests::{Gql, Overrides, TestApp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REQUEST_OTP: &str =
    "mutation R($input: RequestOtpInput!) { requestOtp(input: $input) { sentTo } }";

async fn request_code_via(app: &TestApp, email: &str, forwarded_for: &str) -> Gql {
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "query": REQUEST_OTP, "variables": { "input": { "email": email } } }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    Gql {
        status,
        body: response.json().await.unwrap(),
    }
}

/// The per-IP code limit is 20 an hour; returns the answer to the 21st request.
async fn twenty_first_code_request(app: &TestApp, forwarded_for: impl Fn(usize) -> String) -> Gql {
    for i in 0..20 {
        request_code_via(app, &format!("p{i}@example.com"), &forwarded_for(i))
            .await
            .data();
    }
    request_code_via(app, "p20@example.com", &forwarded_for(20)).await
}

#[tokio::test]
async fn a_client_cannot_pick_its_address_by_prepending_to_x_forwarded_for() {
    // TRUST_FORWARDED_FOR stays set, as deployments have it: the older code then took the left-most entry.
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("TRUST_FORWARDED_FOR", "true")
            .set("TRUSTED_PROXIES", "127.0.0.1/32"),
    )
    .await;
    let answer = twenty_first_code_request(&app, |i| format!("198.51.100.{i}, 203.0.113.7")).await;
    answer.expect_error("RATE_LIMITED");
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_slash_64() {
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("TRUST_FORWARDED_FOR", "true")
            .set("TRUSTED_PROXIES", "127.0.0.1"),
    )
    .await;
    let answer = twenty_first_code_request(&app, |i| format!("2001:db8:7:9::{:x}", i + 1)).await;
    answer.expect_error("RATE_LIMITED");

    // Another /64 is another client.
    request_code_via(&app, "elsewhere@example.com", "2001:db8:7:a::1")
        .await
        .data();
}

#[tokio::test]
async fn a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_forwards() {
    let app = TestApp::spawn_with(Overrides::default().set("TRUSTED_PROXIES", "10.0.0.0/8")).await;
    let answer = twenty_first_code_request(&app, |i| format!("198.51.100.{i}")).await;
    answer.expect_error("RATE_LIMITED");
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_persisted_mutation_does_not_run_over_get() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let mutation = "mutation { addPerson(input: {name: \"Pat\"}) { id } }";
    let hash = sha256_hex(mutation);
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    app.send_gql(
        Some(&user.token),
        json!({ "query": mutation, "extensions": extensions }),
    )
    .await
    .data();

    let response = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&user.token)
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );

    let people = app
        .gql_as(&user.token, "{ me { people { id } } }", json!({}))
        .await;
    assert_eq!(
        people.at("me.people").as_array().unwrap().len(),
        1,
        "only the POST added someone"
    );

    // A persisted query still runs over GET.
    let query = "{ version }";
    let query_extensions =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query) } });
    app.send_gql(
        None,
        json!({ "query": query, "extensions": query_extensions }),
    )
    .await
    .data();
    let cached: Value = app
        .http
        .get(app.url("/graphql"))
        .query(&[("extensions", query_extensions.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        cached["data"]["version"],
        env!("CARGO_PKG_VERSION"),
        "{cached}"
    );
}

async fn metrics(app: &TestApp, forwarded_for: Option<&str>, token: Option<&str>) -> (u16, String) {
    let mut request = app.http.get(app.url("/metrics"));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_are_served_to_loopback_or_with_the_metrics_token() {
    let app = TestApp::spawn_with(Overrides::default().set("METRICS_TOKEN", "scrape-secret")).await;
    assert_eq!(metrics(&app, None, None).await.0, 200, "loopback");
    // Through a proxy, the caller is not the host itself.
    assert_eq!(metrics(&app, Some("203.0.113.7"), None).await.0, 403);
    assert_eq!(
        metrics(&app, Some("203.0.113.7"), Some("wrong")).await.0,
        403
    );
    assert_eq!(
        metrics(&app, Some("203.0.113.7"), Some("scrape-secret"))
            .await
            .0,
        200
    );

    let no_token = TestApp::spawn().await;
    assert_eq!(
        metrics(&no_token, Some("203.0.113.7"), Some("scrape-secret"))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn only_operations_the_server_knows_get_their_own_metrics_label() {
    let app = TestApp::spawn().await;
    for (name, query) in [
        ("Version", "query Version { version }"),
        ("Attacker_Label_1", "query Attacker_Label_1 { version }"),
    ] {
        app.send_gql(None, json!({ "query": query, "operationName": name }))
            .await
            .data();
    }
    let (_, text) = metrics(&app, None, None).await;
    assert!(
        text.contains(r#"graphql_operations_total{operation="Version",outcome="ok"}"#),
        "{text}"
    );
    assert!(!text.contains("Attacker_Label_1"), "{text}");
    assert!(
        text.contains(r#"graphql_operations_total{operation="other",outcome="ok"}"#),
        "{text}"
    );
}

#[tokio::test]
async fn graphiql_loads_only_pinned_scripts_under_its_own_policy() {
    let app = TestApp::spawn().await;
    let page = app.http.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");

    let external: Vec<&str> = html
        .split("<script")
        .skip(1)
        .chain(html.split("<link").skip(1))
        .filter(|tag| tag.contains("https://"))
        .collect();
    assert!(external.len() >= 4, "{html}");
    for tag in external {
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(tag.contains("integrity=\"sha384-"), "no SRI: {tag}");
        assert!(
            tag.contains("@18.3.1/") || tag.contains("@4.1.2/"),
            "not pinned: {tag}"
        );
        let url = tag
            .split('"')
            .find(|part| part.starts_with("https://"))
            .unwrap();
        assert!(csp.contains(url), "the CSP names {url} exactly: {csp}");
    }

    // Its requests leave without the browser's cookies for this origin.
    let script = app
        .http
        .get(app.url("/graphiql/app.js"))
        .send()
        .await
        .unwrap();
    assert!(script.headers().contains_key("content-security-policy"));
    let script = script.text().await.unwrap();
    assert!(script.contains("credentials: \"omit\""), "{script}");
    assert!(script.contains("shouldPersistHeaders: false"), "{script}");
}

#[tokio::test]
async fn graphiql_and_introspection_can_be_turned_off() {
    let on = TestApp::spawn().await;
    let types = on
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(types.at("__schema.queryType.name"), "Query");

    let off = TestApp::spawn_with(
        Overrides::default()
            .set("GRAPHIQL", "false")
            .set("GRAPHQL_INTROSPECTION", "false"),
    )
    .await;
    let page = off.http.get(off.url("/graphiql")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    let types = off
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    // async-graphql answers a disabled introspection with null rather than an error.
    assert!(types.body["data"]["__schema"].is_null(), "{:#}", types.body);
}
