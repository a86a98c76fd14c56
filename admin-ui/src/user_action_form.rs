//! The actions panel of a user's page: the DUST form (grant, adjust, record a purchase) and the
//! account buttons; each only opens the confirmation (`user_actions.rs`), which makes the call.

use leptos::prelude::*;

use crate::user_actions::{Change, UserActions};
use crate::user_detail::Account;

/// Which DUST form is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Movement {
    Grant,
    Adjust,
    Purchase,
}

fn whole(text: &str, field: &str) -> Result<i64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{field} must be a whole number."))
}

#[component]
pub fn ActionsPanel(actions: UserActions) -> impl IntoView {
    let account = actions.account;
    let movement = RwSignal::new(Movement::Grant);
    let amount = RwSignal::new(String::new());
    let payment_id = RwSignal::new(String::new());
    let cents = RwSignal::new(String::new());
    let form_error = RwSignal::new(None::<String>);
    let submit = move || {
        let change = (|| {
            let value = whole(&amount.get_untracked(), "The amount")?;
            Ok::<_, String>(match movement.get_untracked() {
                Movement::Grant if value > 0 => Change::Grant(value),
                Movement::Adjust if value != 0 => Change::Adjust(value),
                Movement::Purchase if value > 0 => Change::Purchase {
                    amount: value,
                    payment_id: payment_id.get_untracked().trim().to_owned(),
                    cents: match cents.get_untracked().trim() {
                        "" => value,
                        typed => whole(typed, "The payment amount")?,
                    },
                },
                Movement::Adjust => return Err("A correction must not be 0.".to_owned()),
                _ => return Err("The amount must be more than 0.".to_owned()),
            })
        })();
        match change {
            Ok(change) => {
                form_error.set(None);
                actions.ask(change);
            }
            Err(error) => form_error.set(Some(error)),
        }
    };
    let flag = move |read: fn(&Account) -> bool| move || account.with(read);
    let is_builder = flag(|a| a.is_builder);
    let is_admin = flag(|a| a.is_admin);
    let is_active = flag(|a| a.is_active);

    view! {
        <section class="panel" aria-labelledby="actions-title" id="user-actions">
            <h2 id="actions-title">"Actions"</h2>
            <form
                id="dust-form"
                class="dust-form"
                on:submit=move |event| {
                    event.prevent_default();
                    submit();
                }
            >
                <label for="dust-kind">"DUST"</label>
                <select
                    id="dust-kind"
                    on:change=move |event| {
                        movement.set(match event_target_value(&event).as_str() {
                            "adjust" => Movement::Adjust,
                            "purchase" => Movement::Purchase,
                            _ => Movement::Grant,
                        })
                    }
                >
                    <option value="grant">"Grant"</option>
                    <option value="adjust">"Adjust (±)"</option>
                    <option value="purchase">"Record a purchase"</option>
                </select>
                <label for="dust-amount">
                    {move || match movement.get() {
                        Movement::Adjust => "Correction (negative takes DUST away)",
                        _ => "Amount",
                    }}
                </label>
                <input id="dust-amount" inputmode="numeric" required bind:value=amount />
                <Show when=move || movement.get() == Movement::Purchase>
                    <label for="payment-id">"Payment id"</label>
                    <input id="payment-id" required bind:value=payment_id />
                    <label for="payment-cents">"Paid (cents; empty: the amount, 1 DUST = 1 cent)"</label>
                    <input id="payment-cents" inputmode="numeric" bind:value=cents />
                </Show>
                {move || form_error.get().map(|error| view! { <p class="form-error" role="alert">{error}</p> })}
                <button id="dust-submit" type="submit">
                    {move || match movement.get() {
                        Movement::Grant => "Grant…",
                        Movement::Adjust => "Adjust…",
                        Movement::Purchase => "Record…",
                    }}
                </button>
            </form>
            <h3>"Account"</h3>
            <div class="row-actions">
                <button id="toggle-builder" type="button" class="secondary" on:click=move |_| actions.ask(Change::SetBuilder(!is_builder()))>
                    {move || if is_builder() { "Remove builder" } else { "Make builder" }}
                </button>
                <button id="toggle-admin" type="button" class="secondary" on:click=move |_| actions.ask(Change::SetAdmin(!is_admin()))>
                    {move || if is_admin() { "Remove admin" } else { "Make admin" }}
                </button>
                <button id="revoke-sessions" type="button" class="secondary" on:click=move |_| actions.ask(Change::RevokeSessions)>
                    "Sign out everywhere"
                </button>
                <button
                    id="toggle-active"
                    type="button"
                    class={move || if is_active() { "danger" } else { "secondary" }}
                    on:click=move |_| actions.ask(if is_active() { Change::Deactivate } else { Change::Reactivate })
                >
                    {move || if is_active() { "Deactivate" } else { "Reactivate" }}
                </button>
            </div>
        </section>
    }
}
