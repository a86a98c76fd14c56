//! The admin portal, served by the fairydust server under `/admin/`. For now it signs an admin in;
//! the admin features come later.

use portal_kit::{PortalSpec, SignedInUser};

fn main() {
    portal_kit::mount(PortalSpec {
        base: "/admin",
        heading: "fairydust Admin",
        role_notice: |user: &SignedInUser| {
            (!user.is_admin).then_some("This account is not an admin.")
        },
    });
}
