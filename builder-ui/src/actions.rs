//! An app's actions and their prices (what a user pays, in DUST): add, change a price, remove.
//! Removing asks for a confirmation: apps calling a removed action start failing.

use leptos::prelude::*;
use portal_kit::{ConfirmDialog, EmptyState, PortalError, run, use_toasts};

use crate::ops::{RemoveAppAction, SetAppAction, remove_app_action, set_app_action};

#[derive(Clone, Debug, PartialEq)]
pub struct ActionRow {
    pub action: String,
    pub dust_cost: i64,
    pub description: Option<String>,
}

fn price(text: &str) -> Result<i64, PortalError> {
    text.trim()
        .parse()
        .ok()
        .filter(|price| (1..=10_000).contains(price))
        .ok_or_else(|| PortalError::local("The price is a whole number of DUST, 1–10 000."))
}

async fn save(app_id: String, row: ActionRow) -> Result<ActionRow, PortalError> {
    let data = run::<SetAppAction>(set_app_action::Variables {
        app_id,
        action: row.action.trim().to_owned(),
        dust_cost: row.dust_cost,
        description: row.description.clone().filter(|d| !d.trim().is_empty()),
    })
    .await?;
    Ok(ActionRow {
        action: data.set_app_action.action,
        dust_cost: data.set_app_action.dust_cost,
        description: row.description,
    })
}

/// Puts `row` into the list, replacing the action of the same name.
fn upsert(actions: RwSignal<Vec<ActionRow>>, row: ActionRow) {
    actions.update(
        |list| match list.iter_mut().find(|a| a.action == row.action) {
            Some(existing) => *existing = row,
            None => list.push(row),
        },
    );
}

#[component]
pub fn ActionsEditor(app_id: String, actions: RwSignal<Vec<ActionRow>>) -> impl IntoView {
    let toasts = use_toasts();
    let confirming = RwSignal::new(false);
    let removing = RwSignal::new(String::new());
    let remove = {
        let app_id = app_id.clone();
        Action::new_local(move |action: &String| {
            let (app_id, action) = (app_id.clone(), action.clone());
            async move {
                let result = run::<RemoveAppAction>(remove_app_action::Variables {
                    app_id,
                    action: action.clone(),
                })
                .await;
                match result {
                    Ok(_) => {
                        actions.update(|list| list.retain(|a| a.action != action));
                        toasts.success(format!("Action {action} removed"));
                    }
                    Err(error) => toasts.error(error.message),
                }
            }
        })
    };
    let message = Signal::derive(move || {
        format!(
            "Remove the action {}? Calls of it (consumeDust, generateText) fail from now on.",
            removing.get()
        )
    });
    let rows_app_id = app_id.clone();
    view! {
        <section class="panel" aria-labelledby="actions-title" id="actions">
            <h2 id="actions-title">"Actions and prices"</h2>
            <p class="hint">"The price a user pays for one use of the action, in DUST (1 DUST = 1 US cent)."</p>
            {move || {
                if actions.with(Vec::is_empty) {
                    view! { <EmptyState title="No actions yet." hint="Add one: an app charges DUST through its actions." /> }.into_any()
                } else {
                    let app_id = rows_app_id.clone();
                    view! {
                        <div class="table-scroll">
                            <table id="actions-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Action"</th>
                                        <th scope="col">"Price (DUST)"</th>
                                        <th scope="col">"Description"</th>
                                        <th scope="col"><span class="visually-hidden">"Change"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    <For
                                        each=move || actions.get()
                                        key=|row| (row.action.clone(), row.dust_cost)
                                        let:row
                                    >
                                        <ActionLine app_id=app_id.clone() row actions removing confirming />
                                    </For>
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
            <NewAction app_id=app_id actions />
            <ConfirmDialog
                open=confirming
                title="Remove an action"
                message
                confirm_label="Remove action"
                on_confirm=move |_reason: String| {
                    remove.dispatch_local(removing.get_untracked());
                }
            />
        </section>
    }
}

#[component]
fn ActionLine(
    app_id: String,
    row: ActionRow,
    actions: RwSignal<Vec<ActionRow>>,
    removing: RwSignal<String>,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    let toasts = use_toasts();
    let name = row.action.clone();
    let cost = RwSignal::new(row.dust_cost.to_string());
    let original = row.dust_cost;
    let reprice = Action::new_local(move |row: &ActionRow| {
        let (app_id, row) = (app_id.clone(), row.clone());
        async move {
            match save(app_id, row).await {
                Ok(saved) => {
                    toasts.success(format!(
                        "{} now costs {} DUST",
                        saved.action, saved.dust_cost
                    ));
                    upsert(actions, saved);
                }
                Err(error) => toasts.error(error.message),
            }
        }
    });
    let on_save = {
        let row = row.clone();
        move |_| match price(&cost.get_untracked()) {
            Ok(dust_cost) => {
                reprice.dispatch_local(ActionRow {
                    dust_cost,
                    ..row.clone()
                });
            }
            Err(error) => toasts.error(error.message),
        }
    };
    let ask_remove = {
        let name = name.clone();
        move |_| {
            removing.set(name.clone());
            confirming.set(true);
        }
    };
    view! {
        <tr data-action=name.clone()>
            <th scope="row"><code>{name.clone()}</code></th>
            <td>
                <label class="visually-hidden" for=format!("price-{name}")>{format!("Price of {name} in DUST")}</label>
                <input id=format!("price-{name}") class="price" type="number" min="1" max="10000" bind:value=cost />
            </td>
            <td>{row.description.clone().unwrap_or_default()}</td>
            <td class="row-actions">
                <button
                    id=format!("save-price-{name}")
                    type="button"
                    disabled=move || cost.get().trim() == original.to_string()
                    on:click=on_save
                >
                    "Save"
                </button>
                <button id=format!("remove-{name}") type="button" class="secondary" on:click=ask_remove>
                    "Remove"
                </button>
            </td>
        </tr>
    }
}

#[component]
fn NewAction(app_id: String, actions: RwSignal<Vec<ActionRow>>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let cost = RwSignal::new("1".to_owned());
    let description = RwSignal::new(String::new());
    let add = Action::new_local(move |_: &()| {
        let app_id = app_id.clone();
        async move {
            let row = ActionRow {
                action: name.get_untracked().trim().to_owned(),
                dust_cost: price(&cost.get_untracked())?,
                description: Some(description.get_untracked()),
            };
            let saved = save(app_id, row).await?;
            toasts.success(format!(
                "Action {} added at {} DUST",
                saved.action, saved.dust_cost
            ));
            upsert(actions, saved);
            name.set(String::new());
            description.set(String::new());
            Ok::<(), PortalError>(())
        }
    });
    let error = move || add.value().get().and_then(Result::err);
    view! {
        <form
            id="new-action"
            class="inline-form"
            on:submit=move |event| {
                event.prevent_default();
                add.dispatch_local(());
            }
        >
            <div class="field">
                <label for="new-action-name">"Action"</label>
                <input id="new-action-name" required pattern="[a-z0-9_]{1,64}" placeholder="e.g. idea" bind:value=name />
            </div>
            <div class="field">
                <label for="new-action-price">"Price (DUST)"</label>
                <input id="new-action-price" type="number" min="1" max="10000" required bind:value=cost />
            </div>
            <div class="field grow">
                <label for="new-action-description">"Description (optional)"</label>
                <input id="new-action-description" bind:value=description />
            </div>
            <button id="add-action" type="submit" disabled=move || add.pending().get()>"Add action"</button>
            {move || error().map(|error| view! { <p id="action-error" class="form-error" role="alert">{error.message}</p> })}
        </form>
    }
}
