//! `/graphql/ws` speaks graphql-transport-ws; the token arrives in `connection_init`.

use std::time::Duration;

use fairydust_tests::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", app.address).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    socket
}

async fn next_json(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await.ok()?? {
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
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    assert_eq!(next_json(&mut socket).await.unwrap()["type"], "connection_ack");

    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ version }" } });
    socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let next = next_json(&mut socket).await.unwrap();
    assert_eq!(next["type"], "next");
    assert_eq!(next["payload"]["data"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(next_json(&mut socket).await.unwrap()["type"], "complete");
}

#[tokio::test]
async fn a_bad_token_closes_the_websocket() {
    let app = TestApp::spawn().await;
    let mut socket = connect(&app).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nonsense" } });
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    let answer = next_json(&mut socket).await;
    assert!(answer.as_ref().is_none_or(|message| message["type"] != "connection_ack"), "{answer:?}");
}
