//! UI pieces shared by the admin and builder portals: the typed GraphQL client, the cookie session,
//! the page frame and the components every screen uses. The shared stylesheet is
//! `static/portal.css`, copied next to each portal by `scripts/build-portals.sh`.

mod chart;
pub mod dates;
mod dialog;
mod download;
mod graphql;
mod operations;
mod portal;
mod server_status;
mod session;
mod shell;
mod sign_in;
mod states;
mod table;
mod toast;

pub use chart::{Chart, ChartKind, ChartPoint};
pub use dialog::ConfirmDialog;
pub use download::download;
pub use graphql::{PortalError, run};
pub use portal::{PortalSpec, mount, start};
pub use server_status::ServerStatus;
pub use session::{SessionState, SignedInUser, session_state, update_signed_in_user};
pub use shell::{NavItem, PageHeader, SessionGate, Shell, SignOutButton};
pub use sign_in::SignInForm;
pub use states::{EmptyState, ErrorState, Loading};
pub use table::{PAGE_SIZES, Pager, Pagination, SearchBox};
pub use toast::{ToastKind, Toasts, use_toasts};
