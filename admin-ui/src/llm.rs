//! LLM: the price table every call is billed from (edited with a reason, as it is money), and
//! platform-wide usage for a range of UTC days: totals, a chart per day and breakdowns by model,
//! app and action, each with its fallback rate.

use leptos::prelude::*;
use portal_kit::{
    Chart, ChartKind, ChartPoint, ConfirmDialog, EmptyState, ErrorState, Loading, PageHeader,
    PortalError, run, use_toasts,
};

use crate::ops::{
    LlmAnalytics, LlmModels, SetLlmModelPrice, llm_analytics, llm_models, set_llm_model_price,
};
use portal_kit::dates;

#[component]
pub fn LlmPage() -> impl IntoView {
    view! {
        <PageHeader title="LLM" />
        <PriceTable />
        <Analytics />
    }
}

/// A price change waiting for its confirmation.
#[derive(Clone, Debug, Default)]
struct PendingPrice {
    model_id: String,
    input: String,
    output: String,
    is_active: bool,
    /// Why, for the admin audit log.
    reason: String,
}

#[component]
fn PriceTable() -> impl IntoView {
    let toasts = use_toasts();
    let models = LocalResource::new(|| run::<LlmModels>(llm_models::Variables {}));
    let confirming = RwSignal::new(false);
    let pending = RwSignal::new(PendingPrice::default());
    let save = Action::new_local(move |change: &PendingPrice| {
        let change = change.clone();
        async move {
            let result = run::<SetLlmModelPrice>(set_llm_model_price::Variables {
                model_id: change.model_id.clone(),
                input: change.input.trim().to_owned(),
                output: change.output.trim().to_owned(),
                is_active: Some(change.is_active),
                reason: change.reason.clone(),
            })
            .await;
            match &result {
                Ok(_) => {
                    toasts.success(format!("Prices of {} saved", change.model_id));
                    models.refetch();
                }
                Err(error) => toasts.error(format!("{}: {}", change.model_id, error.message)),
            }
            result.map(|_| ())
        }
    });
    let message = Signal::derive(move || {
        let change = pending.get();
        format!(
            "Bill every {} call from now on at ${} per million input tokens and ${} per million output tokens{}?",
            change.model_id,
            change.input.trim(),
            change.output.trim(),
            if change.is_active {
                ""
            } else {
                " (inactive: apps cannot use it)"
            }
        )
    });

    view! {
        <section class="panel" aria-labelledby="prices-title">
            <h2 id="prices-title">"Price table"</h2>
            <p class="hint">"USD per million tokens. Every call is costed from this table when it is made."</p>
            <Suspense fallback=|| view! { <Loading label="Loading the price table…" /> }>
                {move || Suspend::new(async move {
                    match models.await {
                        Err(error) => {
                            view! { <ErrorState error on_retry=move |_| models.refetch() /> }.into_any()
                        }
                        Ok(data) if data.llm_models.is_empty() => {
                            view! { <EmptyState title="No models in the price table." /> }.into_any()
                        }
                        Ok(data) => {
                            view! {
                                <div class="table-scroll">
                                    <table id="price-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Model"</th>
                                                <th scope="col">"Provider"</th>
                                                <th scope="col">"Input $/M"</th>
                                                <th scope="col">"Output $/M"</th>
                                                <th scope="col">"Active"</th>
                                                <th scope="col"><span class="visually-hidden">"Save"</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {data
                                                .llm_models
                                                .into_iter()
                                                .map(|model| view! { <PriceRow model pending confirming /> })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <ConfirmDialog
                open=confirming
                title="Change model prices"
                message
                confirm_label="Save prices"
                on_confirm=move |reason: String| {
                    save.dispatch_local(PendingPrice { reason, ..pending.get_untracked() });
                }
            />
        </section>
    }
}

#[component]
fn PriceRow(
    model: llm_models::LlmModelsLlmModels,
    pending: RwSignal<PendingPrice>,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    let input = RwSignal::new(model.input_usd_per_million.clone());
    let output = RwSignal::new(model.output_usd_per_million.clone());
    let active = RwSignal::new(model.is_active);
    let id = model.model_id.clone();
    let unchanged = {
        let model = model.clone();
        move || {
            input.get().trim() == model.input_usd_per_million
                && output.get().trim() == model.output_usd_per_million
                && active.get() == model.is_active
        }
    };
    let ask = {
        let id = id.clone();
        move |_| {
            pending.set(PendingPrice {
                model_id: id.clone(),
                input: input.get_untracked(),
                output: output.get_untracked(),
                is_active: active.get_untracked(),
                reason: String::new(),
            });
            confirming.set(true);
        }
    };
    view! {
        <tr data-model=id.clone()>
            <th scope="row">{id.clone()}</th>
            <td>{crate::ops::gql_name(&model.provider)}</td>
            <td>
                <label class="visually-hidden" for=format!("input-price-{id}")>
                    {format!("Input price of {id}, USD per million tokens")}
                </label>
                <input
                    id=format!("input-price-{id}")
                    class="price"
                    inputmode="decimal"
                    bind:value=input
                />
            </td>
            <td>
                <label class="visually-hidden" for=format!("output-price-{id}")>
                    {format!("Output price of {id}, USD per million tokens")}
                </label>
                <input
                    id=format!("output-price-{id}")
                    class="price"
                    inputmode="decimal"
                    bind:value=output
                />
            </td>
            <td>
                <label class="visually-hidden" for=format!("active-{id}")>
                    {format!("{id} is active")}
                </label>
                <input id=format!("active-{id}") type="checkbox" bind:checked=active />
            </td>
            <td>
                <button
                    id=format!("save-price-{id}")
                    type="button"
                    disabled=unchanged
                    on:click=ask
                >
                    "Save"
                </button>
            </td>
        </tr>
    }
}

/// A USD amount for axes and totals, with more decimals the smaller it is.
pub fn usd(value: f64) -> String {
    if value >= 100.0 {
        format!("${value:.0}")
    } else if value >= 1.0 {
        format!("${value:.2}")
    } else {
        format!("${value:.4}")
    }
}

fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0)
}

async fn load_analytics(
    from: String,
    to: String,
) -> Result<llm_analytics::ResponseData, PortalError> {
    let (Some(from), Some(to)) = (dates::day_start(&from), dates::day_end(&to)) else {
        return Err(PortalError::local("Choose a start and an end day."));
    };
    run::<LlmAnalytics>(llm_analytics::Variables { from, to }).await
}

#[component]
fn Analytics() -> impl IntoView {
    let from = RwSignal::new(dates::utc_day(29));
    let to = RwSignal::new(dates::utc_day(0));
    let analytics = LocalResource::new(move || load_analytics(from.get(), to.get()));

    view! {
        <section class="panel" aria-labelledby="usage-title">
            <h2 id="usage-title">"Usage"</h2>
            <div class="filters">
                <label>
                    "From (UTC) "
                    <input id="usage-from" type="date" bind:value=from />
                </label>
                <label>
                    "To (UTC, included) "
                    <input id="usage-to" type="date" bind:value=to />
                </label>
            </div>
            <Suspense fallback=|| view! { <Loading label="Loading usage…" /> }>
                {move || Suspend::new(async move {
                    match analytics.await {
                        Err(error) => {
                            view! { <ErrorState error on_retry=move |_| analytics.refetch() /> }
                                .into_any()
                        }
                        Ok(data) => view! { <AnalyticsReport data=data.llm_analytics /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AnalyticsReport(data: llm_analytics::LlmAnalyticsLlmAnalytics) -> impl IntoView {
    let totals = data.totals;
    if totals.requests == 0 {
        return view! {
            <EmptyState title="No LLM calls in this range." hint="Pick other days, or wait for apps to call generateText." />
        }
            .into_any();
    }
    let cost_per_day: Vec<ChartPoint> = data
        .by_day
        .iter()
        .map(|day| ChartPoint {
            label: day.key.get(5..).unwrap_or(&day.key).to_owned(),
            value: day.totals.cost_usd.parse().unwrap_or(0.0),
        })
        .collect();
    let calls_per_day: Vec<ChartPoint> = data
        .by_day
        .iter()
        .map(|day| ChartPoint {
            label: day.key.get(5..).unwrap_or(&day.key).to_owned(),
            value: day.totals.requests as f64,
        })
        .collect();
    // The three breakdowns are separate generated types with the same fields.
    macro_rules! groups {
        ($list:expr) => {
            $list
                .into_iter()
                .map(|group| {
                    let totals = group.totals;
                    (
                        group.key,
                        Group {
                            requests: totals.requests,
                            fallback_rate: totals.fallback_rate,
                            tokens: totals.prompt_tokens + totals.completion_tokens,
                            cost_usd: totals.cost_usd,
                            hint: None,
                        },
                    )
                })
                .collect::<Vec<_>>()
        };
    }
    let by_model = groups!(data.by_model);
    // Apps by name with their slug under it, not by id (an app deleted since keeps its id).
    let app_names: Vec<_> = data.by_app.iter().map(|group| group.app.clone()).collect();
    let mut by_app = groups!(data.by_app);
    for ((key, group), app) in by_app.iter_mut().zip(app_names) {
        if let Some(app) = app {
            *key = app.name;
            group.hint = Some(app.slug);
        }
    }
    let by_action = groups!(data.by_action);
    view! {
        <dl class="stats" id="usage-totals">
            <div><dt>"Calls"</dt><dd>{totals.requests}</dd></div>
            <div><dt>"Cost"</dt><dd>{format!("${}", totals.cost_usd)}</dd></div>
            <div><dt>"Fallback rate"</dt><dd id="fallback-rate">{percent(data.fallback_rate)}</dd></div>
            <div><dt>"Users"</dt><dd>{totals.unique_users}</dd></div>
            <div>
                <dt>"Tokens in / out"</dt>
                <dd>{format!("{} / {}", totals.prompt_tokens, totals.completion_tokens)}</dd>
            </div>
        </dl>
        <div class="charts">
            <Chart id="cost-chart" title="Cost per day (USD)" kind=ChartKind::Line points=cost_per_day format=usd />
            <Chart id="calls-chart" title="Calls per day" kind=ChartKind::Bar points=calls_per_day format=|value| format!("{value:.0}") />
        </div>
        <Breakdown title="By model" id="by-model" key_label="Model" rows=by_model />
        <Breakdown title="By app" id="by-app" key_label="App" rows=by_app />
        <Breakdown title="By action" id="by-action" key_label="Action" rows=by_action />
    }
        .into_any()
}

#[derive(Clone, Debug)]
struct Group {
    requests: i64,
    fallback_rate: f64,
    tokens: i64,
    cost_usd: String,
    /// Shown under the key, e.g. an app's slug.
    hint: Option<String>,
}

#[component]
fn Breakdown(
    title: &'static str,
    id: &'static str,
    key_label: &'static str,
    rows: Vec<(String, Group)>,
) -> impl IntoView {
    view! {
        <h3>{title}</h3>
        <div class="table-scroll">
            <table id=id>
                <thead>
                    <tr>
                        <th scope="col">{key_label}</th>
                        <th scope="col" class="num">"Calls"</th>
                        <th scope="col" class="num">"Fallback"</th>
                        <th scope="col" class="num">"Tokens"</th>
                        <th scope="col" class="num">"Cost USD"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|(key, group)| {
                            view! {
                                <tr>
                                    <th scope="row">
                                        {key}
                                        {group.hint.map(|hint| view! { <span class="hint block">{hint}</span> })}
                                    </th>
                                    <td class="num">{group.requests}</td>
                                    <td class="num">{percent(group.fallback_rate)}</td>
                                    <td class="num">{group.tokens}</td>
                                    <td class="num">{group.cost_usd}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
