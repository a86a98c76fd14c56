//! The admin portal's typed operations (`graphql/*.graphql`, checked against `schema.graphql` at
//! compile time).

use graphql_client::GraphQLQuery;

/// Scalars as the server sends them: decimals and instants as strings (exact, never floats), JSON
/// as JSON.
type Decimal = String;
type DateTime = String;
#[allow(clippy::upper_case_acronyms)]
type JSON = serde_json::Value;

/// `operation!(Name)` takes the operation from `graphql/admin.graphql`; `operation!(Name, "graphql/x.graphql")`
/// from a screen's own file (one file per screen keeps each screen's operations together).
macro_rules! operation {
    ($name:ident) => {
        operation!($name, "graphql/admin.graphql");
    };
    ($name:ident, $file:tt) => {
        #[derive(GraphQLQuery)]
        #[graphql(
                                    schema_path = "../schema.graphql",
                                    query_path = $file,
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
