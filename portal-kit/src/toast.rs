//! Short confirmations and failures that do not interrupt: "Price saved", "Could not delete".
//! One live region per page, so screen readers announce them.

use std::time::Duration;

use leptos::prelude::*;

const SHOWN_FOR: Duration = Duration::from_secs(6);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
}

/// Handed out by `use_toasts()` inside a `<ToastRegion>`.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn success(&self, message: impl Into<String>) {
        self.push(ToastKind::Success, message.into());
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(ToastKind::Error, message.into());
    }

    fn push(&self, kind: ToastKind, message: String) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.list
            .update(|list| list.push(Toast { id, kind, message }));
        let list = self.list;
        set_timeout(
            move || {
                list.try_update(|list| list.retain(|toast| toast.id != id))
                    .unwrap_or(())
            },
            SHOWN_FOR,
        );
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|list| list.retain(|toast| toast.id != id));
    }
}

/// The toasts of the current page; panics outside `<ToastRegion>`, which is a programming error.
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Provides `Toasts` to its children and shows them in a corner (`#toasts`).
#[component]
pub fn ToastRegion(children: Children) -> impl IntoView {
    let toasts = Toasts {
        list: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    };
    provide_context(toasts);
    view! {
        {children()}
        <div id="toasts" class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.list.get() key=|toast| toast.id let:toast>
                <div class="toast" data-kind=match toast.kind {
                    ToastKind::Success => "success",
                    ToastKind::Error => "error",
                }>
                    <span>{toast.message}</span>
                    <button
                        type="button"
                        class="link"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
