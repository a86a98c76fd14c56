//! An app's priced actions (what `consumeDust` and `generateText` charge): change a price or a
//! description, add an action, remove one (after a second click).

use leptos::prelude::*;
use portal_kit::{EmptyState, PortalError, run, use_toasts};

use crate::ops::{RemoveAppAction, SetAppAction, admin_app, remove_app_action, set_app_action};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PricedAction {
    action: String,
    dust_cost: i64,
    description: Option<String>,
}

/// `price` as a DUST amount the server may accept (it checks 1–10 000 itself).
fn parse_price(price: &str) -> Result<i64, PortalError> {
    price
        .trim()
        .parse()
        .map_err(|_| PortalError::local("A price is a whole number of DUST."))
}

async fn save(app_id: String, change: PricedAction) -> Result<PricedAction, PortalError> {
    let saved = run::<SetAppAction>(set_app_action::Variables {
        app_id,
        action: change.action,
        dust_cost: change.dust_cost,
        description: change.description.filter(|text| !text.trim().is_empty()),
    })
    .await?
    .set_app_action;
    Ok(PricedAction {
        action: saved.action,
        dust_cost: saved.dust_cost,
        description: saved.description,
    })
}

#[component]
pub fn AppActions(app_id: String, actions: Vec<admin_app::AdminAppAppActions>) -> impl IntoView {
    let toasts = use_toasts();
    let list = RwSignal::new(
        actions
            .into_iter()
            .map(|row| PricedAction {
                action: row.action,
                dust_cost: row.dust_cost,
                description: row.description,
            })
            .collect::<Vec<_>>(),
    );
    let saving = {
        let app_id = app_id.clone();
        Action::new_local(move |change: &PricedAction| {
            let (app_id, change) = (app_id.clone(), change.clone());
            async move {
                match save(app_id, change.clone()).await {
                    Ok(saved) => {
                        toasts.success(format!("{}: {} DUST", saved.action, saved.dust_cost));
                        list.update(|list| {
                            list.retain(|row| row.action != saved.action);
                            list.push(saved);
                            list.sort_by(|a, b| a.action.cmp(&b.action));
                        });
                        true
                    }
                    Err(error) => {
                        toasts.error(format!("{}: {error}", change.action));
                        false
                    }
                }
            }
        })
    };
    let removing = Action::new_local(move |action: &String| {
        let (app_id, action) = (app_id.clone(), action.clone());
        async move {
            let variables = remove_app_action::Variables {
                app_id,
                action: action.clone(),
            };
            match run::<RemoveAppAction>(variables).await {
                Ok(_) => {
                    toasts.success(format!("{action} removed"));
                    list.update(|list| list.retain(|row| row.action != action));
                }
                Err(error) => toasts.error(format!("{action}: {error}")),
            }
        }
    });

    let new_name = RwSignal::new(String::new());
    let new_price = RwSignal::new(String::new());
    let new_description = RwSignal::new(String::new());
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match parse_price(&new_price.get_untracked()) {
            Err(error) => toasts.error(error.message),
            Ok(dust_cost) => {
                saving.dispatch_local(PricedAction {
                    action: new_name.get_untracked().trim().to_owned(),
                    dust_cost,
                    description: Some(new_description.get_untracked()),
                });
            }
        }
    };
    // Empty the form once the new action is saved.
    Effect::new(move |_| {
        if saving.value().get() == Some(true) {
            new_name.set(String::new());
            new_price.set(String::new());
            new_description.set(String::new());
        }
    });

    view! {
        <section class="panel" aria-labelledby="actions-title">
            <h2 id="actions-title">"Actions and prices"</h2>
            <p class="hint">"What the app charges in DUST for each action (1–10 000)."</p>
            <Show
                when=move || list.with(|list| !list.is_empty())
                fallback=|| view! { <EmptyState title="No priced actions: the app cannot charge DUST." /> }
            >
                <div class="table-scroll">
                    <table id="actions-table">
                        <thead>
                            <tr>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Price (DUST)"</th>
                                <th scope="col">"Description"</th>
                                <th scope="col"><span class="visually-hidden">"Changes"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || list.get() key=|row| row.clone() let:row>
                                <ActionRow row saving removing />
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
            <form class="inline-form" id="new-action" on:submit=add>
                <label>
                    "New action"
                    <input id="new-action-name" required placeholder="e.g. story_short" bind:value=new_name />
                </label>
                <label>
                    "Price (DUST)"
                    <input id="new-action-price" class="price" inputmode="numeric" required bind:value=new_price />
                </label>
                <label>
                    "Description"
                    <input id="new-action-description" bind:value=new_description />
                </label>
                <button type="submit" disabled=move || saving.pending().get()>"Add action"</button>
            </form>
        </section>
    }
}

#[component]
fn ActionRow(
    row: PricedAction,
    saving: Action<PricedAction, bool>,
    removing: Action<String, ()>,
) -> impl IntoView {
    let price = RwSignal::new(row.dust_cost.to_string());
    let description = RwSignal::new(row.description.clone().unwrap_or_default());
    let confirming = RwSignal::new(false);
    let toasts = use_toasts();
    let name = row.action.clone();
    let unchanged = {
        let row = row.clone();
        move || {
            price.get().trim() == row.dust_cost.to_string()
                && description.get().trim() == row.description.as_deref().unwrap_or("")
        }
    };
    let save = {
        let name = name.clone();
        move |_| match parse_price(&price.get_untracked()) {
            Err(error) => toasts.error(error.message),
            Ok(dust_cost) => {
                saving.dispatch_local(PricedAction {
                    action: name.clone(),
                    dust_cost,
                    description: Some(description.get_untracked()),
                });
            }
        }
    };
    let remove = {
        let name = name.clone();
        move |_| {
            removing.dispatch_local(name.clone());
        }
    };
    view! {
        <tr data-action=name.clone()>
            <th scope="row">{name.clone()}</th>
            <td>
                <label class="visually-hidden" for=format!("price-{name}")>{format!("Price of {name} in DUST")}</label>
                <input id=format!("price-{name}") class="price" inputmode="numeric" bind:value=price />
            </td>
            <td>
                <label class="visually-hidden" for=format!("description-{name}")>{format!("Description of {name}")}</label>
                <input id=format!("description-{name}") bind:value=description />
            </td>
            <td class="row-actions">
                <button type="button" disabled=unchanged on:click=save>"Save"</button>
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        view! {
                            <button type="button" class="secondary" on:click=move |_| confirming.set(true)>
                                "Remove"
                            </button>
                        }
                    }
                >
                    <button type="button" class="danger" on:click=remove.clone()>"Remove for good"</button>
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Keep"</button>
                </Show>
            </td>
        </tr>
    }
}
