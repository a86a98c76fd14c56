//! The error codes are an API contract, so each one must be an answer a client can actually get: this
//! test provokes every code of `ErrorCode::ALL` with a real request and fails on a code nothing
//! produces (a promise nobody keeps) or on an answer carrying a code outside the list.

use std::collections::BTreeSet;

use fairydust_schema::error::ErrorCode;
use fairydust_schema::skipped_tests::report_skipped;
use fairydust_tests::{ANTHROPIC_PATH, Gql, Overrides, TestApp, ThrowawayRedis};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::llm_support::{GENERATE, HAIKU, config, input, llm_app};

const CONSUME: &str = "mutation C($app: ID!, $action: String!, $quantity: Int!, $key: String!, $max: Int) {
    consumeDust(input: {appId: $app, action: $action, quantity: $quantity, idempotencyKey: $key, maxDust: $max}) { amount } }";

fn consume(
    app_id: &str,
    action: &str,
    quantity: i32,
    key: &str,
    max: Option<i32>,
) -> serde_json::Value {
    json!({ "app": app_id, "action": action, "quantity": quantity, "key": key, "max": max })
}

#[tokio::test]
async fn every_error_code_is_an_answer_to_some_request() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let builder = app.builder().await;
    let priced = app
        .priced_app(builder.id, &[("small", 1), ("big", 30)])
        .await;
    let app_id = priced.id.to_string();
    let mut seen: Vec<Gql> = Vec::new();

    seen.push(app.gql_as("not-a-token", "{ me { id } }", json!({})).await);
    seen.push(
        app.gql_as(&user.token, "{ ledgerAudit { checkedUsers } }", json!({}))
            .await,
    );
    seen.push(
        app.gql_as(
            &user.token,
            "query D($app: ID!) { checkDust(appId: $app, action: \"small\") { sufficient required } }",
            json!({ "app": uuid::Uuid::now_v7().to_string() }),
        )
        .await,
    );
    seen.push(app.request_email_code("not an email").await);
    seen.push(
        app.gql_as(
            &user.token,
            CONSUME,
            consume(&app_id, "big", 1, "k-big", None),
        )
        .await,
    );
    app.gql_as(
        &user.token,
        CONSUME,
        consume(&app_id, "small", 1, "k-1", None),
    )
    .await
    .data();
    seen.push(
        app.gql_as(
            &user.token,
            CONSUME,
            consume(&app_id, "small", 2, "k-1", None),
        )
        .await,
    );
    seen.push(
        app.gql_as(
            &user.token,
            CONSUME,
            consume(&app_id, "small", 2, "k-2", Some(1)),
        )
        .await,
    );
    let aliases: String = (0..1000).map(|i| format!("a{i}: version ")).collect();
    seen.push(app.gql(&format!("{{ {aliases} }}"), json!({})).await);
    let padding = "x".repeat(2 * 1024 * 1024);
    let oversized = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(json!({ "query": "{ version }", "variables": { "padding": padding } }).to_string())
        .send()
        .await
        .unwrap();
    seen.push(Gql {
        status: oversized.status().as_u16(),
        body: oversized.json().await.unwrap(),
    });
    for attempt in 0..30 {
        let answer = app.request_email_code("often@example.com").await;
        let limited = answer.code() == Some("RATE_LIMITED");
        seen.push(answer);
        if limited {
            break;
        }
        assert!(attempt < 29, "requestOtp was never rate limited");
    }

    let slug = llm_app(&app, &builder, config(json!([]), "0.05", "10")).await;
    app.providers.llm.fail(ANTHROPIC_PATH, HAIKU, 500).await;
    seen.push(
        app.gql_as(&user.token, GENERATE, input(&slug, "fails"))
            .await,
    );

    // A failing email provider is not the client's fault: INTERNAL (retryable), never a 500 page.
    Mock::given(method("POST"))
        .and(path("/emails"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({ "message": "boom" })))
        .with_priority(1)
        .mount(&app.providers.email)
        .await;
    seen.push(app.request_email_code("fail@example.com").await);

    let keyless = TestApp::spawn_with(
        Overrides::default()
            .set("ANTHROPIC_API_KEY", "")
            .set("OPENAI_API_KEY", ""),
    )
    .await;
    let keyless_builder = keyless.builder().await;
    let keyless_user = keyless.user().await;
    let slug = llm_app(&keyless, &keyless_builder, config(json!([]), "0.05", "10")).await;
    seen.push(
        keyless
            .gql_as(&keyless_user.token, GENERATE, input(&slug, "no-keys"))
            .await,
    );

    // A cache that stopped answering: SERVICE_UNAVAILABLE for what needs it.
    let mut contract: BTreeSet<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    match ThrowawayRedis::start().await {
        Some(mut redis) => {
            let cached = TestApp::spawn_with(
                Overrides::default()
                    .set("REDIS_URL", redis.url())
                    .set("REDIS_KEY_PREFIX", "codes:"),
            )
            .await;
            redis.stop();
            seen.push(cached.request_email_code("outage@example.com").await);
        }
        None => {
            report_skipped(
                "error_codes (SERVICE_UNAVAILABLE)",
                "no redis-server binary to stop on this machine",
            );
            contract.remove("SERVICE_UNAVAILABLE");
        }
    }

    let produced: BTreeSet<&str> = seen.iter().filter_map(Gql::code).collect();
    assert_eq!(
        produced, contract,
        "every code in the contract is produced by a request, and no request answers outside it"
    );
}
