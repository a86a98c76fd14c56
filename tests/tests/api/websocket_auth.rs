//! `/graphql/ws` sees the viewer an HTTP request would see at that moment, and sockets are limited.

use std::time::Duration;

use chrono::Utc;
use fairydust_entities::users;
use fairydust_tests::{Overrides, TestApp};
use futures_util::{SinkExt, StreamExt};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server said next.
#[derive(Debug)]
enum Heard {
    Json(Value),
    Closed(Option<u16>),
}

struct Ws(Socket);

impl Ws {
    async fn open(app: &TestApp) -> Ws {
        let mut request = format!("ws://{}/graphql/ws", app.address)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Ws(socket)
    }

    async fn send(&mut self, message: Value) {
        self.0
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// The next message, waiting at most `seconds`.
    async fn hear(&mut self, seconds: u64) -> Heard {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(seconds), self.0.next())
                .await
                .expect("the server answers in time");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Heard::Json(serde_json::from_str(&text).unwrap());
                }
                Some(Ok(Message::Close(frame))) => {
                    return Heard::Closed(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Heard::Closed(None),
            }
        }
    }

    async fn init(&mut self, token: &str) -> Heard {
        self.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        self.hear(5).await
    }

    /// Opens a socket for `token` and expects the server to accept it.
    async fn signed_in(app: &TestApp, token: &str) -> Ws {
        let mut ws = Ws::open(app).await;
        match ws.init(token).await {
            Heard::Json(ack) if ack["type"] == "connection_ack" => ws,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    /// Runs one operation and returns its first payload.
    async fn run(&mut self, id: &str, query: &str) -> Value {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
        self.until(id, "next").await["payload"].clone()
    }

    /// The next message of `kind` for operation `id`, passing over other operations' messages.
    async fn until(&mut self, id: &str, kind: &str) -> Value {
        loop {
            match self.hear(5).await {
                Heard::Json(message) if message["id"] == id => {
                    assert_eq!(message["type"], kind, "{message}");
                    return message;
                }
                Heard::Json(_) => continue,
                Heard::Closed(code) => panic!("closed ({code:?}) while waiting for {id}"),
            }
        }
    }

    /// Waits for the server to close the socket and returns the close code.
    async fn closed(&mut self, seconds: u64) -> Option<u16> {
        loop {
            match self.hear(seconds).await {
                Heard::Closed(code) => return code,
                Heard::Json(_) => continue,
            }
        }
    }
}

fn code(payload: &Value) -> &str {
    payload["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {payload}"))
}

#[tokio::test]
async fn signing_out_closes_the_sockets_of_that_session() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let mut ws = Ws::signed_in(&app, &user.token).await;
    let me = ws.run("me", "{ me { id } }").await;
    assert_eq!(me["data"]["me"]["id"], user.id.to_string(), "{me}");

    app.gql_as(&user.token, "mutation { signOut }", json!({}))
        .await
        .data();
    assert_eq!(ws.closed(5).await, Some(4401));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_on_another_replica_closes_the_socket() {
    let replica_a = TestApp::spawn().await;
    let replica_b = replica_a.spawn_replica().await;
    let user = replica_a.user().await;
    let mut ws = Ws::signed_in(&replica_a, &user.token).await;
    ws.run("me", "{ me { id } }").await;

    replica_b
        .gql_as(&user.token, "mutation { signOutEverywhere }", json!({}))
        .await
        .data();
    assert_eq!(ws.closed(5).await, Some(4401));
}

#[tokio::test]
async fn an_operation_after_deactivation_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let mut ws = Ws::signed_in(&app, &user.token).await;
    ws.run("before", "{ me { id } }").await;

    users::Entity::update_many()
        .col_expr(users::Column::IsActive, Expr::value(false))
        .filter(users::Column::Id.eq(user.id))
        .exec(&app.db)
        .await
        .unwrap();
    // Nothing announced the change; the cached principal expires as it would after ROLE_CACHE_SECONDS.
    let key = format!("auth:principal:{}:{}", user.id, user.session_id);
    app.app.state.app.cache.delete(&key).await.unwrap();

    let after = ws.run("after", "{ me { id } }").await;
    assert_eq!(code(&after), "UNAUTHENTICATED", "{after}");
}

#[tokio::test]
async fn a_removed_builder_role_applies_to_the_next_operation_on_the_socket() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let builder = app.builder().await;
    let create = |name: &str| {
        format!(
            "mutation {{ createApp(input: {{name: \"{name}\", description: \"Ideas\", category: LIFESTYLE}}) {{ id }} }}"
        )
    };
    let mut ws = Ws::signed_in(&app, &builder.token).await;
    let first = ws.run("first", &create("Idea Box")).await;
    assert!(first["errors"].is_null(), "{first}");

    app.gql_as(
        &admin.token,
        "mutation S($id: ID!) { setBuilder(userId: $id, isBuilder: false) { id } }",
        json!({ "id": builder.id }),
    )
    .await
    .data();

    let second = ws.run("second", &create("Idea Box Two")).await;
    assert_eq!(code(&second), "FORBIDDEN", "{second}");
}

#[tokio::test]
async fn an_expired_token_closes_the_socket() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let (token, _) = app.app.state.app.auth.keys().issue_access(
        user.id,
        user.session_id,
        vec![],
        Utc::now(),
        chrono::Duration::seconds(3),
    );
    let mut ws = Ws::signed_in(&app, &token).await;
    ws.run("me", "{ me { id } }").await;
    assert_eq!(ws.closed(8).await, Some(4401));
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_the_socket() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let mut ws = Ws::signed_in(&app, &user.token).await;
    let padding = " ".repeat(1024 * 1024 + 1);
    ws.send(json!({ "id": "big", "type": "subscribe", "payload": { "query": format!("{{ version }}{padding}") } }))
        .await;
    match ws.hear(5).await {
        Heard::Closed(_) => {}
        other => panic!("expected the socket to close, got {other:?}"),
    }
}

#[tokio::test]
async fn operations_in_flight_are_limited_per_socket() {
    let app = TestApp::spawn_with(Overrides::default().set("WS_MAX_OPERATIONS", "1")).await;
    let user = app.user().await;
    let mut ws = Ws::signed_in(&app, &user.token).await;
    ws.send(json!({ "id": "open", "type": "subscribe", "payload": { "query": "subscription { dustBalanceChanged { balance } }" } }))
        .await;
    let refused = ws.run("second", "{ version }").await;
    assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");

    // Once the subscription is stopped, its place is free again.
    ws.send(json!({ "id": "open", "type": "complete" })).await;
    ws.until("open", "complete").await;
    let third = ws.run("third", "{ version }").await;
    assert!(third["errors"].is_null(), "{third}");
}

#[tokio::test]
async fn sockets_per_user_are_limited() {
    let app = TestApp::spawn_with(Overrides::default().set("WS_MAX_SOCKETS_PER_USER", "2")).await;
    let user = app.user().await;
    let other = app.user().await;
    let _first = Ws::signed_in(&app, &user.token).await;
    let _second = Ws::signed_in(&app, &user.token).await;
    let mut third = Ws::open(&app).await;
    match third.init(&user.token).await {
        Heard::Closed(_) => {}
        other => panic!("expected the third socket to be refused, got {other:?}"),
    }
    // The limit is per user.
    Ws::signed_in(&app, &other.token).await;
}

#[tokio::test]
async fn an_idle_socket_is_closed() {
    let app = TestApp::spawn_with(
        Overrides::default()
            .set("WS_IDLE_TIMEOUT_SECONDS", "1")
            .set("ROLE_CACHE_SECONDS", "1"),
    )
    .await;
    let user = app.user().await;
    let mut ws = Ws::signed_in(&app, &user.token).await;
    assert_eq!(ws.closed(5).await, Some(4408));
}
