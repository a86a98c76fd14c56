//! Bad and hostile input answers with a code, never a 500 or a panic (Foundation acceptance 4).

use fairydust_tests::TestApp;
use serde_json::{Value, json};

async fn post_raw(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn graphql_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {body:#}"))
}

#[tokio::test]
async fn malformed_json_is_bad_user_input() {
    let app = TestApp::spawn().await;
    let (status, body) = post_raw(&app, "{\"query\": ").await;
    assert_eq!(status, 400);
    assert_eq!(graphql_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["error"], true, "also the standard error body");
}

#[tokio::test]
async fn a_two_megabyte_body_is_413_with_the_standard_body() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(2 * 1024 * 1024);
    let body = json!({ "query": "{ version }", "variables": { "padding": padding } }).to_string();
    let (status, body) = post_raw(&app, body).await;
    assert_eq!(status, 413);
    assert_eq!(body["status_code"], 413);
    assert_eq!(body["details"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(graphql_code(&body), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn content_mutations_may_carry_up_to_twelve_megabytes_but_no_more() {
    let app = TestApp::spawn().await;
    let content = "y".repeat(2 * 1024 * 1024);
    // Past the 1 MB limit because it is a content mutation: the schema answers (here: the field does not
    // exist yet or the caller is anonymous), not the body limit.
    let allowed = json!({ "query": "mutation Save($c: String!) { saveRecipe(input: {content: $c}) { id } }", "variables": { "c": content } });
    let (status, body) = post_raw(&app, allowed.to_string()).await;
    assert_ne!(status, 413, "{body:#}");

    let huge = "z".repeat(13 * 1024 * 1024);
    let refused = json!({ "query": "mutation Save($c: String!) { saveRecipe(input: {content: $c}) { id } }", "variables": { "c": huge } });
    let (status, _) = post_raw(&app, refused.to_string()).await;
    assert_eq!(status, 413);

    let sneaky = json!({ "query": "mutation M($c: String!) { saveRecipe(input: {content: $c}) { id } other: requestOtp(input: {email: $c}) { sentTo } }", "variables": { "c": content } });
    let (status, _) = post_raw(&app, sneaky.to_string()).await;
    assert_eq!(
        status, 413,
        "every top-level field must be a content mutation"
    );
}

#[tokio::test]
async fn a_query_nested_fifty_deep_is_query_too_complex() {
    let app = TestApp::spawn().await;
    // `ofType` nests as deep as a client likes.
    let mut query = "name".to_owned();
    for _ in 0..50 {
        query = format!("ofType {{ {query} }}");
    }
    let answer = app
        .gql(
            &format!("{{ __type(name: \"Query\") {{ {query} }} }}"),
            json!({}),
        )
        .await;
    answer.expect_error("QUERY_TOO_COMPLEX");
    // Past the depth limit of 15 but within the parser's recursion limit: the validator refuses it.
    let mut query = "name".to_owned();
    for _ in 0..20 {
        query = format!("ofType {{ {query} }}");
    }
    let answer = app
        .gql(
            &format!("{{ __type(name: \"Query\") {{ {query} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        answer.expect_error("QUERY_TOO_COMPLEX")["message"],
        "Query is nested too deep."
    );
    // A legitimately shaped deep query is fine.
    app.gql("{ health { status } }", json!({})).await.data();
}

#[tokio::test]
async fn a_thousand_aliases_are_query_too_complex() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..1000).map(|i| format!("a{i}: version ")).collect();
    let answer = app.gql(&format!("{{ {aliases} }}"), json!({})).await;
    answer.expect_error("QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn too_complex_queries_are_refused() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..450)
        .map(|i| format!("h{i}: health {{ status version database cache }} "))
        .collect();
    let answer = app.gql(&format!("{{ {aliases} }}"), json!({})).await;
    answer.expect_error("QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn batches_hold_at_most_twenty_operations() {
    let app = TestApp::spawn().await;
    let twenty: Vec<Value> = (0..20).map(|_| json!({ "query": "{ version }" })).collect();
    let answer = app.send_gql(None, Value::Array(twenty)).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.as_array().unwrap().len(), 20);

    let hundred: Vec<Value> = (0..100)
        .map(|_| json!({ "query": "{ version }" }))
        .collect();
    let answer = app.send_gql(None, Value::Array(hundred)).await;
    assert_eq!(answer.status, 400);
    answer.expect_error("QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn unknown_fields_and_bad_variables_are_bad_user_input() {
    let app = TestApp::spawn().await;
    app.gql("{ noSuchField }", json!({}))
        .await
        .expect_error("BAD_USER_INPUT");
    app.gql("{ version(", json!({}))
        .await
        .expect_error("BAD_USER_INPUT");
    app.gql(
        "query Q($n: Int!) { version }",
        json!({ "n": "not a number" }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn mutations_are_refused_over_get() {
    let app = TestApp::spawn().await;
    let query = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", "{ version }")])
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 200);
    let body: Value = query.json().await.unwrap();
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));

    let mutation = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { signOut }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    let body: Value = mutation.json().await.unwrap();
    assert_eq!(graphql_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn automatic_persisted_queries_round_trip() {
    let app = TestApp::spawn().await;
    let query = "{ version }";
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(query.as_bytes()))
    };
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let unknown = app
        .send_gql(None, json!({ "extensions": extensions }))
        .await;
    assert_eq!(unknown.errors()[0]["message"], "PersistedQueryNotFound");

    app.send_gql(None, json!({ "query": query, "extensions": extensions }))
        .await
        .data();
    let by_hash = app
        .send_gql(None, json!({ "extensions": extensions }))
        .await;
    assert_eq!(by_hash.at("version"), env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let on = TestApp::spawn().await;
    on.gql("{ __schema { queryType { name } } }", json!({}))
        .await
        .data();
    let off = TestApp::spawn_with(
        fairydust_tests::Overrides::default().set("GRAPHQL_INTROSPECTION", "false"),
    )
    .await;
    let answer = off
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        answer.body["data"]["__schema"].is_null(),
        "no schema leaks: {:#}",
        answer.body
    );
}

#[tokio::test]
async fn aliasing_expensive_fields_is_query_too_complex() {
    let app = TestApp::spawn().await;
    let window = r#"from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z""#;
    let app_id = "00000000-0000-0000-0000-000000000001";
    let expensive = [
        "health { status }".to_owned(),
        r#"apps(search: "tart", first: 1) { totalCount }"#.to_owned(),
        format!(r#"llmUsage(appId: "{app_id}", {window}) {{ totals {{ requests }} }}"#),
        format!(r#"appDustAnalytics(appId: "{app_id}", {window}) {{ date }}"#),
        format!(r#"app(id: "{app_id}") {{ usageStats({window}) {{ date }} }}"#),
    ];
    for field in &expensive {
        // Sixty aliases are far below the field cap: only the fields' own cost refuses them.
        for count in [60, 250] {
            let query = (0..count)
                .map(|i| format!("a{i}: {field}"))
                .collect::<Vec<_>>()
                .join(" ");
            let answer = app.gql(&format!("{{ {query} }}"), json!({})).await;
            assert_eq!(
                answer.code(),
                Some("QUERY_TOO_COMPLEX"),
                "{count} × {field}: {:#}",
                answer.body
            );
        }
    }
    // One of each is fine.
    let answer = app.gql("{ health { status } }", json!({})).await;
    assert!(answer.errors().is_empty(), "{:#}", answer.body);
    let answer = app
        .gql(r#"{ apps(search: "tart") { totalCount } }"#, json!({}))
        .await;
    assert!(answer.errors().is_empty(), "{:#}", answer.body);
}
