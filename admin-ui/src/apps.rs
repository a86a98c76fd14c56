//! Apps: tabs by status with their counts; the review queue is the Pending tab.

use leptos::prelude::*;

use crate::placeholder::Placeholder;

#[component]
pub fn AppsPage() -> impl IntoView {
    view! { <Placeholder title="Apps" /> }
}
