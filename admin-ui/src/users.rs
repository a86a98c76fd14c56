//! Users: search and filter every account, page through them, open one.

use leptos::prelude::*;

use crate::placeholder::Placeholder;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <Placeholder title="Users" /> }
}
