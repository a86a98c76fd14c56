//! A small typed client for the test server's `/graphql`.

use serde_json::{Value, json};

use crate::TestApp;

/// One GraphQL answer over HTTP.
#[derive(Debug, Clone)]
pub struct Gql {
    pub status: u16,
    pub body: Value,
}

impl Gql {
    /// The `data` of a successful answer; panics with the errors otherwise.
    #[track_caller]
    pub fn data(&self) -> &Value {
        assert!(
            self.errors().is_empty(),
            "expected no errors, got {:#}",
            self.body
        );
        &self.body["data"]
    }

    pub fn errors(&self) -> &[Value] {
        self.body["errors"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The `extensions.code` of the first error.
    pub fn code(&self) -> Option<&str> {
        self.errors()
            .first()
            .and_then(|e| e["extensions"]["code"].as_str())
    }

    /// The first error, which must carry `code`; panics with the answer otherwise.
    #[track_caller]
    pub fn expect_error(&self, code: &str) -> &Value {
        assert_eq!(
            self.code(),
            Some(code),
            "expected {code}, got {:#}",
            self.body
        );
        &self.errors()[0]
    }

    /// A value under `data` by dotted path, e.g. `consumeDust.balanceAfter`.
    #[track_caller]
    pub fn at(&self, path: &str) -> &Value {
        path.split('.')
            .fold(self.data(), |value, key| match key.parse::<usize>() {
                Ok(index) => &value[index],
                Err(_) => &value[key],
            })
    }
}

impl TestApp {
    pub async fn gql(&self, query: &str, variables: Value) -> Gql {
        self.send_gql(None, json!({ "query": query, "variables": variables }))
            .await
    }

    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Gql {
        self.send_gql(
            Some(token),
            json!({ "query": query, "variables": variables }),
        )
        .await
    }

    /// [`Self::gql_as`], with the SQL statements the server ran while answering.
    pub async fn gql_as_counted(&self, token: &str, query: &str, variables: Value) -> (u64, Gql) {
        let before = self.statements.get();
        let answer = self.gql_as(token, query, variables).await;
        (self.statements.get() - before, answer)
    }

    /// Posts any JSON body (a batch, an APQ request) with an optional bearer token.
    pub async fn send_gql(&self, token: Option<&str>, body: Value) -> Gql {
        let mut request = self.http.post(self.url("/graphql")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let body = response.json().await.expect("a JSON body");
        Gql { status, body }
    }
}
