//! Screens whose admin API does not exist yet. They say so instead of showing invented numbers.

use leptos::prelude::*;
use portal_kit::{EmptyState, PageHeader};

#[component]
pub fn Placeholder(title: &'static str, needs: &'static str) -> impl IntoView {
    view! {
        <PageHeader title=title />
        <section class="panel" id="placeholder">
            <EmptyState
                title=format!("{title} is not available yet.")
                hint=format!(
                    "This screen needs {needs}, which the admin API does not offer yet. It will appear here once that API ships; nothing shown here is made up.",
                )
            />
        </section>
    }
}
