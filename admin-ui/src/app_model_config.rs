//! An app's model configuration: the primary model (from the price table), fallbacks in order with
//! the trigger that moves on to each, parameters, USD cost limits and feature flags. A refused
//! value is shown next to its field: the server names it in `extensions.field`
//! (`parameters.temperature`, `fallbacks.1.model`, `costLimits.dailyMax`, …), and the checks made
//! here before sending use the same names.

use leptos::prelude::*;
use portal_kit::{PortalError, run, use_toasts};

use crate::ops::{SetAppModelConfig, admin_app, convert, gql_name, set_app_model_config as api};

const MAX_FALLBACKS: usize = 5;

const TRIGGERS: [(&str, &str); 4] = [
    ("PROVIDER_ERROR", "Provider error or timeout"),
    ("RATE_LIMIT", "Provider rate limit (429)"),
    ("MODEL_UNAVAILABLE", "Model unavailable (404)"),
    ("COST_THRESHOLD_EXCEEDED", "Over the per-request cost limit"),
];

/// Temperature, max tokens and top-p as typed.
#[derive(Clone, Copy)]
struct ParamsForm {
    temperature: RwSignal<String>,
    max_tokens: RwSignal<String>,
    top_p: RwSignal<String>,
}

impl ParamsForm {
    fn new(temperature: f64, max_tokens: i64, top_p: f64) -> Self {
        Self {
            temperature: RwSignal::new(temperature.to_string()),
            max_tokens: RwSignal::new(max_tokens.to_string()),
            top_p: RwSignal::new(top_p.to_string()),
        }
    }

    /// `prefix` is where these parameters sit in the input, e.g. `fallbacks.0.parameters`.
    fn read(&self, prefix: &str) -> Result<api::ModelParametersInput, PortalError> {
        let number = |field: &str, value: RwSignal<String>| {
            value.get_untracked().trim().parse::<f64>().map_err(|_| {
                field_error(
                    format!("{prefix}.{field}"),
                    format!("{field} must be a number"),
                )
            })
        };
        let max_tokens = self
            .max_tokens
            .get_untracked()
            .trim()
            .parse()
            .map_err(|_| {
                field_error(
                    format!("{prefix}.maxTokens"),
                    "maxTokens must be a whole number",
                )
            })?;
        Ok(api::ModelParametersInput {
            temperature: number("temperature", self.temperature)?,
            max_tokens,
            top_p: number("topP", self.top_p)?,
        })
    }
}

#[derive(Clone, Copy)]
struct FallbackForm {
    key: usize,
    model: RwSignal<String>,
    trigger: RwSignal<String>,
    params: ParamsForm,
}

fn field_error(field: String, message: impl Into<String>) -> PortalError {
    PortalError {
        message: message.into(),
        code: None,
        field: Some(field),
    }
}

/// The server's or the form's message for `field`, next to that field.
#[component]
fn FieldError(#[prop(into)] field: String, error: RwSignal<Option<PortalError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|error| error.field.as_deref() == Some(field.as_str()))
            .map(|error| {
                view! {
                    <p class="field-error" role="alert" data-field=field.clone()>{error.message}</p>
                }
            })
    }
}

/// A labelled text input with its field error.
#[component]
fn Field(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into)] field: String,
    value: RwSignal<String>,
    error: RwSignal<Option<PortalError>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id inputmode="decimal" bind:value=value />
            <FieldError field error />
        </div>
    }
}

/// A model picker over the active priced models (and the current one, even if inactive).
#[component]
fn ModelSelect(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    models: StoredValue<Vec<(String, String, bool)>>,
) -> impl IntoView {
    let options = move || {
        models.with_value(|models| {
            models
                .iter()
                .filter(|(model, _, active)| *active || *model == value.get_untracked())
                .map(|(model, provider, _)| {
                    let (option, text) = (model.clone(), format!("{model} ({})", provider.to_lowercase()));
                    view! { <option value=option.clone() selected=move || value.get() == option>{text}</option> }
                })
                .collect_view()
        })
    };
    view! {
        <label for=id.clone()>{label}</label>
        <select id=id on:change=move |event| value.set(event_target_value(&event))>
            {options}
        </select>
    }
}

#[component]
pub fn ModelConfigEditor(
    app_id: String,
    config: Option<admin_app::AdminAppAppModelConfig>,
    models: Vec<admin_app::AdminAppLlmModels>,
) -> impl IntoView {
    let toasts = use_toasts();
    let models = StoredValue::new(
        models
            .into_iter()
            .map(|model| (model.model_id, gql_name(&model.provider), model.is_active))
            .collect::<Vec<_>>(),
    );
    let first_model = models.with_value(|models| {
        models
            .iter()
            .find(|model| model.2)
            .map(|model| model.0.clone())
            .unwrap_or_default()
    });
    let configured = config.is_some();
    let config = config.unwrap_or_else(|| admin_app::AdminAppAppModelConfig {
        model: first_model,
        parameters: admin_app::AdminAppAppModelConfigParameters {
            temperature: 0.7,
            max_tokens: 1000,
            top_p: 1.0,
        },
        fallbacks: Vec::new(),
        cost_limits: admin_app::AdminAppAppModelConfigCostLimits {
            per_request_max: "0.05".into(),
            daily_max: "10".into(),
            monthly_max: "100".into(),
        },
        features: admin_app::AdminAppAppModelConfigFeatures {
            streaming_enabled: false,
            cache_responses: false,
            log_prompts: false,
        },
    });
    let model = RwSignal::new(config.model);
    let params = ParamsForm::new(
        config.parameters.temperature,
        config.parameters.max_tokens,
        config.parameters.top_p,
    );
    let next_key = StoredValue::new(config.fallbacks.len());
    let fallbacks = RwSignal::new(
        config
            .fallbacks
            .into_iter()
            .enumerate()
            .map(|(key, fallback)| FallbackForm {
                key,
                model: RwSignal::new(fallback.model),
                trigger: RwSignal::new(gql_name(&fallback.trigger)),
                params: ParamsForm::new(
                    fallback.parameters.temperature,
                    fallback.parameters.max_tokens,
                    fallback.parameters.top_p,
                ),
            })
            .collect::<Vec<_>>(),
    );
    let limits = config.cost_limits;
    let (per_request, daily, monthly) = (
        RwSignal::new(limits.per_request_max),
        RwSignal::new(limits.daily_max),
        RwSignal::new(limits.monthly_max),
    );
    let features = config.features;
    let (streaming, cache, log_prompts) = (
        RwSignal::new(features.streaming_enabled),
        RwSignal::new(features.cache_responses),
        RwSignal::new(features.log_prompts),
    );
    let error = RwSignal::new(None::<PortalError>);

    let provider_of = move |model: &str| -> Option<api::Provider> {
        models.with_value(|models| {
            models
                .iter()
                .find(|(id, _, _)| id == model)
                .and_then(|(_, provider, _)| convert(provider))
        })
    };
    let read = move || -> Result<api::AppModelConfigInput, PortalError> {
        let primary = model.get_untracked();
        let fallbacks = fallbacks
            .get_untracked()
            .iter()
            .enumerate()
            .map(
                |(index, form)| -> Result<api::FallbackModelInput, PortalError> {
                    let model = form.model.get_untracked();
                    Ok(api::FallbackModelInput {
                        provider: provider_of(&model).ok_or_else(|| {
                            field_error(format!("fallbacks.{index}.model"), "Pick a model")
                        })?,
                        model,
                        trigger: convert(&form.trigger.get_untracked()).ok_or_else(|| {
                            field_error(format!("fallbacks.{index}.trigger"), "Pick a trigger")
                        })?,
                        parameters: form.params.read(&format!("fallbacks.{index}.parameters"))?,
                    })
                },
            )
            .collect::<Result<Vec<_>, PortalError>>()?;
        Ok(api::AppModelConfigInput {
            provider: provider_of(&primary)
                .ok_or_else(|| field_error("model".into(), "Pick a model"))?,
            model: primary,
            parameters: params.read("parameters")?,
            fallbacks,
            cost_limits: api::CostLimitsInput {
                per_request_max: per_request.get_untracked().trim().to_owned(),
                daily_max: daily.get_untracked().trim().to_owned(),
                monthly_max: monthly.get_untracked().trim().to_owned(),
            },
            features: api::FeatureFlagsInput {
                streaming_enabled: streaming.get_untracked(),
                cache_responses: cache.get_untracked(),
                log_prompts: log_prompts.get_untracked(),
            },
        })
    };
    let save = Action::new_local(move |input: &api::AppModelConfigInput| {
        let variables = api::Variables {
            app_id: app_id.clone(),
            input: input.clone(),
        };
        async move {
            match run::<SetAppModelConfig>(variables).await {
                Ok(_) => {
                    error.set(None);
                    toasts.success("Model configuration saved");
                }
                Err(refused) => {
                    toasts.error(format!("Not saved: {refused}"));
                    error.set(Some(refused));
                }
            }
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match read() {
            Ok(input) => {
                save.dispatch_local(input);
            }
            Err(invalid) => error.set(Some(invalid)),
        }
    };
    let add_fallback = move |_: leptos::ev::MouseEvent| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        fallbacks.update(|list| {
            list.push(FallbackForm {
                key,
                model: RwSignal::new(model.get_untracked()),
                trigger: RwSignal::new(TRIGGERS[0].0.to_owned()),
                params: ParamsForm::new(0.7, 1000, 1.0),
            })
        });
    };
    let move_fallback = move |index: usize, by: isize| {
        fallbacks.update(|list| {
            let other = index as isize + by;
            if other >= 0 && (other as usize) < list.len() {
                list.swap(index, other as usize);
            }
        })
    };
    let remove_fallback =
        move |key: usize| fallbacks.update(|list| list.retain(|form| form.key != key));

    view! {
        <section class="panel" aria-labelledby="model-title">
            <h2 id="model-title">"Model configuration"</h2>
            {(!configured).then(|| view! {
                <p class="notice" id="no-model-config">"Not configured yet: the app cannot call generateText until a configuration is saved."</p>
            })}
            <form class="config-form" id="model-config" on:submit=submit novalidate>
                <fieldset>
                    <legend>"Primary model"</legend>
                    <div class="field">
                        <ModelSelect id="config-model" label="Model" value=model models />
                        <FieldError field="model" error />
                    </div>
                    <div class="field-row">
                        <Field id="config-temperature" label="Temperature (0–2)" field="parameters.temperature" value=params.temperature error />
                        <Field id="config-max-tokens" label="Max tokens (1–8000)" field="parameters.maxTokens" value=params.max_tokens error />
                        <Field id="config-top-p" label="Top-p (0–1)" field="parameters.topP" value=params.top_p error />
                    </div>
                </fieldset>
                <fieldset id="fallbacks">
                    <legend>"Fallbacks, tried in this order"</legend>
                    <FieldError field="fallbacks" error />
                    {move || {
                        let list = fallbacks.get();
                        let count = list.len();
                        list.into_iter()
                            .enumerate()
                            .map(|(index, form)| {
                                let prefix = format!("fallbacks.{index}");
                                view! {
                                    <div class="fallback" data-index=index>
                                        <div class="field">
                                            <ModelSelect id=format!("fallback-{index}-model") label=format!("Fallback {}", index + 1) value=form.model models />
                                            <FieldError field=format!("{prefix}.model") error />
                                        </div>
                                        <div class="field">
                                            <label for=format!("fallback-{index}-trigger")>"When"</label>
                                            <select id=format!("fallback-{index}-trigger") on:change=move |event| form.trigger.set(event_target_value(&event))>
                                                {TRIGGERS.map(|(value, text)| view! {
                                                    <option value=value selected=move || form.trigger.get() == value>{text}</option>
                                                })}
                                            </select>
                                        </div>
                                        <div class="field-row">
                                            <Field id=format!("fallback-{index}-temperature") label="Temperature" field=format!("{prefix}.parameters.temperature") value=form.params.temperature error />
                                            <Field id=format!("fallback-{index}-max-tokens") label="Max tokens" field=format!("{prefix}.parameters.maxTokens") value=form.params.max_tokens error />
                                            <Field id=format!("fallback-{index}-top-p") label="Top-p" field=format!("{prefix}.parameters.topP") value=form.params.top_p error />
                                        </div>
                                        <div class="row-actions">
                                            <button type="button" class="secondary" disabled=index == 0 on:click=move |_| move_fallback(index, -1)>"Earlier"</button>
                                            <button type="button" class="secondary" disabled=index + 1 == count on:click=move |_| move_fallback(index, 1)>"Later"</button>
                                            <button type="button" class="secondary" on:click=move |_| remove_fallback(form.key)>"Remove"</button>
                                        </div>
                                    </div>
                                }
                            })
                            .collect_view()
                    }}
                    <button type="button" class="secondary" id="add-fallback" disabled=move || { fallbacks.with(Vec::len) >= MAX_FALLBACKS } on:click=add_fallback>
                        "Add a fallback"
                    </button>
                </fieldset>
                <fieldset>
                    <legend>"Cost limits (USD)"</legend>
                    <div class="field-row">
                        <Field id="limit-per-request" label="Per request" field="costLimits.perRequestMax" value=per_request error />
                        <Field id="limit-daily" label="Per UTC day" field="costLimits.dailyMax" value=daily error />
                        <Field id="limit-monthly" label="Per month" field="costLimits.monthlyMax" value=monthly error />
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"Features"</legend>
                    <label class="inline"><input type="checkbox" id="feature-streaming" bind:checked=streaming />"Streaming"</label>
                    <label class="inline"><input type="checkbox" id="feature-cache" bind:checked=cache />"Cache responses"</label>
                    <label class="inline"><input type="checkbox" id="feature-log-prompts" bind:checked=log_prompts />"Log prompts"</label>
                </fieldset>
                {move || error.get().filter(|error| error.field.is_none()).map(|error| view! {
                    <p class="form-error" role="alert">{error.message}</p>
                })}
                <div class="actions start">
                    <button type="submit" id="save-model-config" disabled=move || save.pending().get()>
                        "Save the model configuration"
                    </button>
                </div>
            </form>
        </section>
    }
}
