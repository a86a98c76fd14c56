//! Apps: tabs by status with their counts (the Pending tab is the review queue), a debounced
//! search over names, slugs and descriptions, and server pagination; each row opens the app.
//! `?builder=<user id>` narrows everything to one builder's apps (the user screen links here).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use portal_kit::{
    EmptyState, ErrorState, Loading, PageHeader, Pager, Pagination, PortalError, SearchBox, run,
};

use crate::ops::{AdminApps, admin_apps, convert, gql_name};
use portal_kit::dates;

/// The tabs: one status (its GraphQL name), or every app.
const TABS: [(Option<&str>, &str); 5] = [
    (Some("PENDING"), "Pending review"),
    (Some("APPROVED"), "Approved"),
    (Some("REJECTED"), "Rejected"),
    (Some("SUSPENDED"), "Suspended"),
    (None, "All"),
];

/// A status as people read it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "PENDING" => "Pending review",
        "APPROVED" => "Approved",
        "REJECTED" => "Rejected",
        "SUSPENDED" => "Suspended",
        _ => "Unknown",
    }
}

/// Whether users can find and pay in the app: approved by an admin and switched on by its builder.
pub fn marketplace_label(status: &str, is_active: bool) -> &'static str {
    match (status, is_active) {
        ("APPROVED", true) => "Listed",
        ("APPROVED", false) => "Hidden by its builder",
        _ => "Not listed",
    }
}

async fn load(
    status: Option<&'static str>,
    builder_id: Option<String>,
    search: String,
    first: i32,
    after: Option<String>,
) -> Result<admin_apps::ResponseData, PortalError> {
    let search = search.trim().to_owned();
    run::<AdminApps>(admin_apps::Variables {
        status: status.and_then(|status| convert(&status)),
        builder_id,
        search: (!search.is_empty()).then_some(search),
        first: Some(first.into()),
        after,
    })
    .await
}

#[component]
pub fn AppsPage() -> impl IntoView {
    let builder = use_query_map().with_untracked(|query| query.get("builder"));
    let tab = RwSignal::new(TABS[0].0);
    let search = RwSignal::new(String::new());
    let pagination = Pagination::new();
    // A new tab or search starts again at the first page.
    Effect::new(move |first_run: Option<()>| {
        tab.track();
        search.track();
        if first_run.is_some() {
            pagination.reset();
        }
    });
    let apps = {
        let builder = builder.clone();
        LocalResource::new(move || {
            load(
                tab.get(),
                builder.clone(),
                search.get(),
                pagination.page_size.get(),
                pagination.after(),
            )
        })
    };
    let count_of = move |status: Option<&str>| {
        apps.and_then(|data| {
            data.app_status_counts
                .iter()
                .filter(|count| status.is_none_or(|status| gql_name(&count.status) == status))
                .map(|count| count.count)
                .sum::<i64>()
        })
        .and_then(Result::ok)
    };

    view! {
        <PageHeader title="Apps" />
        <section class="panel">
            {builder
                .is_some()
                .then(|| {
                    view! {
                        <p class="notice" id="builder-filter">
                            "Only the apps of one builder. " <A href="/admin/apps">"Show every app"</A>
                        </p>
                    }
                })}
            <div class="tabs" role="tablist" aria-label="Apps by status">
                {TABS
                    .map(|(status, label)| {
                        let key = status.unwrap_or("all").to_lowercase();
                        view! {
                            <button
                                type="button"
                                role="tab"
                                id=format!("tab-{key}")
                                class="tab"
                                aria-selected=move || (tab.get() == status).to_string()
                                on:click=move |_| tab.set(status)
                            >
                                {label}
                                <span class="count">
                                    {move || count_of(status).map(|count| format!("({count})"))}
                                </span>
                            </button>
                        }
                    })}
            </div>
            <SearchBox id="app-search" label="Search by name, slug or description" value=search />
            <Transition fallback=|| view! { <Loading label="Loading apps…" /> }>
                {move || Suspend::new(async move {
                    match apps.await {
                        Err(error) => {
                            view! { <ErrorState error on_retry=move |_| apps.refetch() /> }.into_any()
                        }
                        Ok(data) => view! { <AppsTable data=data.admin_apps pagination /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AppsTable(data: admin_apps::AdminAppsAdminApps, pagination: Pagination) -> impl IntoView {
    let shown = data.nodes.len();
    let next = data
        .page_info
        .has_next_page
        .then_some(data.page_info.end_cursor)
        .flatten();
    if shown == 0 {
        return view! {
            <EmptyState title="No apps here." hint="Try another tab or search." />
        }
        .into_any();
    }
    view! {
        <div class="table-scroll">
            <table id="apps-table">
                <thead>
                    <tr>
                        <th scope="col">"App"</th>
                        <th scope="col">"Builder"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Marketplace"</th>
                        <th scope="col">"Created (UTC)"</th>
                    </tr>
                </thead>
                <tbody>
                    {data.nodes.into_iter().map(|app| view! { <AppRow app /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pager pagination total_count=data.total_count shown next_cursor=next />
    }
    .into_any()
}

#[component]
fn AppRow(app: admin_apps::AdminAppsAdminAppsNodes) -> impl IntoView {
    let status = gql_name(&app.status);
    let slug = app.slug.clone();
    view! {
        <tr data-app=slug>
            <th scope="row">
                <A href=format!("/admin/apps/{}", app.id)>{app.name}</A>
                <span class="hint block">{app.slug}</span>
            </th>
            <td>
                {app
                    .builder
                    .map(|builder| {
                        view! { <A href=format!("/admin/users/{}", builder.id)>{builder.fairyname}</A> }
                    })}
            </td>
            <td>{gql_name(&app.category).to_lowercase()}</td>
            <td>
                <span class="badge" data-status=status.clone()>{status_label(&status)}</span>
            </td>
            <td>{marketplace_label(&status, app.is_active)}</td>
            <td class="nowrap">{dates::short_time(&app.created_at)}</td>
        </tr>
    }
}
