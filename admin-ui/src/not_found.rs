//! The page for an address no screen answers.

use leptos::prelude::*;
use portal_kit::{EmptyState, PageHeader};

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
