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

// Dashboard, users, audit log
/// Days (`YYYY-MM-DD`) as the server sends them.
type NaiveDate = String;
operation!(PlatformDashboard, "graphql/dashboard.graphql");
operation!(DashboardLedger, "graphql/dashboard.graphql");
operation!(AuditLog, "graphql/audit_log.graphql");
operation!(Users, "graphql/users.graphql");
operation!(UserDetail, "graphql/users.graphql");
operation!(UserTransactions, "graphql/users.graphql");
operation!(UserLlmUsage, "graphql/users.graphql");
operation!(GrantDust, "graphql/users.graphql");
operation!(AdjustDust, "graphql/users.graphql");
operation!(RecordPurchase, "graphql/users.graphql");
operation!(RefundTransaction, "graphql/users.graphql");
operation!(SetBuilder, "graphql/users.graphql");
operation!(SetAdmin, "graphql/users.graphql");
operation!(DeactivateUser, "graphql/users.graphql");
operation!(ReactivateUser, "graphql/users.graphql");
operation!(RevokeUserSessions, "graphql/users.graphql");
