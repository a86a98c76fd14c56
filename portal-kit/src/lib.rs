//! UI pieces shared by the admin and builder portals: the GraphQL client, the stored session and
//! the components every portal shows before anything role-specific. The shared stylesheet is
//! `static/portal.css`, copied next to each portal by `scripts/build-portals.sh`.

mod graphql;
mod portal;
mod server_status;
mod session;
mod sign_in;

pub use graphql::{PortalError, graphql};
pub use portal::{PortalSpec, mount};
pub use server_status::ServerStatus;
pub use sign_in::{SignInForm, SignedInUser};
