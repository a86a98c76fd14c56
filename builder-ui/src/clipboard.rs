//! Copy buttons: `navigator.clipboard.writeText`, with a toast saying whether it worked.

use leptos::prelude::*;
use portal_kit::use_toasts;
use wasm_bindgen_futures::JsFuture;

async fn copy(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    JsFuture::from(promise).await.is_ok()
}

/// A button that copies `text`; `what` names it for the label and the toast ("App ID").
#[component]
pub fn CopyButton(
    #[prop(into)] id: String,
    #[prop(into)] text: Signal<String>,
    what: &'static str,
) -> impl IntoView {
    let toasts = use_toasts();
    let copying = Action::new_local(move |text: &String| {
        let text = text.clone();
        async move {
            if copy(&text).await {
                toasts.success(format!("{what} copied"));
            } else {
                toasts.error(format!(
                    "Could not copy the {what}; select it and copy by hand."
                ));
            }
        }
    });
    view! {
        <button
            id=id
            type="button"
            class="secondary copy"
            aria-label=format!("Copy the {what}")
            on:click=move |_| {
                copying.dispatch_local(text.get_untracked());
            }
        >
            "Copy"
        </button>
    }
}
