//! Confirmation for destructive or money actions: says what will happen and requires a reason,
//! which the action receives (for its audit trail). Escape or "Cancel" closes it; the reason box
//! takes the focus when it opens. An action whose API takes no reason sets `ask_reason` to false:
//! asking for one it would throw away would mislead the admin.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn ConfirmDialog(
    /// Whether the dialog is shown; the dialog closes itself on cancel and on confirm.
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    /// What exactly will happen, e.g. "Delete the question cooking_skill?".
    #[prop(into)]
    message: Signal<String>,
    #[prop(into, default = "Confirm".into())] confirm_label: Signal<String>,
    /// Whether a reason is asked for (and required); without one `on_confirm` receives "".
    #[prop(into, default = true.into())]
    ask_reason: Signal<bool>,
    /// Receives the trimmed reason, non-empty when `ask_reason`.
    #[prop(into)]
    on_confirm: Callback<String>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let reason_box = NodeRef::<html::Textarea>::new();
    let confirm_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if open.get() {
            reason.set(String::new());
            if let Some(area) = reason_box.get() {
                let _ = area.focus();
            } else if let Some(button) = confirm_button.get() {
                let _ = button.focus();
            }
        }
    });
    let close = move || open.set(false);
    let confirm = move || {
        let given = reason.get_untracked().trim().to_owned();
        if !given.is_empty() || !ask_reason.get_untracked() {
            close();
            on_confirm.run(given);
        }
    };

    view! {
        <Show when=move || open.get()>
            <div class="dialog-backdrop">
                <div
                    id="confirm-dialog"
                    class="dialog"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="confirm-title"
                    on:keydown=move |event| {
                        if event.key() == "Escape" {
                            close();
                        }
                    }
                >
                    <h2 id="confirm-title">{move || title.get()}</h2>
                    <p>{move || message.get()}</p>
                    <form
                        class="stack"
                        on:submit=move |event| {
                            event.prevent_default();
                            confirm();
                        }
                    >
                        <Show when=move || ask_reason.get()>
                            <label for="confirm-reason">"Reason (required)"</label>
                            <textarea
                                id="confirm-reason"
                                node_ref=reason_box
                                rows="3"
                                required
                                bind:value=reason
                            ></textarea>
                        </Show>
                        <div class="actions">
                            <button type="button" class="secondary" on:click=move |_| close()>
                                "Cancel"
                            </button>
                            <button
                                id="confirm-action"
                                node_ref=confirm_button
                                type="submit"
                                class="danger"
                                disabled=move || ask_reason.get() && reason.get().trim().is_empty()
                            >
                                {move || confirm_label.get()}
                            </button>
                        </div>
                    </form>
                </div>
            </div>
        </Show>
    }
}
