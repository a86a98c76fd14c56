//! The schema: roots merged from every domain, limits and extensions.

pub mod extensions;

use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, LruCacheStorage,
};
use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::apps::graphql::{AppsMutation, AppsQuery};
use crate::auth::Viewer;
use crate::content::graphql::{ContentMutation, ContentQuery};
use crate::identity::graphql::{
    AccountMutation, AccountQuery, AuthMutation, AuthQuery, IdentityQuery, PortalSessionMutation,
};
use crate::ledger::graphql::{LedgerMutation, LedgerQuery, LedgerSubscription};
use crate::llm::graphql::{LlmMutation, LlmQuery};
use crate::loaders::Loaders;
use crate::profile::graphql::{ProfileMutation, ProfileQuery};
use crate::questions::graphql::{QuestionsMutation, QuestionsQuery};
use crate::state::{AppState, RequestMeta};
use crate::system::SystemQuery;

/// DESIGN §4 limits.
pub const MAX_DEPTH: usize = 15;
pub const MAX_COMPLEXITY: usize = 2_000;
pub const MAX_BATCH: usize = 20;
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
        .extension(extensions::OperationMetrics::default())
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
            PERSISTED_QUERY_CACHE_SIZE,
        )));
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
    data.insert(Loaders::new(&state.db));
}

/// The SDL exported to `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
