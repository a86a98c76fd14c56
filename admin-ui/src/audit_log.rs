//! Audit log: every admin action, filterable, with its before/after.

use leptos::prelude::*;

use crate::placeholder::Placeholder;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! { <Placeholder title="Audit log" /> }
}
