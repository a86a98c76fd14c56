//! Dashboard: platform totals and charts for a range of UTC days, pending apps, the ledger audit
//! status and the latest admin actions.

use leptos::prelude::*;

use crate::placeholder::Placeholder;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! { <Placeholder title="Dashboard" /> }
}
