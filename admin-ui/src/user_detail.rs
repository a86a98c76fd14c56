//! One user: profile, roles, status, balance, transactions with refunds, sessions, linked providers
//! and LLM usage, and the admin actions on the account.

use leptos::prelude::*;

use crate::placeholder::Placeholder;

#[component]
pub fn UserDetailPage() -> impl IntoView {
    view! { <Placeholder title="User" /> }
}
