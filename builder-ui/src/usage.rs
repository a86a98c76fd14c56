//! Usage per UTC day for a chosen range: requests, tokens, LLM cost, DUST earned, unique users and
//! the fallback rate, as charts and a table.

use leptos::prelude::*;
use portal_kit::{Chart, ChartKind, ChartPoint, EmptyState, ErrorState, Loading, PortalError, run};

use crate::format;
use crate::ops::{AppStats, app_stats};
use portal_kit::dates;

async fn load(
    id: String,
    from: String,
    to: String,
) -> Result<app_stats::ResponseData, PortalError> {
    let (Some(from), Some(to)) = (dates::day_start(&from), dates::day_end(&to)) else {
        return Err(PortalError::local("Choose a start and an end day."));
    };
    run::<AppStats>(app_stats::Variables { id, from, to }).await
}

#[component]
pub fn Usage(app_id: String) -> impl IntoView {
    let from = RwSignal::new(dates::utc_day(13));
    let to = RwSignal::new(dates::utc_day(0));
    let stats = LocalResource::new(move || load(app_id.clone(), from.get(), to.get()));
    view! {
        <section class="panel" aria-labelledby="usage-title" id="usage">
            <h2 id="usage-title">"Usage"</h2>
            <div class="filters">
                <label>"From (UTC) " <input id="usage-from" type="date" bind:value=from /></label>
                <label>"To (UTC, included) " <input id="usage-to" type="date" bind:value=to /></label>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading usage…" /> }>
                {move || Suspend::new(async move {
                    match stats.await {
                        Err(error) => view! { <ErrorState error on_retry=move |_| stats.refetch() /> }.into_any(),
                        Ok(data) => view! { <Report stats=data.app.stats /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Report(stats: app_stats::AppStatsAppStats) -> impl IntoView {
    let totals = stats.totals;
    if totals.requests == 0 && totals.dust_earned == 0 && totals.charges == 0 {
        return view! {
            <EmptyState title="No use in this range." hint="Pick other days, or wait for users to call your app." />
        }
            .into_any();
    }
    let label = |date: &str| date.get(5..).unwrap_or(date).to_owned();
    let points = |value: fn(&app_stats::AppStatsAppStatsDays) -> f64| {
        stats
            .days
            .iter()
            .map(|day| ChartPoint {
                label: label(&day.date),
                value: value(day),
            })
            .collect::<Vec<_>>()
    };
    let dust = points(|day| day.dust_earned as f64);
    let requests = points(|day| day.requests as f64);
    let cost = points(|day| day.llm_cost_usd.parse().unwrap_or(0.0));
    view! {
        <dl class="stats" id="usage-totals">
            <div><dt>"DUST earned"</dt><dd id="total-dust">{totals.dust_earned}</dd></div>
            <div><dt>"Charged uses"</dt><dd>{totals.charges}</dd></div>
            <div><dt>"Model requests"</dt><dd id="total-requests">{totals.requests}</dd></div>
            <div><dt>"LLM cost"</dt><dd>{format::usd_text(&totals.llm_cost_usd)}</dd></div>
            <div><dt>"Unique users"</dt><dd id="total-users">{totals.unique_users}</dd></div>
            <div><dt>"Fallback rate"</dt><dd>{format::percent(totals.fallback_rate)}</dd></div>
            <div>
                <dt>"Tokens in / out"</dt>
                <dd>{format!("{} / {}", totals.prompt_tokens, totals.completion_tokens)}</dd>
            </div>
        </dl>
        <div class="charts">
            <Chart id="dust-chart" title="DUST earned per day" kind=ChartKind::Bar points=dust format=|v| format!("{v:.0}") />
            <Chart id="requests-chart" title="Model requests per day" kind=ChartKind::Bar points=requests format=|v| format!("{v:.0}") />
            <Chart id="cost-chart" title="LLM cost per day (USD)" kind=ChartKind::Line points=cost format=format::usd />
        </div>
        <div class="table-scroll">
            <table id="usage-table">
                <thead>
                    <tr>
                        <th scope="col">"Day (UTC)"</th>
                        <th scope="col" class="num">"Requests"</th>
                        <th scope="col" class="num">"Tokens in / out"</th>
                        <th scope="col" class="num">"LLM cost"</th>
                        <th scope="col" class="num">"DUST earned"</th>
                        <th scope="col" class="num">"Users"</th>
                        <th scope="col" class="num">"Fallback"</th>
                    </tr>
                </thead>
                <tbody>
                    {stats
                        .days
                        .into_iter()
                        .rev()
                        .map(|day| view! {
                            <tr data-day=day.date.clone()>
                                <th scope="row">{day.date.clone()}</th>
                                <td class="num">{day.requests}</td>
                                <td class="num">{format!("{} / {}", day.prompt_tokens, day.completion_tokens)}</td>
                                <td class="num">{format::usd_text(&day.llm_cost_usd)}</td>
                                <td class="num">{day.dust_earned}</td>
                                <td class="num">{day.unique_users}</td>
                                <td class="num">{format::percent(day.fallback_rate)}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
        .into_any()
}
