//! One app: details, builder, actions and prices, model configuration, decisions and usage.

use leptos::prelude::*;

use crate::placeholder::Placeholder;

#[component]
pub fn AppDetailPage() -> impl IntoView {
    view! { <Placeholder title="App" /> }
}
