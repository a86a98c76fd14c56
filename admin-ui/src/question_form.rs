//! Create or edit a profiling question, with the options editor its type needs: choices for
//! single-choice and multi-select, a range for a scale, nothing for free text. The server validates
//! everything again; its message is shown above the buttons.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use portal_kit::{ErrorState, Loading, PageHeader, PortalError, run, use_toasts};
use serde_json::{Value, json};

use crate::ops::{
    CreateQuestion, QuestionStats, UpdateQuestion, create_question, question_stats, update_question,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    SingleChoice,
    MultiSelect,
    Scale,
    Text,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::SingleChoice,
        Kind::MultiSelect,
        Kind::Scale,
        Kind::Text,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Kind::SingleChoice => "SINGLE_CHOICE",
            Kind::MultiSelect => "MULTI_SELECT",
            Kind::Scale => "SCALE",
            Kind::Text => "TEXT",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::SingleChoice => "Single choice",
            Kind::MultiSelect => "Multi-select",
            Kind::Scale => "Scale",
            Kind::Text => "Free text",
        }
    }

    fn parse(text: &str) -> Kind {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .unwrap_or(Kind::SingleChoice)
    }

    fn has_choices(self) -> bool {
        matches!(self, Kind::SingleChoice | Kind::MultiSelect)
    }
}

/// One choice being edited; `key` keeps rows stable while others are added or removed.
#[derive(Clone, Debug, PartialEq)]
struct Choice {
    key: u32,
    value: RwSignal<String>,
    label: RwSignal<String>,
}

/// The form's state, one signal per field.
#[derive(Clone, Copy)]
struct Draft {
    id: RwSignal<String>,
    category: RwSignal<String>,
    text: RwSignal<String>,
    kind: RwSignal<Kind>,
    profile_field: RwSignal<String>,
    priority: RwSignal<String>,
    app_context: RwSignal<String>,
    min_app_uses: RwSignal<String>,
    dust_reward: RwSignal<String>,
    is_active: RwSignal<bool>,
    choices: RwSignal<Vec<Choice>>,
    next_key: StoredValue<u32>,
    scale_min: RwSignal<String>,
    scale_max: RwSignal<String>,
}

impl Draft {
    fn new() -> Self {
        let draft = Self {
            id: RwSignal::new(String::new()),
            category: RwSignal::new(String::new()),
            text: RwSignal::new(String::new()),
            kind: RwSignal::new(Kind::SingleChoice),
            profile_field: RwSignal::new(String::new()),
            priority: RwSignal::new("5".into()),
            app_context: RwSignal::new(String::new()),
            min_app_uses: RwSignal::new("0".into()),
            dust_reward: RwSignal::new("0".into()),
            is_active: RwSignal::new(true),
            choices: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
            scale_min: RwSignal::new("1".into()),
            scale_max: RwSignal::new("5".into()),
        };
        draft.add_choice("", "");
        draft.add_choice("", "");
        draft
    }

    fn from_question(question: &question_stats::QuestionStatsQuestionStatsQuestion) -> Self {
        let draft = Self::new();
        draft.choices.set(Vec::new());
        draft.id.set(question.id.clone());
        draft.category.set(question.category.clone());
        draft.text.set(question.text.clone());
        let kind = Kind::parse(&crate::ops::gql_name(&question.type_));
        draft.kind.set(kind);
        draft.profile_field.set(question.profile_field.clone());
        draft.priority.set(question.priority.to_string());
        draft.app_context.set(question.app_context.join(", "));
        draft.min_app_uses.set(question.min_app_uses.to_string());
        draft.dust_reward.set(question.dust_reward.to_string());
        draft.is_active.set(question.is_active);
        if let Some(choices) = question.options.as_array() {
            for choice in choices {
                draft.add_choice(
                    choice["value"].as_str().unwrap_or_default(),
                    choice["label"].as_str().unwrap_or_default(),
                );
            }
        }
        if kind == Kind::Scale {
            draft.scale_min.set(question.options["min"].to_string());
            draft.scale_max.set(question.options["max"].to_string());
        }
        draft
    }

    fn add_choice(&self, value: &str, label: &str) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        let choice = Choice {
            key,
            value: RwSignal::new(value.to_owned()),
            label: RwSignal::new(label.to_owned()),
        };
        self.choices.update(|choices| choices.push(choice));
    }

    fn remove_choice(&self, key: u32) {
        self.choices
            .update(|choices| choices.retain(|choice| choice.key != key));
    }

    fn options(&self) -> Result<Value, PortalError> {
        match self.kind.get_untracked() {
            Kind::SingleChoice | Kind::MultiSelect => Ok(Value::Array(
                self.choices
                    .get_untracked()
                    .iter()
                    .map(|choice| {
                        json!({
                            "value": choice.value.get_untracked().trim(),
                            "label": choice.label.get_untracked().trim(),
                        })
                    })
                    .collect(),
            )),
            Kind::Scale => Ok(json!({
                "min": number(&self.scale_min.get_untracked(), "Scale minimum")?,
                "max": number(&self.scale_max.get_untracked(), "Scale maximum")?,
            })),
            Kind::Text => Ok(json!({})),
        }
    }

    fn app_slugs(&self) -> Vec<String> {
        self.app_context
            .get_untracked()
            .split(',')
            .map(str::trim)
            .filter(|slug| !slug.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn number(text: &str, field: &str) -> Result<i64, PortalError> {
    text.trim()
        .parse()
        .map_err(|_| PortalError::local(format!("{field} must be a whole number.")))
}

async fn create(draft: Draft) -> Result<String, PortalError> {
    use create_question::{CreateQuestionInput, QuestionType, Variables};
    let kind = match draft.kind.get_untracked() {
        Kind::SingleChoice => QuestionType::SINGLE_CHOICE,
        Kind::MultiSelect => QuestionType::MULTI_SELECT,
        Kind::Scale => QuestionType::SCALE,
        Kind::Text => QuestionType::TEXT,
    };
    let input = CreateQuestionInput {
        id: draft.id.get_untracked().trim().to_owned(),
        category: draft.category.get_untracked().trim().to_owned(),
        text: draft.text.get_untracked().trim().to_owned(),
        type_: kind,
        profile_field: draft.profile_field.get_untracked().trim().to_owned(),
        priority: number(&draft.priority.get_untracked(), "Priority")?,
        options: Some(draft.options()?),
        app_context: draft.app_slugs(),
        min_app_uses: number(&draft.min_app_uses.get_untracked(), "Minimum app uses")?,
        dust_reward: number(&draft.dust_reward.get_untracked(), "DUST reward")?,
        is_active: draft.is_active.get_untracked(),
    };
    let data = run::<CreateQuestion>(Variables { input }).await?;
    Ok(data.create_question.id)
}

async fn update(draft: Draft) -> Result<String, PortalError> {
    use update_question::{QuestionType, UpdateQuestionInput, Variables};
    let kind = match draft.kind.get_untracked() {
        Kind::SingleChoice => QuestionType::SINGLE_CHOICE,
        Kind::MultiSelect => QuestionType::MULTI_SELECT,
        Kind::Scale => QuestionType::SCALE,
        Kind::Text => QuestionType::TEXT,
    };
    let input = UpdateQuestionInput {
        category: Some(draft.category.get_untracked().trim().to_owned()),
        text: Some(draft.text.get_untracked().trim().to_owned()),
        type_: Some(kind),
        profile_field: Some(draft.profile_field.get_untracked().trim().to_owned()),
        priority: Some(number(&draft.priority.get_untracked(), "Priority")?),
        options: Some(draft.options()?),
        app_context: Some(draft.app_slugs()),
        min_app_uses: Some(number(
            &draft.min_app_uses.get_untracked(),
            "Minimum app uses",
        )?),
        dust_reward: Some(number(&draft.dust_reward.get_untracked(), "DUST reward")?),
        is_active: Some(draft.is_active.get_untracked()),
    };
    let id = draft.id.get_untracked();
    let data = run::<UpdateQuestion>(Variables { id, input }).await?;
    Ok(data.update_question.id)
}

#[component]
pub fn NewQuestionPage() -> impl IntoView {
    view! {
        <PageHeader title="New question" crumbs=vec![("Questions", "/admin/questions".to_owned())] />
        <QuestionForm draft=Draft::new() editing=false />
    }
}

#[component]
pub fn EditQuestionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    // There is no single-question query: the catalogue is small, so the editor reads it whole.
    let stats = LocalResource::new(|| run::<QuestionStats>(question_stats::Variables {}));
    view! {
        <PageHeader title=id() crumbs=vec![("Questions", "/admin/questions".to_owned())] />
        <Suspense fallback=|| view! { <Loading label="Loading the question…" /> }>
            {move || Suspend::new(async move {
                let id = id();
                match stats.await {
                    Err(error) => view! { <ErrorState error /> }.into_any(),
                    Ok(data) => match data.question_stats.iter().find(|stat| stat.question.id == id) {
                        None => {
                            view! {
                                <ErrorState error=PortalError::local(format!("There is no question {id}.")) />
                            }
                                .into_any()
                        }
                        Some(stat) => {
                            view! {
                                <QuestionForm draft=Draft::from_question(&stat.question) editing=true />
                            }
                                .into_any()
                        }
                    },
                }
            })}
        </Suspense>
    }
}

#[component]
fn QuestionForm(draft: Draft, editing: bool) -> impl IntoView {
    let toasts = use_toasts();
    let navigate = use_navigate();
    let save = Action::new_local(move |_: &()| {
        let navigate = navigate.clone();
        async move {
            let result = if editing {
                update(draft).await
            } else {
                create(draft).await
            };
            if let Ok(id) = &result {
                toasts.success(format!("Question {id} saved"));
                // Navigation adds the router base itself (links do not).
                navigate("/questions", Default::default());
            }
            result
        }
    });
    let error = move || save.value().get().and_then(Result::err);

    view! {
        <form
            id="question-form"
            class="panel form-grid"
            on:submit=move |event| {
                event.prevent_default();
                save.dispatch_local(());
            }
        >
            <label for="q-id">"Id"</label>
            <input
                id="q-id"
                required
                pattern="[a-z0-9_]{1,64}"
                disabled=editing
                aria-describedby="q-id-hint"
                bind:value=draft.id
            />
            <p id="q-id-hint" class="hint">"1–64 of a–z, 0–9 and _; cannot change later."</p>
            <label for="q-text">"Question text"</label>
            <textarea id="q-text" required rows="2" bind:value=draft.text></textarea>
            <label for="q-category">"Category"</label>
            <input id="q-category" required bind:value=draft.category />
            <label for="q-field">"Profile field"</label>
            <input id="q-field" required bind:value=draft.profile_field />
            <label for="q-type">"Type"</label>
            <select
                id="q-type"
                on:change=move |event| draft.kind.set(Kind::parse(&event_target_value(&event)))
            >
                {Kind::ALL
                    .map(|kind| {
                        view! {
                            <option value=kind.as_str() selected=move || draft.kind.get() == kind>
                                {kind.label()}
                            </option>
                        }
                    })}
            </select>
            <OptionsEditor draft />
            <label for="q-priority">"Priority (1–10)"</label>
            <input id="q-priority" type="number" min="1" max="10" required bind:value=draft.priority />
            <label for="q-apps">"App slugs (comma-separated; empty for every app)"</label>
            <input id="q-apps" bind:value=draft.app_context />
            <label for="q-uses">"Minimum app uses"</label>
            <input id="q-uses" type="number" min="0" required bind:value=draft.min_app_uses />
            <label for="q-reward">"DUST reward (0–100)"</label>
            <input id="q-reward" type="number" min="0" max="100" required bind:value=draft.dust_reward />
            <label class="inline" for="q-active">
                <input id="q-active" type="checkbox" bind:checked=draft.is_active />
                " Active"
            </label>
            {move || {
                error()
                    .map(|error| {
                        view! {
                            <p id="form-error" class="form-error" role="alert">{error.message}</p>
                        }
                    })
            }}
            <div class="actions">
                <A href="/admin/questions" attr:class="button secondary">"Cancel"</A>
                <button id="save-question" type="submit" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save question" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn OptionsEditor(draft: Draft) -> impl IntoView {
    move || match draft.kind.get() {
        kind if kind.has_choices() => view! {
            <fieldset id="choices" class="choices">
                <legend>"Choices (2–20, distinct values)"</legend>
                <For each=move || draft.choices.get() key=|choice| choice.key let:choice>
                    <ChoiceRow draft choice />
                </For>
                <button
                    id="add-choice"
                    type="button"
                    class="secondary"
                    on:click=move |_| draft.add_choice("", "")
                >
                    "Add choice"
                </button>
            </fieldset>
        }
        .into_any(),
        Kind::Scale => view! {
            <fieldset class="choices">
                <legend>"Scale"</legend>
                <label for="scale-min">"Minimum"</label>
                <input id="scale-min" type="number" required bind:value=draft.scale_min />
                <label for="scale-max">"Maximum"</label>
                <input id="scale-max" type="number" required bind:value=draft.scale_max />
            </fieldset>
        }
        .into_any(),
        _ => view! { <p class="hint">"Free-text answers need no options."</p> }.into_any(),
    }
}

#[component]
fn ChoiceRow(draft: Draft, choice: Choice) -> impl IntoView {
    let key = choice.key;
    let value_id = format!("choice-value-{key}");
    let label_id = format!("choice-label-{key}");
    view! {
        <div class="choice-row" data-choice=key.to_string()>
            <label for=value_id.clone()>"Value"</label>
            <input id=value_id class="choice-value" required bind:value=choice.value />
            <label for=label_id.clone()>"Label"</label>
            <input id=label_id class="choice-label" required bind:value=choice.label />
            <button
                type="button"
                class="link"
                aria-label=format!("Remove choice {}", key + 1)
                on:click=move |_| draft.remove_choice(key)
            >
                "Remove"
            </button>
        </div>
    }
}
