//! The app's model: the primary from the price table, fallbacks in order with the failure that
//! triggers each, parameters, cost limits and feature flags; and what one request can cost (the
//! prompt tokens the builder expects plus `maxTokens` at the model's prices) next to each action's
//! DUST price, so the builder sees whether a price covers its model cost.

use leptos::prelude::*;
use portal_kit::{ErrorState, Loading, PortalError, run, use_toasts};

use crate::actions::ActionRow;
use crate::app_form::graphql_enum;
use crate::format::{self, USD_PER_DUST};
use crate::ops::{
    EstimateLlmCost, PriceTable, SetAppModelConfig, app_detail, estimate_llm_cost, price_table,
    set_app_model_config as set,
};

const TRIGGERS: [(&str, &str); 4] = [
    ("PROVIDER_ERROR", "Provider error or timeout"),
    ("RATE_LIMIT", "Provider rate limit (429)"),
    ("MODEL_UNAVAILABLE", "Model unavailable (404)"),
    ("COST_THRESHOLD_EXCEEDED", "Over the per-request cost limit"),
];

#[derive(Clone, Debug, PartialEq)]
struct PricedModel {
    id: String,
    provider: String,
    label: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct FallbackDraft {
    key: u32,
    model: RwSignal<String>,
    trigger: RwSignal<String>,
}

#[derive(Clone, Copy)]
struct Draft {
    model: RwSignal<String>,
    temperature: RwSignal<String>,
    max_tokens: RwSignal<String>,
    top_p: RwSignal<String>,
    fallbacks: RwSignal<Vec<FallbackDraft>>,
    next_key: StoredValue<u32>,
    per_request_max: RwSignal<String>,
    daily_max: RwSignal<String>,
    monthly_max: RwSignal<String>,
    streaming: RwSignal<bool>,
    cache: RwSignal<bool>,
    log_prompts: RwSignal<bool>,
}

impl Draft {
    fn new(config: Option<&app_detail::AppDetailAppModelConfig>, default_model: &str) -> Self {
        let text = |value: &str| RwSignal::new(value.to_owned());
        let draft = Self {
            model: text(default_model),
            temperature: text("0.7"),
            max_tokens: text("500"),
            top_p: text("1"),
            fallbacks: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
            per_request_max: text("0.05"),
            daily_max: text("10"),
            monthly_max: text("100"),
            streaming: RwSignal::new(false),
            cache: RwSignal::new(false),
            log_prompts: RwSignal::new(false),
        };
        if let Some(config) = config {
            draft.model.set(config.model.clone());
            draft
                .temperature
                .set(config.parameters.temperature.to_string());
            draft
                .max_tokens
                .set(config.parameters.max_tokens.to_string());
            draft.top_p.set(config.parameters.top_p.to_string());
            for fallback in &config.fallbacks {
                draft.add_fallback(&fallback.model, &format!("{:?}", fallback.trigger));
            }
            draft
                .per_request_max
                .set(config.cost_limits.per_request_max.clone());
            draft.daily_max.set(config.cost_limits.daily_max.clone());
            draft
                .monthly_max
                .set(config.cost_limits.monthly_max.clone());
            draft.streaming.set(config.features.streaming_enabled);
            draft.cache.set(config.features.cache_responses);
            draft.log_prompts.set(config.features.log_prompts);
        }
        draft
    }

    fn add_fallback(&self, model: &str, trigger: &str) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        let fallback = FallbackDraft {
            key,
            model: RwSignal::new(model.to_owned()),
            trigger: RwSignal::new(trigger.to_owned()),
        };
        self.fallbacks.update(|list| list.push(fallback));
    }

    /// Moves the fallback `key` one place earlier (`-1`) or later (`1`).
    fn shift(&self, key: u32, by: isize) {
        self.fallbacks.update(|list| {
            if let Some(at) = list.iter().position(|f| f.key == key) {
                let to = at as isize + by;
                if (0..list.len() as isize).contains(&to) {
                    list.swap(at, to as usize);
                }
            }
        });
    }

    fn parameters(&self) -> Result<set::ModelParametersInput, PortalError> {
        let number = |signal: RwSignal<String>, what: &str| {
            signal
                .get_untracked()
                .trim()
                .parse::<f64>()
                .map_err(|_| PortalError::local(format!("{what} must be a number.")))
        };
        Ok(set::ModelParametersInput {
            temperature: number(self.temperature, "Temperature")?,
            max_tokens: number(self.max_tokens, "Max tokens")? as i64,
            top_p: number(self.top_p, "Top p")?,
        })
    }

    fn input(&self, models: &[PricedModel]) -> Result<set::AppModelConfigInput, PortalError> {
        let provider_of = |model: &str| -> Result<set::Provider, PortalError> {
            models
                .iter()
                .find(|m| m.id == model)
                .and_then(|m| graphql_enum(&m.provider))
                .ok_or_else(|| PortalError::local(format!("{model} is not in the price table.")))
        };
        let model = self.model.get_untracked();
        let parameters = self.parameters()?;
        let fallbacks = self
            .fallbacks
            .get_untracked()
            .iter()
            .map(|fallback| {
                let model = fallback.model.get_untracked();
                Ok(set::FallbackModelInput {
                    provider: provider_of(&model)?,
                    model,
                    trigger: graphql_enum(&fallback.trigger.get_untracked())
                        .ok_or_else(|| PortalError::local("Pick a trigger for every fallback."))?,
                    parameters: parameters.clone(),
                })
            })
            .collect::<Result<Vec<_>, PortalError>>()?;
        Ok(set::AppModelConfigInput {
            provider: provider_of(&model)?,
            model,
            parameters,
            fallbacks,
            cost_limits: set::CostLimitsInput {
                per_request_max: self.per_request_max.get_untracked().trim().to_owned(),
                daily_max: self.daily_max.get_untracked().trim().to_owned(),
                monthly_max: self.monthly_max.get_untracked().trim().to_owned(),
            },
            features: set::FeatureFlagsInput {
                streaming_enabled: self.streaming.get_untracked(),
                cache_responses: self.cache.get_untracked(),
                log_prompts: self.log_prompts.get_untracked(),
            },
        })
    }
}

#[component]
pub fn ModelConfigEditor(
    app_id: String,
    config: Option<app_detail::AppDetailAppModelConfig>,
    actions: RwSignal<Vec<ActionRow>>,
) -> impl IntoView {
    let table = LocalResource::new(|| run::<PriceTable>(price_table::Variables {}));
    let config = StoredValue::new(config);
    view! {
        <section class="panel" aria-labelledby="model-title" id="model-config">
            <h2 id="model-title">"Model configuration"</h2>
            <Suspense fallback=|| view! { <Loading label="Loading the price table…" /> }>
                {move || {
                    let app_id = app_id.clone();
                    Suspend::new(async move {
                        match table.await {
                            Err(error) => view! { <ErrorState error on_retry=move |_| table.refetch() /> }.into_any(),
                            Ok(data) => {
                                let models: Vec<PricedModel> = data
                                    .llm_models
                                    .into_iter()
                                    .filter(|m| m.is_active)
                                    .map(|m| PricedModel {
                                        label: format!(
                                            "{} (${} in / ${} out per M tokens)",
                                            m.model_id, m.input_usd_per_million, m.output_usd_per_million
                                        ),
                                        provider: format!("{:?}", m.provider),
                                        id: m.model_id,
                                    })
                                    .collect();
                                let default_model = models
                                    .iter()
                                    .find(|m| m.id.contains("haiku"))
                                    .or(models.first())
                                    .map(|m| m.id.clone())
                                    .unwrap_or_default();
                                let draft = config.with_value(|c| Draft::new(c.as_ref(), &default_model));
                                view! { <ConfigForm app_id draft models actions /> }.into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn ModelSelect(
    #[prop(into)] id: String,
    models: StoredValue<Vec<PricedModel>>,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <select id=id on:change=move |event| value.set(event_target_value(&event))>
            {models
                .get_value()
                .into_iter()
                .map(|model| {
                    let id = model.id.clone();
                    view! { <option value=model.id selected=move || value.get() == id>{model.label}</option> }
                })
                .collect_view()}
        </select>
    }
}

#[component]
fn ConfigForm(
    app_id: String,
    draft: Draft,
    models: Vec<PricedModel>,
    actions: RwSignal<Vec<ActionRow>>,
) -> impl IntoView {
    let toasts = use_toasts();
    let models = StoredValue::new(models);
    let save = Action::new_local(move |_: &()| {
        let app_id = app_id.clone();
        async move {
            let input = models.with_value(|models| draft.input(models))?;
            run::<SetAppModelConfig>(set::Variables { app_id, input }).await?;
            toasts.success("Model configuration saved");
            Ok::<(), PortalError>(())
        }
    });
    let error = move || save.value().get().and_then(Result::err);
    let first_model =
        move || models.with_value(|m| m.first().map(|m| m.id.clone()).unwrap_or_default());
    view! {
        <form
            id="model-form"
            class="form-grid"
            on:submit=move |event| {
                event.prevent_default();
                save.dispatch_local(());
            }
        >
            <label for="primary-model">"Primary model"</label>
            <ModelSelect id="primary-model" models value=draft.model />
            <fieldset class="params">
                <legend>"Parameters"</legend>
                <label for="temperature">"Temperature (0–2)"</label>
                <input id="temperature" inputmode="decimal" bind:value=draft.temperature />
                <label for="max-tokens">"Max tokens (1–8000)"</label>
                <input id="max-tokens" type="number" min="1" max="8000" bind:value=draft.max_tokens />
                <label for="top-p">"Top p (0–1)"</label>
                <input id="top-p" inputmode="decimal" bind:value=draft.top_p />
            </fieldset>
            <fieldset id="fallbacks" class="fallbacks">
                <legend>"Fallbacks, tried in this order"</legend>
                <p class="hint">"When the model before fails in the way a fallback names, that fallback answers. Fallbacks use the parameters above."</p>
                <ol>
                    <For each=move || draft.fallbacks.get() key=|f| f.key let:fallback>
                        <li class="fallback" data-key=fallback.key>
                            <label for=format!("fallback-model-{}", fallback.key)>"Model"</label>
                            <ModelSelect id=format!("fallback-model-{}", fallback.key) models value=fallback.model />
                            <label for=format!("fallback-trigger-{}", fallback.key)>"When"</label>
                            <select
                                id=format!("fallback-trigger-{}", fallback.key)
                                on:change=move |event| fallback.trigger.set(event_target_value(&event))
                            >
                                {TRIGGERS.map(|(value, label)| view! {
                                    <option value=value selected=move || fallback.trigger.get() == value>{label}</option>
                                })}
                            </select>
                            <div class="row-actions">
                                <button type="button" class="secondary" aria-label="Move up" on:click=move |_| draft.shift(fallback.key, -1)>"↑"</button>
                                <button type="button" class="secondary" aria-label="Move down" on:click=move |_| draft.shift(fallback.key, 1)>"↓"</button>
                                <button
                                    type="button"
                                    class="secondary"
                                    on:click=move |_| draft.fallbacks.update(|list| list.retain(|f| f.key != fallback.key))
                                >
                                    "Remove"
                                </button>
                            </div>
                        </li>
                    </For>
                </ol>
                <button
                    id="add-fallback"
                    type="button"
                    class="secondary"
                    on:click=move |_| draft.add_fallback(&first_model(), "PROVIDER_ERROR")
                >
                    "Add fallback"
                </button>
            </fieldset>
            <fieldset class="params">
                <legend>"Cost limits (USD)"</legend>
                <label for="per-request-max">"Per request"</label>
                <input id="per-request-max" inputmode="decimal" bind:value=draft.per_request_max />
                <label for="daily-max">"Per UTC day"</label>
                <input id="daily-max" inputmode="decimal" bind:value=draft.daily_max />
                <label for="monthly-max">"Per month"</label>
                <input id="monthly-max" inputmode="decimal" bind:value=draft.monthly_max />
                <p class="hint">"Above 0, and per request ≤ per day ≤ per month. Calls over a limit are refused until it resets."</p>
            </fieldset>
            <fieldset class="flags">
                <legend>"Features"</legend>
                <label class="inline" for="flag-streaming"><input id="flag-streaming" type="checkbox" bind:checked=draft.streaming />" Streaming"</label>
                <label class="inline" for="flag-cache"><input id="flag-cache" type="checkbox" bind:checked=draft.cache />" Cache responses"</label>
                <label class="inline" for="flag-log"><input id="flag-log" type="checkbox" bind:checked=draft.log_prompts />" Log prompts"</label>
            </fieldset>
            {move || error().map(|error| view! { <p id="model-error" class="form-error" role="alert">{error.message}</p> })}
            <div class="actions">
                <button id="save-model" type="submit" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save model configuration" }}
                </button>
            </div>
        </form>
        <CostEstimate draft actions />
    }
}

#[component]
fn CostEstimate(draft: Draft, actions: RwSignal<Vec<ActionRow>>) -> impl IntoView {
    let prompt_tokens = RwSignal::new("500".to_owned());
    let estimate = LocalResource::new(move || {
        let model = draft.model.get();
        let prompt = prompt_tokens.get().trim().parse::<i64>();
        let max = draft.max_tokens.get().trim().parse::<i64>();
        async move {
            let (Ok(prompt_tokens), Ok(max_tokens)) = (prompt, max) else {
                return Err(PortalError::local(
                    "Prompt tokens and max tokens must be whole numbers.",
                ));
            };
            run::<EstimateLlmCost>(estimate_llm_cost::Variables {
                model,
                prompt_tokens,
                max_tokens,
            })
            .await
            .map(|data| data.estimate_llm_cost)
        }
    });
    view! {
        <div id="cost-estimate" class="estimate">
            <h3>"Cost per request"</h3>
            <label for="prompt-tokens">"Prompt tokens you expect per request"</label>
            <input id="prompt-tokens" type="number" min="0" bind:value=prompt_tokens />
            <Transition fallback=|| view! { <Loading label="Estimating…" /> }>
                {move || Suspend::new(async move {
                    match estimate.await {
                        Err(error) => view! { <ErrorState error /> }.into_any(),
                        Ok(estimate) => {
                            let cost: f64 = estimate.total_cost_usd.parse().unwrap_or(0.0);
                            view! {
                                <p id="estimate-total">
                                    "At most " <strong>{format::usd_text(&estimate.total_cost_usd)}</strong>
                                    {format!(
                                        " per request with the primary model (prompt {}, answer up to max tokens {}); at least {} to cover it.",
                                        format::usd_text(&estimate.input_cost_usd),
                                        format::usd_text(&estimate.output_cost_usd),
                                        format::dust(estimate.break_even_dust),
                                    )}
                                </p>
                                <Coverage cost actions />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

/// Each action's price next to the model cost of one request.
#[component]
fn Coverage(cost: f64, actions: RwSignal<Vec<ActionRow>>) -> impl IntoView {
    move || {
        let rows = actions.get();
        if rows.is_empty() {
            return view! { <p class="hint">"Add an action to compare its price with this cost."</p> }.into_any();
        }
        view! {
            <div class="table-scroll">
                <table id="cost-coverage">
                    <thead>
                        <tr>
                            <th scope="col">"Action"</th>
                            <th scope="col" class="num">"Price"</th>
                            <th scope="col" class="num">"Worth"</th>
                            <th scope="col" class="num">"Margin per request"</th>
                            <th scope="col">"Covers the model cost?"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| {
                                let worth = row.dust_cost as f64 * USD_PER_DUST;
                                let margin = worth - cost;
                                let (verdict, class) = if margin >= 0.0 {
                                    ("Yes", "badge ok")
                                } else {
                                    ("No: raise the price or lower max tokens", "badge bad")
                                };
                                view! {
                                    <tr data-action=row.action.clone()>
                                        <th scope="row"><code>{row.action.clone()}</code></th>
                                        <td class="num">{format::dust(row.dust_cost)}</td>
                                        <td class="num">{format::usd(worth)}</td>
                                        <td class="num">{if margin < 0.0 { format!("−{}", format::usd(-margin)) } else { format::usd(margin) }}</td>
                                        <td><span class=class>{verdict}</span></td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
            .into_any()
    }
}
