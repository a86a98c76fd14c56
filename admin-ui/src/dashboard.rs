//! Dashboard: platform totals and charts for a range of UTC days, pending apps, the ledger audit
//! status and the latest admin actions.

use leptos::prelude::*;
use portal_kit::{
    Chart, ChartKind, ChartPoint, EmptyState, ErrorState, Loading, PageHeader, PortalError, run,
};

use crate::audit_log::{AuditTarget, load_entries};
use crate::display::{count_axis, grouped, instant, percent, usd, usd_axis};
use crate::ledger_audit::LedgerAuditReport;
use crate::ops::{PlatformDashboard, platform_dashboard};
use portal_kit::dates;

type Stats = platform_dashboard::PlatformDashboardPlatformStats;
type Measures = platform_dashboard::Measures;

/// How many admin actions the dashboard lists.
const LATEST_ACTIONS: i64 = 5;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <PageHeader title="Dashboard" />
        <Platform />
        <div class="dashboard-row">
            <LedgerStatus />
            <LatestActions />
        </div>
    }
}

async fn load_stats(from: String, to: String) -> Result<Stats, PortalError> {
    let (Some(from_at), Some(to_at)) = (dates::day_start(&from), dates::day_end(&to)) else {
        return Err(PortalError::local("Choose a start and an end day."));
    };
    if from > to {
        return Err(PortalError::local("The start day is after the end day."));
    }
    let data = run::<PlatformDashboard>(platform_dashboard::Variables {
        from: from_at,
        to: to_at,
    })
    .await?;
    Ok(data.platform_stats)
}

#[component]
fn Platform() -> impl IntoView {
    let from = RwSignal::new(dates::utc_day(29));
    let to = RwSignal::new(dates::utc_day(0));
    let stats = LocalResource::new(move || load_stats(from.get(), to.get()));
    let last = move |days: u32| {
        move |_| {
            from.set(dates::utc_day(days - 1));
            to.set(dates::utc_day(0));
        }
    };

    view! {
        <section class="panel" aria-labelledby="platform-title">
            <h2 id="platform-title">"Platform"</h2>
            <div class="filters">
                <label>
                    "From (UTC) "
                    <input id="range-from" type="date" bind:value=from />
                </label>
                <label>
                    "To (UTC, included) "
                    <input id="range-to" type="date" bind:value=to />
                </label>
                <div class="presets" role="group" aria-label="Quick ranges">
                    <button type="button" class="secondary" on:click=last(7)>"7 days"</button>
                    <button type="button" class="secondary" on:click=last(30)>"30 days"</button>
                    <button type="button" class="secondary" on:click=last(90)>"90 days"</button>
                </div>
            </div>
            {move || match stats.get() {
                        None => view! { <Loading label="Counting…" /> }.into_any(),
                        Some(Err(error)) => {
                            view! { <ErrorState error on_retry=move |_| stats.refetch() /> }.into_any()
                        }
                        Some(Ok(stats)) => view! { <Report stats /> }.into_any(),
                    }}
        </section>
    }
}

/// One measure per day for a chart; days are labelled `MM-DD`.
fn series(stats: &Stats, measure: impl Fn(&Measures) -> f64) -> Vec<ChartPoint> {
    stats
        .days
        .iter()
        .map(|day| ChartPoint {
            label: day.date.get(5..).unwrap_or(&day.date).to_owned(),
            value: measure(&day.measures),
        })
        .collect()
}

#[component]
fn Report(stats: Stats) -> impl IntoView {
    let totals = stats.totals.clone();
    let count = |value: i64| grouped(value);
    let charts = [
        (
            "chart-new-users",
            "New users per day",
            ChartKind::Bar,
            series(&stats, |m| m.new_users as f64),
        ),
        (
            "chart-active-users",
            "Active users per day",
            ChartKind::Line,
            series(&stats, |m| m.active_users as f64),
        ),
        (
            "chart-dust-granted",
            "DUST granted per day",
            ChartKind::Bar,
            series(&stats, |m| m.dust_granted as f64),
        ),
        (
            "chart-dust-consumed",
            "DUST consumed per day",
            ChartKind::Bar,
            series(&stats, |m| m.dust_consumed as f64),
        ),
        (
            "chart-dust-purchased",
            "DUST purchased per day",
            ChartKind::Bar,
            series(&stats, |m| m.dust_purchased as f64),
        ),
        (
            "chart-circulation",
            "DUST in circulation (end of day)",
            ChartKind::Line,
            series(&stats, |m| m.dust_in_circulation as f64),
        ),
        (
            "chart-llm-calls",
            "LLM calls per day",
            ChartKind::Bar,
            series(&stats, |m| m.llm_calls as f64),
        ),
    ];
    let cost = series(&stats, |m| m.llm_cost_usd.parse().unwrap_or(0.0));
    view! {
        <dl class="stats" id="platform-totals">
            <div><dt>"New users"</dt><dd id="total-new-users">{count(totals.new_users)}</dd></div>
            <div><dt>"Active users"</dt><dd>{count(totals.active_users)}</dd></div>
            <div><dt>"DUST granted"</dt><dd id="total-dust-granted">{count(totals.dust_granted)}</dd></div>
            <div><dt>"DUST consumed"</dt><dd>{count(totals.dust_consumed)}</dd></div>
            <div><dt>"DUST purchased"</dt><dd>{count(totals.dust_purchased)}</dd></div>
            <div><dt>"DUST refunded"</dt><dd>{count(totals.dust_refunded)}</dd></div>
            <div><dt>"DUST rewarded"</dt><dd>{count(totals.dust_rewarded)}</dd></div>
            <div><dt>"DUST adjusted"</dt><dd>{count(totals.dust_adjusted)}</dd></div>
            <div><dt>"DUST in circulation"</dt><dd>{count(totals.dust_in_circulation)}</dd></div>
            <div><dt>"LLM calls"</dt><dd>{count(totals.llm_calls)}</dd></div>
            <div><dt>"LLM cost"</dt><dd>{usd(&totals.llm_cost_usd)}</dd></div>
            <div><dt>"Fallback rate"</dt><dd>{percent(totals.llm_fallback_rate)}</dd></div>
        </dl>
        <div class="charts" id="dashboard-charts">
            {charts
                .into_iter()
                .map(|(id, title, kind, points)| {
                    view! { <Chart id title kind points format=count_axis /> }
                })
                .collect_view()}
            <Chart id="chart-llm-cost" title="LLM cost per day (USD)" kind=ChartKind::Line points=cost format=usd_axis />
        </div>
        <AppsByStatus counts=stats.apps_by_status />
    }
}

#[component]
fn AppsByStatus(
    counts: Vec<platform_dashboard::PlatformDashboardPlatformStatsAppsByStatus>,
) -> impl IntoView {
    use platform_dashboard::AppStatus;
    let pending = counts
        .iter()
        .find(|count| count.status == AppStatus::PENDING)
        .map_or(0, |count| count.count);
    view! {
        <h3>"Apps now"</h3>
        <ul class="status-counts" id="apps-by-status">
            {counts
                .into_iter()
                .map(|count| {
                    let status = crate::ops::gql_name(&count.status);
                    view! {
                        <li data-status=status.clone()>
                            <span class="badge">{status.to_lowercase()}</span>
                            " "
                            <strong>{grouped(count.count)}</strong>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <p id="pending-apps" class={if pending > 0 { "notice" } else { "hint" }}>
            {match pending {
                0 => "No app waits for review. ".to_owned(),
                1 => "1 app waits for review. ".to_owned(),
                pending => format!("{pending} apps wait for review. "),
            }}
            <a href="/admin/apps">"Review apps"</a>
        </p>
    }
}

#[component]
fn LedgerStatus() -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="ledger-title">
            <h2 id="ledger-title">"Ledger audit"</h2>
            <LedgerAuditReport status_id="dashboard-ledger" first_chunk_only=true />
        </section>
    }
}

#[component]
fn LatestActions() -> impl IntoView {
    let entries = LocalResource::new(|| load_entries(Default::default(), LATEST_ACTIONS, None));
    view! {
        <section class="panel" aria-labelledby="latest-title">
            <div class="title-row">
                <h2 id="latest-title">"Latest admin actions"</h2>
                <a href="/admin/audit-log">"Audit log"</a>
            </div>
            {move || match entries.get() {
                        None => view! { <Loading label="Loading the audit log…" /> }.into_any(),
                        Some(Err(error)) => {
                            view! { <ErrorState error on_retry=move |_| entries.refetch() /> }.into_any()
                        }
                        Some(Ok(page)) if page.nodes.is_empty() => {
                            view! { <EmptyState title="No admin has acted yet." /> }.into_any()
                        }
                        Some(Ok(page)) => {
                            view! {
                                <ul class="plain-list" id="latest-actions">
                                    {page
                                        .nodes
                                        .into_iter()
                                        .map(|entry| {
                                            let actor = entry
                                                .actor
                                                .map_or_else(|| "a removed admin".to_owned(), |actor| actor.fairyname);
                                            view! {
                                                <li>
                                                    <span class="hint">{instant(&entry.created_at)}</span>
                                                    " "
                                                    <strong>{actor}</strong>
                                                    " "
                                                    <code>{entry.action}</code>
                                                    " "
                                                    <AuditTarget target_type=entry.target_type target_id=entry.target_id />
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }}
        </section>
    }
}
