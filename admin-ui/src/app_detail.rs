//! One app: its details and builder, its status and whether it is on the marketplace, the review
//! decisions (`app_decisions`), its actions and prices (`app_actions`), its model configuration
//! (`app_model_config`) and its use over the last 30 days.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use portal_kit::{
    Chart, ChartKind, ChartPoint, EmptyState, ErrorState, Loading, PageHeader, PortalError, run,
};

use crate::app_actions::AppActions;
use crate::app_decisions::{Decided, Decisions};
use crate::app_model_config::ModelConfigEditor;
use crate::apps::{marketplace_label, status_label};
use crate::ops::{AdminApp, admin_app, gql_name};
use portal_kit::dates;

/// Days of use shown.
const USAGE_DAYS: u32 = 30;

async fn load(id: String) -> Result<admin_app::ResponseData, PortalError> {
    let days = (dates::utc_day(USAGE_DAYS - 1), dates::utc_day(0));
    let (Some(from), Some(to)) = (dates::day_start(&days.0), dates::day_end(&days.1)) else {
        return Err(PortalError::local(
            "The browser's clock gives no valid date.",
        ));
    };
    run::<AdminApp>(admin_app::Variables { id, from, to }).await
}

#[component]
pub fn AppDetailPage() -> impl IntoView {
    let params = use_params_map();
    let app = LocalResource::new(move || load(params.read().get("id").unwrap_or_default()));
    view! {
        <Suspense fallback=|| view! { <Loading label="Loading the app…" /> }>
            {move || Suspend::new(async move {
                match app.await {
                    Ok(data) => view! { <AppView data /> }.into_any(),
                    Err(error) => {
                        view! {
                            <PageHeader title="App" crumbs=vec![("Apps", "/admin/apps".to_owned())] />
                            <ErrorState error on_retry=move |_| app.refetch() />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn AppView(data: admin_app::ResponseData) -> impl IntoView {
    let app = data.app;
    let state = RwSignal::new(Decided {
        status: gql_name(&app.status),
        is_active: app.is_active,
        admin_notes: app.admin_notes.clone(),
    });
    let status = move || state.with(|state| state.status.clone());
    let optional = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    view! {
        <PageHeader title=app.name.clone() crumbs=vec![("Apps", "/admin/apps".to_owned())]>
            <span id="app-status" class="badge large" data-status=status>
                {move || status_label(&status())}
            </span>
        </PageHeader>
        <section class="panel" aria-labelledby="details-title">
            <h2 id="details-title">"Details"</h2>
            <dl class="details">
                <div>
                    <dt>"Marketplace"</dt>
                    <dd id="marketplace">
                        {move || state.with(|state| marketplace_label(&state.status, state.is_active))}
                    </dd>
                </div>
                <div>
                    <dt>"Builder"</dt>
                    <dd>
                        {app
                            .builder
                            .map(|builder| {
                                view! {
                                    <A href=format!("/admin/users/{}", builder.id) attr:id="app-builder">
                                        {builder.fairyname}
                                    </A>
                                }
                            })}
                    </dd>
                </div>
                <div><dt>"Slug"</dt><dd>{app.slug}</dd></div>
                <div><dt>"Category"</dt><dd>{gql_name(&app.category).to_lowercase()}</dd></div>
                <div><dt>"Created"</dt><dd>{dates::short_time(&app.created_at)} " UTC"</dd></div>
                <div><dt>"Updated"</dt><dd>{dates::short_time(&app.updated_at)} " UTC"</dd></div>
                <div><dt>"Website"</dt><dd class="wrap">{optional(app.website_url)}</dd></div>
                <div><dt>"Callback URL"</dt><dd class="wrap">{optional(app.callback_url)}</dd></div>
                <div class="wide"><dt>"Description"</dt><dd>{app.description}</dd></div>
                <div class="wide">
                    <dt>"Latest admin note (the builder sees it)"</dt>
                    <dd id="admin-notes">
                        {move || state.with(|state| state.admin_notes.clone()).unwrap_or_else(|| "—".to_owned())}
                    </dd>
                </div>
            </dl>
        </section>
        <Decisions app_id=app.id.clone() name=app.name.clone() state />
        <AppActions app_id=app.id.clone() actions=app.actions />
        <ModelConfigEditor app_id=app.id config=app.model_config models=data.llm_models />
        <AppUsage usage=app.usage_stats />
    }
}

#[component]
fn AppUsage(usage: Vec<admin_app::AdminAppAppUsageStats>) -> impl IntoView {
    let days = dates::last_days(USAGE_DAYS);
    let day_of = |day: &str| usage.iter().find(|stat| stat.date == day);
    let series = |value: &dyn Fn(&admin_app::AdminAppAppUsageStats) -> f64| {
        days.iter()
            .map(|day| ChartPoint {
                label: day.get(5..).unwrap_or(day).to_owned(),
                value: day_of(day).map_or(0.0, value),
            })
            .collect::<Vec<_>>()
    };
    let calls = series(&|stat| stat.requests as f64);
    let dust = series(&|stat| stat.dust_consumed as f64);
    let cost = series(&|stat| stat.cost_usd.parse().unwrap_or(0.0));
    let requests: i64 = usage.iter().map(|stat| stat.requests).sum();
    let dust_total: i64 = usage.iter().map(|stat| stat.dust_consumed).sum();
    let cost_total: f64 = cost.iter().map(|point| point.value).sum();
    let whole = |value: f64| format!("{value:.0}");
    view! {
        <section class="panel" aria-labelledby="usage-title">
            <h2 id="usage-title">{format!("Use in the last {USAGE_DAYS} days (UTC)")}</h2>
            {if usage.is_empty() {
                view! {
                    <EmptyState title="No LLM calls and no DUST spent in these days." />
                }
                    .into_any()
            } else {
                view! {
                    <dl class="stats" id="app-usage-totals">
                        <div><dt>"LLM calls"</dt><dd>{requests}</dd></div>
                        <div><dt>"LLM cost"</dt><dd>{crate::llm::usd(cost_total)}</dd></div>
                        <div><dt>"DUST spent"</dt><dd>{dust_total}</dd></div>
                    </dl>
                    <div class="charts">
                        <Chart id="app-calls-chart" title="LLM calls per day" kind=ChartKind::Bar points=calls format=whole />
                        <Chart id="app-dust-chart" title="DUST spent per day" kind=ChartKind::Bar points=dust format=whole />
                        <Chart id="app-cost-chart" title="LLM cost per day (USD)" kind=ChartKind::Line points=cost format=crate::llm::usd />
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}
