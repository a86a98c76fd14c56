//! My apps: every app of the builder with its status and marketplace state, the counts (total, live,
//! pending, suspended or rejected with the admins' note) and the DUST each earned in 30 days.

use leptos::prelude::*;
use leptos_router::components::A;
use portal_kit::{EmptyState, ErrorState, Loading, PageHeader, PortalError, run};

use crate::format;
use crate::ops::{MyApps, my_apps};
use portal_kit::dates;

/// `APPROVED` → how the builder reads it, and the badge's class.
pub fn status_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "APPROVED" => ("Approved", "badge ok"),
        "PENDING" => ("Pending review", "badge wait"),
        "REJECTED" => ("Rejected", "badge bad"),
        "SUSPENDED" => ("Suspended", "badge bad"),
        _ => ("Unknown", "badge"),
    }
}

/// Whether users can find the app, in words.
pub fn marketplace_state(status: &str, is_active: bool) -> &'static str {
    match (status, is_active) {
        ("APPROVED", true) => "Listed",
        ("APPROVED", false) => "Taken off by you",
        ("PENDING", _) => "Listed once approved",
        _ => "Not listed",
    }
}

async fn load() -> Result<my_apps::ResponseData, PortalError> {
    let (Some(from), Some(to)) = (
        dates::day_start(&dates::utc_day(29)),
        dates::day_end(&dates::utc_day(0)),
    ) else {
        return Err(PortalError::local("Could not work out the last 30 days."));
    };
    run::<MyApps>(my_apps::Variables { from, to }).await
}

#[component]
pub fn MyAppsPage() -> impl IntoView {
    let apps = LocalResource::new(load);
    view! {
        <PageHeader title="My apps">
            <A href="/builder/apps/new" attr:class="button" attr:id="new-app">"New app"</A>
        </PageHeader>
        <Suspense fallback=|| view! { <Loading label="Loading your apps…" /> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(error) => view! { <ErrorState error on_retry=move |_| apps.refetch() /> }.into_any(),
                    Ok(data) if data.my_apps.is_empty() => {
                        view! {
                            <EmptyState
                                title="No apps yet."
                                hint="Create your first app: it gets an App ID, a slug and a place on the marketplace."
                            />
                        }
                            .into_any()
                    }
                    Ok(data) => view! { <AppList apps=data.my_apps /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AppList(apps: Vec<my_apps::MyAppsMyApps>) -> impl IntoView {
    let status_of = |app: &my_apps::MyAppsMyApps| format!("{:?}", app.status);
    let count = |wanted: &[&str]| {
        apps.iter()
            .filter(|app| wanted.contains(&status_of(app).as_str()))
            .count()
    };
    let live = apps
        .iter()
        .filter(|app| status_of(app) == "APPROVED" && app.is_active)
        .count();
    let earned: i64 = apps.iter().map(|app| app.stats.totals.dust_earned).sum();
    let (total, pending, stopped) = (
        apps.len(),
        count(&["PENDING"]),
        count(&["SUSPENDED", "REJECTED"]),
    );
    view! {
        <dl class="stats" id="app-counts">
            <div><dt>"Apps"</dt><dd id="count-total">{total}</dd></div>
            <div><dt>"Live"</dt><dd id="count-live">{live}</dd></div>
            <div><dt>"Pending review"</dt><dd id="count-pending">{pending}</dd></div>
            <div><dt>"Suspended or rejected"</dt><dd id="count-stopped">{stopped}</dd></div>
            <div><dt>"DUST earned, 30 days"</dt><dd id="earned-30d">{earned}</dd></div>
        </dl>
        <div class="table-scroll">
            <table id="my-apps">
                <thead>
                    <tr>
                        <th scope="col">"App"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Marketplace"</th>
                        <th scope="col" class="num">"DUST, 30 days"</th>
                        <th scope="col">"Admins' note"</th>
                    </tr>
                </thead>
                <tbody>
                    {apps
                        .into_iter()
                        .map(|app| {
                            let status = format!("{:?}", app.status);
                            let (label, class) = status_badge(&status);
                            let note = app.admin_notes.clone().filter(|_| status == "REJECTED" || status == "SUSPENDED");
                            view! {
                                <tr data-app=app.slug.clone()>
                                    <th scope="row">
                                        <A href=format!("/builder/apps/{}", app.id)>{app.name.clone()}</A>
                                        <span class="hint block">{app.slug.clone()}</span>
                                    </th>
                                    <td><span class=class>{label}</span></td>
                                    <td>{marketplace_state(&status, app.is_active)}</td>
                                    <td class="num">{format::dust(app.stats.totals.dust_earned)}</td>
                                    <td class="note">{note.unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
