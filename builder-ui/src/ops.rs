//! The builder portal's typed operations (`graphql/*.graphql`, checked against `schema.graphql` at
//! compile time).

use graphql_client::GraphQLQuery;

/// Scalars as the server sends them: decimals, instants and days as strings (exact, never floats).
type Decimal = String;
type DateTime = String;
type NaiveDate = String;

// rustfmt re-indents the attribute inside this macro on every run; keep it as written.
#[rustfmt::skip]
macro_rules! operation {
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

operation!(BecomeBuilder, "graphql/apps.graphql");
operation!(MyApps, "graphql/apps.graphql");
operation!(AppDetail, "graphql/apps.graphql");
operation!(CreateApp, "graphql/apps.graphql");
operation!(UpdateApp, "graphql/apps.graphql");
operation!(SetAppListed, "graphql/apps.graphql");
operation!(SlugAvailable, "graphql/apps.graphql");
operation!(SetAppAction, "graphql/pricing.graphql");
operation!(RemoveAppAction, "graphql/pricing.graphql");
operation!(PriceTable, "graphql/pricing.graphql");
operation!(SetAppModelConfig, "graphql/pricing.graphql");
operation!(EstimateLlmCost, "graphql/pricing.graphql");
operation!(AppStats, "graphql/usage.graphql");
operation!(AppTransactions, "graphql/usage.graphql");
operation!(TryCheckDust, "graphql/usage.graphql");
