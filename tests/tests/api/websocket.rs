//! `/graphql/ws` speaks graphql-transport-ws; the token arrives in `connection_init`.

use std::time::Duration;

use fairydust_tests::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", app.address)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
}

async fn next_json(socket: &mut Socket) -> Option<Value> {
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

#[tokio::test]
async fn operations_run_over_the_websocket_with_a_token() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let mut socket = connect(&app).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", user.token) } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );

    let subscribe =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ version }" } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    let next = next_json(&mut socket).await.unwrap();
    assert_eq!(next["type"], "next");
    assert_eq!(
        next["payload"]["data"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(next_json(&mut socket).await.unwrap()["type"], "complete");
}

#[tokio::test]
async fn a_bad_token_closes_the_websocket() {
    let app = TestApp::spawn().await;
    let mut socket = connect(&app).await;
    let init =
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nonsense" } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    let answer = next_json(&mut socket).await;
    assert!(
        answer
            .as_ref()
            .is_none_or(|message| message["type"] != "connection_ack"),
        "{answer:?}"
    );
}

async fn subscribe_balance(app: &TestApp, token: &str) -> Socket {
    let mut socket = connect(app).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    let subscribe = json!({ "id": "balance", "type": "subscribe", "payload": {
        "query": "subscription { dustBalanceChanged { balance transaction { amount type action } } }" } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    // The first event is the balance now: once it is here, the subscription is listening.
    let current = next_json(&mut socket).await.expect("the current balance");
    assert_eq!(current["type"], "next", "{current}");
    assert_eq!(
        current["payload"]["data"]["dustBalanceChanged"]["transaction"]["type"], "GRANT",
        "a new user's latest transaction is the welcome bonus: {current}"
    );
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_changes_made_on_another_replica_reach_the_subscriber() {
    let replica_a = TestApp::spawn().await;
    let replica_b = replica_a.spawn_replica().await;
    let owner = replica_a.builder().await;
    let priced = replica_a.priced_app(owner.id, &[("spark", 2)]).await;
    let user = replica_a.user().await;
    let stranger = replica_a.user().await;
    let mut socket = subscribe_balance(&replica_a, &user.token).await;

    let consume =
        "mutation C($input: ConsumeDustInput!) { consumeDust(input: $input) { balanceAfter } }";
    let input = |key: &str| json!({ "input": { "appId": priced.slug, "action": "spark", "idempotencyKey": key } });
    replica_b
        .gql_as(&stranger.token, consume, input("theirs"))
        .await
        .data();
    replica_b
        .gql_as(&user.token, consume, input("mine"))
        .await
        .data();

    let event = next_json(&mut socket).await.expect("an event arrives");
    assert_eq!(event["type"], "next", "{event}");
    let change = &event["payload"]["data"]["dustBalanceChanged"];
    assert_eq!(
        change["balance"], 23,
        "only the subscriber's own changes: {change}"
    );
    assert_eq!(change["transaction"]["amount"], -2);
    assert_eq!(change["transaction"]["type"], "CONSUME");
}

#[tokio::test]
async fn anonymous_subscribers_are_refused() {
    let app = TestApp::spawn().await;
    let mut socket = connect(&app).await;
    socket
        .send(Message::Text(
            json!({ "type": "connection_init", "payload": {} })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { dustBalanceChanged { balance } }" } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    let answer = next_json(&mut socket).await.unwrap();
    assert_eq!(answer["type"], "next");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer}"
    );
}
