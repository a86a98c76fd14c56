//! The schema: roots merged from every domain, limits and extensions.

pub mod document_cache;
pub mod extensions;
pub mod read_only;

use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, LruCacheStorage,
};
use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::admin::graphql::{AdminMutation, AdminQuery};
use crate::apps::graphql::{AppsMutation, AppsQuery};
use crate::auth::Viewer;
use crate::content::graphql::{ContentMutation, ContentQuery};
use crate::identity::graphql::{
    AccountMutation, AccountQuery, AuthMutation, AuthQuery, IdentityQuery, PortalSessionMutation,
};
use crate::ledger::graphql::{LedgerMutation, LedgerQuery, LedgerSubscription};
use crate::llm::graphql::{LlmMutation, LlmQuery};
use crate::loaders::RequestLoaders;
use crate::profile::graphql::{ProfileMutation, ProfileQuery};
use crate::questions::graphql::{QuestionsMutation, QuestionsQuery};
use crate::state::{AppState, RequestMeta};
use crate::system::SystemQuery;

/// The query limits of ARCHITECTURE §2.
pub const MAX_DEPTH: usize = 15;
pub const MAX_COMPLEXITY: usize = 2_000;
pub const MAX_BATCH: usize = 20;
/// The complexity of a field that scans or aggregates (usage reports, analytics, marketplace search,
/// the dependency check), so a document aliasing many of them is refused as `QUERY_TOO_COMPLEX`
/// (at most 40 fit in `MAX_COMPLEXITY`) instead of multiplying the work.
pub const EXPENSIVE_FIELD: usize = 50;
/// Persisted queries are remembered per replica; a replica that has not seen a hash answers
/// `PersistedQueryNotFound` and the client re-sends the full query, as the APQ protocol intends.
const PERSISTED_QUERY_CACHE_SIZE: usize = 1_000;

#[derive(MergedObject, Default)]
pub struct Query(
    SystemQuery,
    IdentityQuery,
    AuthQuery,
    AccountQuery,
    ProfileQuery,
    LedgerQuery,
    AppsQuery,
    LlmQuery,
    ContentQuery,
    QuestionsQuery,
    AdminQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    PortalSessionMutation,
    AccountMutation,
    ProfileMutation,
    LedgerMutation,
    AppsMutation,
    LlmMutation,
    ContentMutation,
    QuestionsMutation,
    AdminMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(LedgerSubscription);

pub type FairydustSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

/// The schema served to clients, with its limits and the app state as context data.
pub fn build_schema(state: AppState, introspection: bool) -> FairydustSchema {
    let mut schema = builder()
        .data(state)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(extensions::ErrorCodes)
        .extension(extensions::OperationMetrics::new(root_fields()))
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
            PERSISTED_QUERY_CACHE_SIZE,
        )))
        .extension(read_only::RefuseWritesWhenReadOnly)
        // Last, so innermost: every extension above still sees every request.
        .extension(document_cache::DocumentCache::default());
    if !introspection {
        schema = schema.disable_introspection();
    }
    schema.finish()
}

/// Mutations whose requests may exceed the 1 MB body limit, up to 12 MB (recipe content).
pub const LARGE_PAYLOAD_MUTATIONS: [&str; 3] = ["saveRecipe", "updateRecipe", "syncRecipes"];

/// Everything one request carries into the resolvers: who asks, from where, and fresh dataloaders
/// (created per request so their caches never cross users).
pub fn fill_request_data(
    data: &mut async_graphql::Data,
    state: &AppState,
    viewer: Viewer,
    meta: RequestMeta,
) {
    data.insert(viewer);
    data.insert(meta);
    data.insert(RequestLoaders::new(&state.db));
}

/// The names of every Query, Mutation and Subscription field: the operations the server knows.
fn root_fields() -> Vec<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let document = async_graphql::parser::parse_schema(sdl()).expect("our own SDL parses");
    document
        .definitions
        .into_iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(ty)
                if ["Query", "Mutation", "Subscription"].contains(&ty.node.name.node.as_str()) =>
            {
                match ty.node.kind {
                    TypeKind::Object(object) => Some(object.fields),
                    _ => None,
                }
            }
            _ => None,
        })
        .flatten()
        .map(|field| field.node.name.node.to_string())
        .collect()
}

/// The SDL exported to `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
