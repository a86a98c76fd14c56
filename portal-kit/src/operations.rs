//! The operations portal-kit itself runs, typed from `graphql/session.graphql` and `schema.graphql`:
//! a renamed field fails this crate's build instead of a page at run time.

use graphql_client::GraphQLQuery;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/session.graphql",
    response_derives = "Clone, Debug"
)]
pub struct RequestOtp;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/session.graphql",
    response_derives = "Clone, Debug"
)]
pub struct VerifyOtpForPortal;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/session.graphql",
    response_derives = "Clone, Debug"
)]
pub struct RefreshPortalSession;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/session.graphql",
    response_derives = "Clone, Debug"
)]
pub struct SignOutPortal;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/session.graphql",
    response_derives = "Clone, Debug"
)]
pub struct PortalHealth;
