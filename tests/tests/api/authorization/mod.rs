//! The authorization matrix: every Query, Mutation and Subscription field of `schema.graphql`, called as
//! every role, must answer as the table in `table.rs` says; a root field missing from the table fails too.

mod table;
mod world;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fairydust_tests::{Gql, Overrides, TestApp, TestUser};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use table::{Rule, TABLE};
use world::World;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Anonymous,
    User,
    Owner,
    Builder,
    AppOwner,
    Admin,
}

const ROLES: [Role; 6] = [
    Role::Anonymous,
    Role::User,
    Role::Owner,
    Role::Builder,
    Role::AppOwner,
    Role::Admin,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Unauthenticated,
    Refused,
}

const SDL: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"));

/// `Query.me`, … for every field of the three root types.
fn root_fields(sdl: &str) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    let mut root = None;
    let mut in_description = false;
    for line in sdl.lines() {
        let trimmed = line.trim();
        if let Some(name) = ["Query", "Mutation", "Subscription"]
            .into_iter()
            .find(|name| trimmed == format!("type {name} {{"))
        {
            root = Some(name);
            continue;
        }
        let Some(name) = root else { continue };
        if trimmed == "}" {
            root = None;
            continue;
        }
        if trimmed.starts_with("\"\"\"") {
            // A one-line description opens and closes on the same line.
            let closes_here = trimmed.len() > 3 && trimmed.ends_with("\"\"\"");
            if !closes_here {
                in_description = !in_description;
            }
            continue;
        }
        if in_description || trimmed.is_empty() || trimmed.starts_with('@') {
            continue;
        }
        let field: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !field.is_empty() {
            fields.insert(format!("{name}.{field}"));
        }
    }
    fields
}

#[test]
fn every_root_field_of_the_schema_is_in_the_table() {
    let schema = root_fields(SDL);
    assert!(schema.contains("Query.me") && schema.contains("Subscription.dustBalanceChanged"));
    let table: BTreeSet<String> = TABLE.iter().map(|rule| rule.field.to_owned()).collect();
    assert_eq!(table.len(), TABLE.len(), "a field is listed twice");
    let missing: Vec<_> = schema.difference(&table).collect();
    let unknown: Vec<_> = table.difference(&schema).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "add these fields to tests/tests/api/authorization/table.rs: {missing:?}; \
         these rows name no field of schema.graphql: {unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_gets_the_answer_the_table_gives() {
    // Every call comes from its own client address (the server trusts the loopback proxy), so the
    // per-IP limits on sign-in codes measure what they are meant to, not this test's volume.
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("TRUST_FORWARDED_FOR", "true")
            .set("TRUSTED_PROXIES", "127.0.0.1/32"),
    )
    .await;
    let curator = app.admin().await;
    let calls = futures_util::stream::iter(TABLE)
        .map(|rule| check_rule(&app, &curator, rule))
        .buffer_unordered(4);
    let mismatches: Vec<String> = calls.concat().await;
    assert!(
        mismatches.is_empty(),
        "{} answers differ from the authorization table:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

async fn check_rule(app: &TestApp, curator: &TestUser, rule: &Rule) -> Vec<String> {
    let mut mismatches = Vec::new();
    for (role, expected) in ROLES.into_iter().zip(rule.access) {
        let world = World::build(app, curator, rule.document).await;
        let token = world.token_for(app, role).await;
        let (outcome, answer) = if rule.field.starts_with("Subscription.") {
            subscribe(app, token.as_deref(), rule.document).await
        } else {
            let mut variables = world.variables.clone();
            if let Some(token) = token
                .as_deref()
                .filter(|_| rule.document.contains("$contactCode"))
            {
                variables["contactCode"] = json!(contact_change_code(app, token).await);
            }
            let answer = post(app, token.as_deref(), rule.document, variables).await;
            // Errors of the document itself carry no path: the row would prove nothing.
            let first_error = &answer.body["errors"][0];
            assert!(
                first_error.is_null() || !first_error["path"].is_null(),
                "the document of {} is invalid: {}",
                rule.field,
                answer.body
            );
            (classify(&answer.body, rule), answer.body)
        };
        if outcome != expected {
            mismatches.push(format!(
                "  {} as {role:?}: expected {expected:?}, got {outcome:?}: {answer}",
                rule.field
            ));
        }
    }
    mismatches
}

/// Past authorization unless the first error says otherwise. NOT_FOUND counts as a refusal only where
/// the table expects some role to be refused (the resource is hidden from them); elsewhere it is a
/// business answer given after authorization passed.
fn classify(body: &Value, rule: &Rule) -> Outcome {
    let hides = rule.access.contains(&Outcome::Refused);
    match body["errors"][0]["extensions"]["code"].as_str() {
        Some("UNAUTHENTICATED") => Outcome::Unauthenticated,
        Some("FORBIDDEN") => Outcome::Refused,
        Some("NOT_FOUND") if hides => Outcome::Refused,
        _ => Outcome::Allowed,
    }
}

static NEXT_ADDRESS: AtomicU32 = AtomicU32::new(1);

/// A client address of the 10.0.0.0/8 range no other call of this test has used.
fn fresh_client_address() -> String {
    let n = NEXT_ADDRESS.fetch_add(1, Ordering::Relaxed);
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

async fn post(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Gql {
    let mut request = app
        .http
        .post(app.url("/graphql"))
        .header("x-forwarded-for", fresh_client_address())
        // The portal-session fields refuse calls without it; every other field ignores it.
        .header("x-fairydust-csrf", "1")
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    Gql { status, body }
}

/// The code of a contact change the caller asked for just now, read from the mock email provider.
async fn contact_change_code(app: &TestApp, token: &str) -> String {
    let email = format!("change-{}@example.com", uuid::Uuid::new_v4().simple());
    post(
        app,
        Some(token),
        "mutation($email: String!) { requestContactChange(input: {email: $email}) { sentTo } }",
        json!({ "email": email }),
    )
    .await
    .data();
    app.providers
        .email_code(&email)
        .await
        .unwrap_or_else(|| "123456".to_owned())
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A subscription is allowed when its first event arrives (the balance subscription starts with the
/// current balance); refused when the server answers an error or closes the socket.
async fn subscribe(app: &TestApp, token: Option<&str>, query: &str) -> (Outcome, Value) {
    let mut request = format!("ws://{}/graphql/ws", app.address)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let Some(ack) = next_message(&mut socket).await else {
        return (Outcome::Unauthenticated, json!("closed at connection_init"));
    };
    if ack["type"] != "connection_ack" {
        return (Outcome::Unauthenticated, ack);
    }
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    let Some(answer) = next_message(&mut socket).await else {
        return (Outcome::Unauthenticated, json!("closed after subscribe"));
    };
    let errors = if answer["type"] == "error" {
        answer["payload"].clone()
    } else {
        answer["payload"]["errors"].clone()
    };
    let outcome = match errors[0]["extensions"]["code"].as_str() {
        Some("UNAUTHENTICATED") => Outcome::Unauthenticated,
        Some("FORBIDDEN") => Outcome::Refused,
        _ if answer["type"] == "next" && errors.is_null() => Outcome::Allowed,
        _ => Outcome::Refused,
    };
    (outcome, answer)
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

async fn next_message(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .ok()??
        {
            Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}
