//! A cache of parsed — and, where that is safe, validated — documents.
//!
//! Mobile apps send a handful of fixed documents, again and again; parsing and validating each copy
//! was about a seventh of the server's CPU per small request (docs/BENCHMARKS.md). This extension sits
//! innermost in the chain, so every other extension's hooks still run on every request (the field
//! cap, the read-only check of GET requests): only async-graphql's own parse and validation are
//! skipped when their result is already known.
//!
//! - **Parsing** depends on the query text alone, so a parsed document is reused for the same text.
//!   Only documents that parsed (and passed the parser's recursion and directive checks) are kept.
//! - **Validation** depends on the document, the operation name and — through arguments that refer
//!   to variables (complexity, argument values) — on the variables' values. A validation result is
//!   therefore reused only for a document that declares no variables, for the same operation name;
//!   a document with variables is validated on every request. Failed validations are never kept.
//!
//! The schema is fixed for the life of the process, so nothing here is ever stale; the cache holds at
//! most [`DOCUMENT_CACHE_SIZE`] documents of at most [`MAX_CACHED_QUERY_BYTES`] each, least recently
//! used out first.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Variables};
use lru::LruCache;

/// Documents kept (the apps' and portals' operations fit many times over).
pub const DOCUMENT_CACHE_SIZE: usize = 512;
/// Longer query texts are parsed every time (they are not the apps' small fixed operations).
pub const MAX_CACHED_QUERY_BYTES: usize = 8 * 1024;

struct Cached {
    document: ExecutableDocument,
    declares_variables: bool,
    /// Validation results by operation name, for documents without variables.
    validated: Mutex<Vec<(Option<String>, ValidationResult)>>,
}

type Documents = Mutex<LruCache<Arc<str>, Arc<Cached>>>;

pub struct DocumentCache {
    documents: Arc<Documents>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self::new(DOCUMENT_CACHE_SIZE)
    }
}

impl DocumentCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            documents: Arc::new(Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).expect("at least 1"),
            ))),
        }
    }
}

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentCacheExtension {
            documents: self.documents.clone(),
            request: Mutex::new(RequestState::default()),
        })
    }
}

/// What this request's hooks learn for the later ones (one extension instance per request).
#[derive(Default)]
struct RequestState {
    operation_name: Option<String>,
    /// The cached entry of this request's document, once parsed.
    entry: Option<Arc<Cached>>,
}

struct DocumentCacheExtension {
    documents: Arc<Documents>,
    request: Mutex<RequestState>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait::async_trait]
impl Extension for DocumentCacheExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Innermost: the persisted-query extension has already put the document in place.
        let request = next.run(ctx, request).await?;
        lock(&self.request).operation_name = request.operation_name.clone();
        Ok(request)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // An empty text: the document arrived parsed — the persisted-query extension keeps parsed
        // documents and empties `query` — so the text says nothing about it. (Nothing in the server
        // sets a parsed document beside a non-empty, different text.)
        if query.is_empty() || query.len() > MAX_CACHED_QUERY_BYTES {
            return next.run(ctx, query, variables).await;
        }
        let found = lock(&self.documents).get(query).cloned();
        let entry = match found {
            Some(entry) => entry,
            None => {
                let document = next.run(ctx, query, variables).await?;
                let declares_variables = document
                    .operations
                    .iter()
                    .any(|(_, operation)| !operation.node.variable_definitions.is_empty());
                let entry = Arc::new(Cached {
                    document,
                    declares_variables,
                    validated: Mutex::new(Vec::new()),
                });
                lock(&self.documents).put(Arc::from(query), entry.clone());
                entry
            }
        };
        let document = entry.document.clone();
        lock(&self.request).entry = Some(entry);
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let (entry, operation_name) = {
            let mut request = lock(&self.request);
            (request.entry.take(), request.operation_name.take())
        };
        let Some(entry) = entry.filter(|entry| !entry.declares_variables) else {
            return next.run(ctx).await;
        };
        let known = lock(&entry.validated)
            .iter()
            .find(|(name, _)| *name == operation_name)
            .map(|(_, result)| *result);
        if let Some(result) = known {
            return Ok(result);
        }
        let result = next.run(ctx).await?;
        let mut validated = lock(&entry.validated);
        // A document has few operations; a client cycling through unknown names gains no room.
        if validated.len() < 8 {
            validated.push((operation_name, result));
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        /// Costs `n`, so its complexity depends on a variable's value.
        #[graphql(complexity = "n as usize")]
        async fn items(&self, n: i32) -> i32 {
            n
        }

        async fn version(&self) -> &str {
            "1"
        }
    }

    fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .limit_complexity(100)
            .extension(DocumentCache::new(4))
            .finish()
    }

    #[tokio::test]
    async fn a_document_with_variables_is_validated_with_each_requests_values() {
        let schema = schema();
        let query = "query Q($n: Int!) { items(n: $n) }";
        let small =
            Request::new(query).variables(Variables::from_json(serde_json::json!({"n": 5})));
        assert!(schema.execute(small).await.errors.is_empty());
        let large =
            Request::new(query).variables(Variables::from_json(serde_json::json!({"n": 5000})));
        let answer = schema.execute(large).await;
        assert_eq!(answer.errors.len(), 1, "{answer:?}");
        assert!(answer.errors[0].message.starts_with("Query is too complex"));
    }

    #[tokio::test]
    async fn a_cached_document_answers_like_a_fresh_one_and_failures_are_not_kept() {
        let schema = schema();
        for _ in 0..3 {
            let answer = schema.execute("{ version items(n: 2) }").await;
            assert!(answer.errors.is_empty(), "{answer:?}");
            assert_eq!(
                answer.data.into_json().unwrap(),
                serde_json::json!({"version": "1", "items": 2})
            );
            let answer = schema.execute("{ items(n: 500) }").await;
            assert!(answer.errors[0].message.starts_with("Query is too complex"));
            let answer = schema.execute("{ nope }").await;
            assert_eq!(answer.errors.len(), 1, "{answer:?}");
            let answer = schema.execute("{ version").await;
            assert_eq!(answer.errors.len(), 1, "{answer:?}");
        }
    }

    #[tokio::test]
    async fn each_operation_of_a_cached_document_runs_as_named() {
        let schema = schema();
        let document = "query A { version } query B { items(n: 3) }";
        for _ in 0..3 {
            let a = schema
                .execute(Request::new(document).operation_name("A"))
                .await;
            assert_eq!(
                a.data.into_json().unwrap(),
                serde_json::json!({"version": "1"})
            );
            let b = schema
                .execute(Request::new(document).operation_name("B"))
                .await;
            assert_eq!(b.data.into_json().unwrap(), serde_json::json!({"items": 3}));
            let unnamed = schema.execute(document).await;
            assert_eq!(unnamed.errors.len(), 1, "{unnamed:?}");
            let unknown = schema
                .execute(Request::new(document).operation_name("C"))
                .await;
            assert_eq!(unknown.errors.len(), 1, "{unknown:?}");
        }
    }

    #[tokio::test]
    async fn a_document_parsed_before_the_cache_is_never_confused_with_another() {
        // The persisted-query extension hands over parsed documents with an empty query text.
        let schema = schema();
        for (text, expected) in [
            ("{ version }", serde_json::json!({"version": "1"})),
            ("{ items(n: 4) }", serde_json::json!({"items": 4})),
        ] {
            let mut request = Request::new(text);
            let _ = request.parsed_query().unwrap();
            request.query = String::new();
            let answer = schema.execute(request).await;
            assert_eq!(answer.data.into_json().unwrap(), expected);
        }
    }
}
