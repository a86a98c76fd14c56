//! GraphiQL for developers integrating with fairydust, served on the API's origin but boxed in: its
//! scripts are pinned versions with Subresource Integrity hashes, a strict CSP of its own allows only
//! those exact files (plus the same-origin bootstrap), and its requests never carry cookies, so
//! nothing it runs can act with or read a portal's session. `GRAPHIQL=false` removes it.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

const REACT: &str = "https://unpkg.com/react@18.3.1/umd/react.production.min.js";
const REACT_SRI: &str = "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z";
const REACT_DOM: &str = "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js";
const REACT_DOM_SRI: &str =
    "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1";
const GRAPHIQL_JS: &str = "https://unpkg.com/graphiql@4.1.2/graphiql.min.js";
const GRAPHIQL_JS_SRI: &str =
    "sha384-9XdHu7ajgGJziD4J1zNBKQ842Q/+zZfDv+ib1eMhZWBH6hPAs806x+Jbcf0yNO6B";
const GRAPHIQL_CSS: &str = "https://unpkg.com/graphiql@4.1.2/graphiql.min.css";
const GRAPHIQL_CSS_SRI: &str =
    "sha384-1el1QShFBnnXTx9x/Cprg82hZWKt0ry29OAYIXt05swbi0KcZDFoj0CWguMpopJr";

/// Only the pinned files and our bootstrap may run; GraphiQL talks to this origin only (CSP 'self'
/// covers ws/wss of the same host); fonts and images are inlined in its stylesheet.
const GRAPHIQL_CSP: &str = concat!(
    "default-src 'none'; ",
    "script-src 'self' https://unpkg.com/react@18.3.1/umd/react.production.min.js ",
    "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js ",
    "https://unpkg.com/graphiql@4.1.2/graphiql.min.js; ",
    "style-src https://unpkg.com/graphiql@4.1.2/graphiql.min.css 'unsafe-inline'; ",
    "font-src data:; img-src data:; connect-src 'self'; worker-src 'none'; ",
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
);

/// Requests leave with `credentials: 'omit'`: only the token the developer types in the headers tab
/// authenticates them, never a cookie the browser holds for this origin. GraphiQL's own storage is kept
/// to its `graphiql:` keys, and headers are never persisted.
const BOOTSTRAP: &str = r#""use strict";
(function () {
  const origin = window.location.origin;
  const wsOrigin = origin.replace(/^http/, "ws");
  const ownKeys = (key) => typeof key === "string" && key.startsWith("graphiql:");
  const storage = {
    getItem: (key) => (ownKeys(key) ? window.localStorage.getItem(key) : null),
    setItem: (key, value) => { if (ownKeys(key)) window.localStorage.setItem(key, value); },
    removeItem: (key) => { if (ownKeys(key)) window.localStorage.removeItem(key); },
    clear: () => {},
    get length() { return 0; },
  };
  const fetcher = GraphiQL.createFetcher({
    url: origin + "/graphql",
    subscriptionUrl: wsOrigin + "/graphql/ws",
    fetch: (url, options) => window.fetch(url, Object.assign({}, options, { credentials: "omit" })),
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true,
    })
  );
})();
"#;

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/graphiql", get(page))
        .route("/graphiql/app.js", get(bootstrap))
}

async fn page() -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="referrer" content="no-referrer">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>fairydust GraphiQL</title>
    <link rel="stylesheet" href="{GRAPHIQL_CSS}" integrity="{GRAPHIQL_CSS_SRI}" crossorigin="anonymous">
    <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <script src="{REACT}" integrity="{REACT_SRI}" crossorigin="anonymous"></script>
    <script src="{REACT_DOM}" integrity="{REACT_DOM_SRI}" crossorigin="anonymous"></script>
    <script src="{GRAPHIQL_JS}" integrity="{GRAPHIQL_JS_SRI}" crossorigin="anonymous"></script>
    <script src="/graphiql/app.js"></script>
  </body>
</html>
"#
    );
    with_policy(Html(html).into_response())
}

async fn bootstrap() -> Response {
    let mut response = BOOTSTRAP.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    with_policy(response)
}

fn with_policy(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(GRAPHIQL_CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
