//! Create or edit an app: name, description, category and URLs, with a live preview of the slug and
//! whether it is free, and the server's validation errors next to the field they are about. Editing
//! also shows the admins' notes and the switch that takes the app off the marketplace.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use portal_kit::{ErrorState, Loading, PageHeader, PortalError, run, use_toasts};
use serde::de::DeserializeOwned;

use crate::my_apps::{marketplace_state, status_badge};
use crate::ops::{
    AppDetail, CreateApp, SetAppListed, SlugAvailable, UpdateApp, app_detail, create_app,
    set_app_listed, slug_available, update_app,
};
use crate::slug;

pub const CATEGORIES: [(&str, &str); 9] = [
    ("PRODUCTIVITY", "Productivity"),
    ("ENTERTAINMENT", "Entertainment"),
    ("EDUCATION", "Education"),
    ("BUSINESS", "Business"),
    ("CREATIVE", "Creative"),
    ("UTILITIES", "Utilities"),
    ("GAMES", "Games"),
    ("LIFESTYLE", "Lifestyle"),
    ("OTHER", "Other"),
];

/// A GraphQL enum value as the generated type of any operation (each has its own copy).
pub fn graphql_enum<T: DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

/// The form's state, one signal per field.
#[derive(Clone, Copy)]
struct Draft {
    name: RwSignal<String>,
    slug: RwSignal<String>,
    description: RwSignal<String>,
    category: RwSignal<String>,
    icon_url: RwSignal<String>,
    website_url: RwSignal<String>,
    demo_url: RwSignal<String>,
    callback_url: RwSignal<String>,
}

impl Draft {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            slug: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            category: RwSignal::new("OTHER".into()),
            icon_url: RwSignal::new(String::new()),
            website_url: RwSignal::new(String::new()),
            demo_url: RwSignal::new(String::new()),
            callback_url: RwSignal::new(String::new()),
        }
    }

    fn from_app(app: &app_detail::AppDetailApp) -> Self {
        let draft = Self::new();
        draft.name.set(app.name.clone());
        draft.slug.set(app.slug.clone());
        draft.description.set(app.description.clone());
        draft.category.set(format!("{:?}", app.category));
        let url = |value: &Option<String>| value.clone().unwrap_or_default();
        draft.icon_url.set(url(&app.icon_url));
        draft.website_url.set(url(&app.website_url));
        draft.demo_url.set(url(&app.demo_url));
        draft.callback_url.set(url(&app.callback_url));
        draft
    }

    /// The slug the app would get: the one typed, or the one derived from the name.
    fn wanted_slug(&self) -> String {
        let typed = self.slug.get();
        let typed = typed.trim();
        if typed.is_empty() {
            slug::from_name(&self.name.get())
        } else {
            typed.to_owned()
        }
    }
}

fn optional(signal: RwSignal<String>) -> Option<String> {
    let text = signal.get_untracked().trim().to_owned();
    (!text.is_empty()).then_some(text)
}

async fn create(draft: Draft) -> Result<String, PortalError> {
    let category = draft.category.get_untracked();
    let input = create_app::CreateAppInput {
        name: draft.name.get_untracked(),
        slug: optional(draft.slug),
        description: draft.description.get_untracked(),
        category: graphql_enum(&category).ok_or_else(|| PortalError::local("Pick a category."))?,
        icon_url: optional(draft.icon_url),
        website_url: optional(draft.website_url),
        demo_url: optional(draft.demo_url),
        callback_url: optional(draft.callback_url),
    };
    let data = run::<CreateApp>(create_app::Variables { input }).await?;
    Ok(data.create_app.id)
}

async fn update(id: String, draft: Draft) -> Result<String, PortalError> {
    let variables = update_app::Variables {
        id,
        name: Some(draft.name.get_untracked()),
        slug: optional(draft.slug),
        description: Some(draft.description.get_untracked()),
        category: graphql_enum(&draft.category.get_untracked()),
        // An emptied URL is sent as null, which clears it.
        icon_url: optional(draft.icon_url),
        website_url: optional(draft.website_url),
        demo_url: optional(draft.demo_url),
        callback_url: optional(draft.callback_url),
    };
    let data = run::<UpdateApp>(variables).await?;
    Ok(data.update_app.id)
}

#[component]
pub fn NewAppPage() -> impl IntoView {
    view! {
        <PageHeader title="New app" crumbs=vec![("My apps", "/builder/".to_owned())] />
        <AppForm draft=Draft::new() app_id=None />
    }
}

#[component]
pub fn EditAppPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let app = LocalResource::new(move || run::<AppDetail>(app_detail::Variables { id: id() }));
    view! {
        <Suspense fallback=|| view! { <Loading label="Loading the app…" /> }>
            {move || Suspend::new(async move {
                match app.await {
                    Err(error) => view! {
                        <PageHeader title="Edit app" crumbs=vec![("My apps", "/builder/".to_owned())] />
                        <ErrorState error />
                    }.into_any(),
                    Ok(data) => {
                        let app_data = data.app;
                        let detail_href = format!("/builder/apps/{}", app_data.id);
                        view! {
                            <PageHeader
                                title=format!("Edit {}", app_data.name)
                                crumbs=vec![("My apps", "/builder/".to_owned()), ("App", detail_href)]
                            />
                            <AdminNotes status=format!("{:?}", app_data.status) notes=app_data.admin_notes.clone() />
                            <ListingPanel app=app_data.clone() on_change=move || app.refetch() />
                            <AppForm draft=Draft::from_app(&app_data) app_id=Some(app_data.id.clone()) />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The admins' notes, when they rejected or suspended the app.
#[component]
pub fn AdminNotes(status: String, notes: Option<String>) -> impl IntoView {
    let stopped = status == "REJECTED" || status == "SUSPENDED";
    stopped.then(|| {
        let (label, _) = status_badge(&status);
        view! {
            <div id="admin-notes" class="notice" role="note">
                <strong>{format!("{label} by the fairydust admins. ")}</strong>
                {notes.unwrap_or_else(|| "They left no note.".into())}
            </div>
        }
    })
}

/// Take the app off the marketplace or put it back (only the builder's own switch; the admins'
/// decisions stay theirs).
#[component]
fn ListingPanel(
    app: app_detail::AppDetailApp,
    on_change: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let toasts = use_toasts();
    let status = format!("{:?}", app.status);
    let listed = app.is_active;
    let id = app.id.clone();
    let toggle = Action::new_local(move |_: &()| {
        let id = id.clone();
        async move {
            let result = run::<SetAppListed>(set_app_listed::Variables {
                id,
                is_active: !listed,
            })
            .await;
            match &result {
                Ok(_) if listed => toasts.success("Taken off the marketplace"),
                Ok(_) => toasts.success("Back on the marketplace"),
                Err(error) => toasts.error(error.message.clone()),
            }
            if result.is_ok() {
                on_change();
            }
        }
    });
    view! {
        <section class="panel" aria-labelledby="listing-title">
            <h2 id="listing-title">"Marketplace"</h2>
            <p id="listing-state">{marketplace_state(&status, listed)}</p>
            <button
                id="toggle-listing"
                type="button"
                class="secondary"
                disabled=move || toggle.pending().get()
                on:click=move |_| {
                    toggle.dispatch_local(());
                }
            >
                {if listed { "Take off the marketplace" } else { "Put back on the marketplace" }}
            </button>
        </section>
    }
}

/// The server's message under the field it names.
#[component]
fn FieldError(field: &'static str, error: Signal<Option<PortalError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|error| error.field.as_deref() == Some(field))
            .map(|error| {
                view! { <p id=format!("{field}-error") class="field-error" role="alert">{error.message}</p> }
            })
    }
}

#[component]
fn AppForm(draft: Draft, app_id: Option<String>) -> impl IntoView {
    let toasts = use_toasts();
    let navigate = use_navigate();
    let editing = app_id.clone();
    let save = Action::new_local(move |_: &()| {
        let navigate = navigate.clone();
        let editing = editing.clone();
        async move {
            let result = match editing {
                Some(id) => update(id, draft).await,
                None => create(draft).await,
            };
            if let Ok(id) = &result {
                toasts.success("App saved");
                navigate(&format!("/apps/{id}"), Default::default());
            }
            result
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let general_error = move || error.get().filter(|error| error.field.is_none());
    let invalid = move |field: &'static str| {
        move || {
            error
                .get()
                .is_some_and(|e| e.field.as_deref() == Some(field))
                .then_some("true")
        }
    };
    let creating = app_id.is_none();
    let cancel = app_id
        .as_ref()
        .map_or("/builder/".to_owned(), |id| format!("/builder/apps/{id}"));

    view! {
        <form
            id="app-form"
            class="panel form-grid"
            novalidate
            on:submit=move |event| {
                event.prevent_default();
                save.dispatch_local(());
            }
        >
            <label for="app-name">"Name"</label>
            <input id="app-name" required maxlength="100" aria-invalid=invalid("name") bind:value=draft.name />
            <FieldError field="name" error />
            <label for="app-slug">"Slug (optional)"</label>
            <input
                id="app-slug"
                maxlength="64"
                placeholder=move || slug::from_name(&draft.name.get())
                aria-describedby="slug-preview"
                aria-invalid=invalid("slug")
                bind:value=draft.slug
            />
            <SlugPreview draft app_id=app_id.clone() creating />
            <FieldError field="slug" error />
            <label for="app-description">"Description"</label>
            <textarea id="app-description" rows="4" maxlength="2000" aria-invalid=invalid("description") bind:value=draft.description></textarea>
            <FieldError field="description" error />
            <label for="app-category">"Category"</label>
            <select id="app-category" on:change=move |event| draft.category.set(event_target_value(&event))>
                {CATEGORIES
                    .map(|(value, label)| {
                        view! {
                            <option value=value selected=move || draft.category.get() == value>{label}</option>
                        }
                    })}
            </select>
            <FieldError field="category" error />
            <label for="app-website">"Website URL"</label>
            <input id="app-website" type="url" placeholder="https://" aria-invalid=invalid("websiteUrl") bind:value=draft.website_url />
            <FieldError field="websiteUrl" error />
            <label for="app-demo">"Demo URL"</label>
            <input id="app-demo" type="url" placeholder="https://" aria-invalid=invalid("demoUrl") bind:value=draft.demo_url />
            <FieldError field="demoUrl" error />
            <label for="app-icon">"Icon URL"</label>
            <input id="app-icon" type="url" placeholder="https://" aria-invalid=invalid("iconUrl") bind:value=draft.icon_url />
            <FieldError field="iconUrl" error />
            <label for="app-callback">"Callback URL (only you and the admins see it)"</label>
            <input id="app-callback" type="url" placeholder="https://" aria-invalid=invalid("callbackUrl") bind:value=draft.callback_url />
            <FieldError field="callbackUrl" error />
            {move || {
                general_error()
                    .map(|error| view! { <p id="form-error" class="form-error" role="alert">{error.message}</p> })
            }}
            <div class="actions">
                <A href=cancel attr:class="button secondary">"Cancel"</A>
                <button id="save-app" type="submit" disabled=move || save.pending().get()>
                    {move || match (save.pending().get(), creating) {
                        (true, _) => "Saving…",
                        (false, true) => "Create app",
                        (false, false) => "Save changes",
                    }}
                </button>
            </div>
        </form>
    }
}

/// "✓ rainy-day is available", checked with the server once the typing stops.
#[component]
fn SlugPreview(draft: Draft, app_id: Option<String>, creating: bool) -> impl IntoView {
    let wanted = Memo::new(move |_| draft.wanted_slug());
    let checked = RwSignal::new(String::new());
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let slug = wanted.get();
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        set_timeout(
            move || {
                if generation.try_get_value() == Some(mine) {
                    checked.set(slug);
                }
            },
            Duration::from_millis(300),
        );
    });
    let availability = LocalResource::new(move || {
        let slug = checked.get();
        let app_id = app_id.clone();
        async move {
            if slug.is_empty() {
                return Ok(None);
            }
            run::<SlugAvailable>(slug_available::Variables { slug, app_id })
                .await
                .map(|data| Some(data.slug_available))
        }
    });
    let typed = move || !draft.slug.get().trim().is_empty();
    view! {
        <Transition fallback=|| view! { <p id="slug-preview" class="hint" data-state="checking">"Checking the slug…"</p> }>
            {move || Suspend::new(async move {
                let (state, text) = match availability.await {
                    Err(error) => ("error", error.message),
                    Ok(None) => ("empty", "Type a name: the slug is made from it.".to_owned()),
                    Ok(Some(found)) if !found.valid => (
                        "invalid",
                        format!(
                            "“{}” is not a valid slug: lower-case letters and digits in words joined by dashes.{}",
                            found.slug,
                            found.suggestion.map(|s| format!(" Try {s}.")).unwrap_or_default()
                        ),
                    ),
                    Ok(Some(found)) if found.available => {
                        ("available", format!("✓ {} is available", found.slug))
                    }
                    Ok(Some(found)) if creating && !typed() => (
                        "suffixed",
                        format!(
                            "{} is taken; your app will get {}",
                            found.slug,
                            found.suggestion.unwrap_or_default()
                        ),
                    ),
                    Ok(Some(found)) => (
                        "taken",
                        format!(
                            "✗ {} is taken.{}",
                            found.slug,
                            found.suggestion.map(|s| format!(" Try {s}.")).unwrap_or_default()
                        ),
                    ),
                };
                view! { <p id="slug-preview" class="slug-preview" data-state=state aria-live="polite">{text}</p> }
            })}
        </Transition>
    }
}
