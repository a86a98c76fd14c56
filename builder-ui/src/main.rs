//! The builder portal, served by the fairydust server under `/builder/`. For now it signs a builder
//! in; publishing apps comes later.

use portal_kit::{PortalSpec, SignedInUser};

fn main() {
    portal_kit::mount(PortalSpec {
        base: "/builder",
        heading: "fairydust Builder",
        role_notice: |user: &SignedInUser| {
            (!user.is_builder).then_some("Become a builder to publish apps.")
        },
    });
}
