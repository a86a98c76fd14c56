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
// rustfmt re-indents the attribute inside this macro on every run; keep it as written.
#[rustfmt::skip]
macro_rules! operation {
    ($name:ident) => {
        operation!($name, "graphql/admin.graphql");
    };
    ($name:ident, $file:tt) => {
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = $file,
            response_derives = "Clone, PartialEq",
            variables_derives = "Clone"
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

// Apps and ledger
/// `YYYY-MM-DD` (app usage days). Declared once for every operation: merge with any twin.
type NaiveDate = String;
operation!(AdminApps, "graphql/apps.graphql");
operation!(AdminApp, "graphql/apps.graphql");
operation!(ApproveApp, "graphql/apps.graphql");
operation!(RejectApp, "graphql/apps.graphql");
operation!(SuspendApp, "graphql/apps.graphql");
operation!(ReactivateApp, "graphql/apps.graphql");
operation!(SetAppAction, "graphql/apps.graphql");
operation!(RemoveAppAction, "graphql/apps.graphql");
operation!(SetAppModelConfig, "graphql/apps.graphql");
operation!(Transactions, "graphql/transactions.graphql");
operation!(RefundTransaction, "graphql/transactions.graphql");

/// The GraphQL name of a generated enum value (`PENDING`), or a value of one operation's generated
/// type as the same-shaped type of another: every operation has its own copies of the schema's
/// enums and objects.
pub fn convert<A: serde::Serialize, B: serde::de::DeserializeOwned>(value: &A) -> Option<B> {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| serde_json::from_value(value).ok())
}

/// `convert` to text: the GraphQL name of an enum value.
pub fn gql_name<A: serde::Serialize>(value: &A) -> String {
    convert::<A, String>(value).unwrap_or_default()
}

// Dashboard, users, audit log
operation!(PlatformDashboard, "graphql/dashboard.graphql");
operation!(AuditLog, "graphql/audit_log.graphql");
operation!(Users, "graphql/users.graphql");
operation!(UserDetail, "graphql/users.graphql");
operation!(UserTransactions, "graphql/users.graphql");
operation!(UserLlmUsage, "graphql/users.graphql");
operation!(GrantDust, "graphql/users.graphql");
operation!(AdjustDust, "graphql/users.graphql");
operation!(RecordPurchase, "graphql/users.graphql");
operation!(RefundUserTransaction, "graphql/users.graphql");
operation!(SetBuilder, "graphql/users.graphql");
operation!(SetAdmin, "graphql/users.graphql");
operation!(DeactivateUser, "graphql/users.graphql");
operation!(ReactivateUser, "graphql/users.graphql");
operation!(RevokeUserSessions, "graphql/users.graphql");
