//! The admin portal's typed operations (`graphql/admin.graphql`, checked against `schema.graphql`
//! at compile time).

use graphql_client::GraphQLQuery;

/// Scalars as the server sends them: decimals and instants as strings (exact, never floats), JSON
/// as JSON.
type Decimal = String;
type DateTime = String;
#[allow(clippy::upper_case_acronyms)]
type JSON = serde_json::Value;

macro_rules! operation {
    ($name:ident) => {
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = "graphql/admin.graphql",
            response_derives = "Clone, Debug, PartialEq",
            variables_derives = "Clone, Debug"
        )]
        pub struct $name;
    };
}

operation!(LlmModels);
operation!(SetLlmModelPrice);
operation!(LlmAnalytics);
operation!(QuestionStats);
operation!(CreateQuestion);
operation!(UpdateQuestion);
operation!(SetQuestionActive);
operation!(DeleteQuestion);
operation!(LedgerAudit);
