//! One app: its App ID and slug (with copy buttons), the actions and prices, the model configuration
//! with a cost estimate, usage per UTC day and recent DUST transactions. Another builder's app is
//! NOT_FOUND or FORBIDDEN from the server, shown as an error.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use portal_kit::{ErrorState, Loading, PageHeader, run};

use crate::actions::{ActionRow, ActionsEditor};
use crate::app_form::AdminNotes;
use crate::clipboard::CopyButton;
use crate::model_config::ModelConfigEditor;
use crate::my_apps::{marketplace_state, status_badge};
use crate::ops::{AppDetail, app_detail};
use crate::transactions::RecentTransactions;
use crate::usage::Usage;

#[component]
pub fn AppDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let app = LocalResource::new(move || run::<AppDetail>(app_detail::Variables { id: id() }));
    view! {
        <Suspense fallback=|| view! { <Loading label="Loading the app…" /> }>
            {move || Suspend::new(async move {
                match app.await {
                    Err(error) => view! {
                        <PageHeader title="App" crumbs=vec![("My apps", "/builder/".to_owned())] />
                        <div id="app-error"><ErrorState error /></div>
                    }
                        .into_any(),
                    Ok(data) => view! { <AppView app=data.app /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AppView(app: app_detail::AppDetailApp) -> impl IntoView {
    let status = format!("{:?}", app.status);
    let (label, class) = status_badge(&status);
    let actions = RwSignal::new(
        app.actions
            .iter()
            .map(|action| ActionRow {
                action: action.action.clone(),
                dust_cost: action.dust_cost,
                description: action.description.clone(),
            })
            .collect::<Vec<_>>(),
    );
    let id = app.id.clone();
    let slug = app.slug.clone();
    let edit_href = format!("/builder/apps/{id}/edit");
    let quick_start_href = format!("/builder/apps/{id}/quick-start");
    view! {
        <PageHeader title=app.name.clone() crumbs=vec![("My apps", "/builder/".to_owned())]>
            <div class="header-actions">
                <A href=edit_href attr:class="button secondary" attr:id="edit-app">"Edit"</A>
                <A href=quick_start_href attr:class="button" attr:id="quick-start">"Quick start"</A>
            </div>
        </PageHeader>
        <AdminNotes status=status.clone() notes=app.admin_notes.clone() />
        <section class="panel" aria-labelledby="identity-title">
            <h2 id="identity-title">"Identity"</h2>
            <dl class="facts">
                <div>
                    <dt>"Status"</dt>
                    <dd><span id="app-status" class=class>{label}</span> " " {marketplace_state(&status, app.is_active)}</dd>
                </div>
                <div>
                    <dt>"App ID"</dt>
                    <dd class="copyable"><code id="app-id">{id.clone()}</code><CopyButton id="copy-app-id" text=id.clone() what="App ID" /></dd>
                </div>
                <div>
                    <dt>"Slug"</dt>
                    <dd class="copyable"><code id="app-slug">{slug.clone()}</code><CopyButton id="copy-slug" text=slug.clone() what="slug" /></dd>
                </div>
            </dl>
        </section>
        <ActionsEditor app_id=id.clone() actions />
        <ModelConfigEditor app_id=id.clone() config=app.model_config.clone() actions />
        <Usage app_id=id.clone() />
        <RecentTransactions app_id=id />
    }
}
