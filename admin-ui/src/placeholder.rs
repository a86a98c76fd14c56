//! A screen that is not built yet says so plainly instead of showing invented numbers.

use leptos::prelude::*;
use portal_kit::{EmptyState, PageHeader};

#[component]
pub fn Placeholder(title: &'static str) -> impl IntoView {
    view! {
        <PageHeader title=title />
        <section class="panel" id="placeholder">
            <EmptyState
                title=format!("{title}: this screen is not built yet.")
                hint="The admin API behind it exists (see GraphiQL and docs/API.md); the screen comes next.".to_owned()
            />
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <PageHeader title="Page not found" />
        <section class="panel" id="not-found">
            <EmptyState
                title="There is no page at this address."
                hint="Pick a screen from the navigation.".to_owned()
            />
        </section>
    }
}
