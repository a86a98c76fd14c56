//! What a page shows while it waits, when it failed and when there is nothing to show: the same
//! three shapes everywhere, with `data-state` for tests.

use leptos::prelude::*;

use crate::PortalError;

#[component]
pub fn Loading(#[prop(into, default = "Loading…".into())] label: String) -> impl IntoView {
    view! {
        <p class="state loading" data-state="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {label}
        </p>
    }
}

/// The server's message, plus a retry button when the caller can retry.
#[component]
pub fn ErrorState(
    error: PortalError,
    #[prop(optional, into)] on_retry: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <div class="state error" data-state="error" role="alert">
            <p>{error.message}</p>
            {on_retry
                .map(|retry| {
                    view! {
                        <button type="button" class="secondary" on:click=move |_| retry.run(())>
                            "Try again"
                        </button>
                    }
                })}
        </div>
    }
}

#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    view! {
        <div class="state empty" data-state="empty">
            <p class="empty-title">{title}</p>
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        </div>
    }
}
