//! Requests that must not change anything: a `GET /graphql` is cacheable and can be triggered by a link
//! or an image tag, so it may only run queries. The HTTP handler refuses a mutation it can see; this
//! extension also catches documents it cannot see, such as a persisted-query hash of a mutation.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerResult, Variables};

use crate::error::{ApiError, ErrorCode};

pub const GET_IS_READ_ONLY: &str = "Only queries may use GET; send mutations with POST";

/// Request data marking a request that may only read (put there by the GET handler).
#[derive(Clone, Copy, Debug)]
pub struct ReadOnlyRequest;

pub struct RefuseWritesWhenReadOnly;

impl ExtensionFactory for RefuseWritesWhenReadOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RefuseWritesWhenReadOnly)
    }
}

#[async_trait::async_trait]
impl Extension for RefuseWritesWhenReadOnly {
    /// Runs after the persisted-query extension has turned a hash into its document.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if ctx.data_opt::<ReadOnlyRequest>().is_some()
            && document
                .operations
                .iter()
                .any(|(_, operation)| operation.node.ty != OperationType::Query)
        {
            let error = async_graphql::Error::from(ApiError::new(
                ErrorCode::BadUserInput,
                GET_IS_READ_ONLY,
            ));
            return Err(error.into_server_error(Default::default()));
        }
        Ok(document)
    }
}
