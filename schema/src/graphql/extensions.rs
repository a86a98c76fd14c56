//! Schema-wide extensions: stable error codes on every error, a cap on fields per document, and metrics.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
    NextSubscribe,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, Value, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::error::ErrorCode;

/// No legitimate client selects this many fields in one document; a thousand aliases of one cheap field
/// would otherwise pass the complexity limit.
pub const MAX_FIELDS_PER_DOCUMENT: usize = 500;
const TOO_MANY_FIELDS: &str = "Query selects too many fields.";
/// async-graphql's own limit messages: depth and complexity (validation), nesting (parser recursion).
const LIMIT_MESSAGES: [&str; 4] = [
    "Query is nested too deep.",
    "Query is too complex.",
    "The recursion depth of the query cannot be greater than",
    TOO_MANY_FIELDS,
];

/// Gives every error a code from the contract: errors raised by async-graphql itself (parse and validation
/// errors, input coercion) carry none.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

pub fn ensure_code(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_some() {
        return;
    }
    let code = if LIMIT_MESSAGES
        .iter()
        .any(|limit| error.message.starts_with(limit))
    {
        ErrorCode::QueryTooComplex
    } else {
        ErrorCode::BadUserInput
    };
    extensions.set("code", Value::from(code.as_str()));
}

fn with_codes(mut response: Response) -> Response {
    response.errors.iter_mut().for_each(ensure_code);
    response
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        with_codes(next.run(ctx).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(with_codes).boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if count_fields(&document) > MAX_FIELDS_PER_DOCUMENT {
            return Err(ServerError::new(TOO_MANY_FIELDS, None));
        }
        Ok(document)
    }
}

fn count_fields(document: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => 1 + count(&field.node.selection_set.node),
                Selection::FragmentSpread(_) => 1,
                Selection::InlineFragment(fragment) => 1 + count(&fragment.node.selection_set.node),
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| count(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| count(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

/// Counts and times operations by name for `/metrics`. Names come from clients, so a name gets its own
/// series only when the server knows it: it names a root field of the schema (`query Me`, `mutation
/// ConsumeDust`, compared without case) or is one of the first-party portals' operations. Everything
/// else shares "other", so a client cannot create series at will.
pub struct OperationMetrics {
    known: Arc<HashSet<String>>,
}

/// Operations the portals send whose names are not root fields.
const FIRST_PARTY_OPERATIONS: [&str; 1] = ["PortalHealth"];

impl OperationMetrics {
    /// `root_fields`: every field of the Query, Mutation and Subscription types.
    pub fn new(root_fields: impl IntoIterator<Item = String>) -> Self {
        let known = root_fields
            .into_iter()
            .chain(FIRST_PARTY_OPERATIONS.iter().map(|name| (*name).to_owned()))
            .map(|name| name.to_ascii_lowercase())
            .collect();
        Self {
            known: Arc::new(known),
        }
    }
}

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationMetricsExtension {
            known: self.known.clone(),
        })
    }
}

struct OperationMetricsExtension {
    known: Arc<HashSet<String>>,
}

impl OperationMetricsExtension {
    fn label(&self, operation_name: Option<&str>) -> String {
        match operation_name {
            None => "anonymous".to_owned(),
            Some(name) if self.known.contains(&name.to_ascii_lowercase()) => name.to_owned(),
            Some(_) => "other".to_owned(),
        }
    }
}

#[async_trait::async_trait]
impl Extension for OperationMetricsExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let started = Instant::now();
        let response = next.run(ctx, operation_name).await;
        let operation = self.label(operation_name);
        let outcome = if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        metrics::counter!("graphql_operations_total", "operation" => operation.clone(), "outcome" => outcome)
            .increment(1);
        metrics::histogram!("graphql_operation_duration_seconds", "operation" => operation)
            .record(started.elapsed().as_secs_f64());
        response
    }
}
