//! Questions: the profiling-question catalogue with how often each was answered and the DUST paid
//! for it; activate/deactivate in place; delete with a reason, which the server refuses once a
//! question has answers (its answers are someone's profile and ledger history).

use leptos::prelude::*;
use leptos_router::components::A;
use portal_kit::{
    ConfirmDialog, EmptyState, ErrorState, Loading, PageHeader, SearchBox, run, use_toasts,
};

use crate::ops::{
    DeleteQuestion, QuestionStats, SetQuestionActive, delete_question, question_stats,
    set_question_active,
};

type Stat = question_stats::QuestionStatsQuestionStats;

fn matches(stat: &Stat, search: &str) -> bool {
    let search = search.trim().to_lowercase();
    search.is_empty()
        || [
            &stat.question.id,
            &stat.question.text,
            &stat.question.category,
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(&search))
}

#[component]
pub fn QuestionsPage() -> impl IntoView {
    let toasts = use_toasts();
    let stats = LocalResource::new(|| run::<QuestionStats>(question_stats::Variables {}));
    let search = RwSignal::new(String::new());
    let deleting = RwSignal::new(None::<(String, i64)>);
    let confirming = RwSignal::new(false);

    let set_active = Action::new_local(move |(id, active): &(String, bool)| {
        let (id, active) = (id.clone(), *active);
        async move {
            match run::<SetQuestionActive>(set_question_active::Variables {
                id: id.clone(),
                active,
            })
            .await
            {
                Ok(_) => {
                    toasts.success(if active {
                        format!("{id} is active: apps ask it")
                    } else {
                        format!("{id} is inactive: no app asks it")
                    });
                    stats.refetch();
                }
                Err(error) => toasts.error(error.message),
            }
        }
    });
    let delete = Action::new_local(move |(id, reason): &(String, String)| {
        let (id, reason) = (id.clone(), reason.clone());
        async move {
            let variables = delete_question::Variables {
                id: id.clone(),
                reason,
            };
            match run::<DeleteQuestion>(variables).await {
                Ok(_) => {
                    toasts.success(format!("{id} deleted"));
                    stats.refetch();
                }
                Err(error) if error.has_code("CONFLICT") => toasts.error(format!(
                    "{id} cannot be deleted: it has answers, which belong to people's profiles and the ledger. Deactivate it instead."
                )),
                Err(error) => toasts.error(error.message),
            }
        }
    });
    let message = Signal::derive(move || match deleting.get() {
        Some((id, 0)) => format!("Delete the question {id}? This cannot be undone."),
        Some((id, answers)) => format!(
            "Delete the question {id}? It has {answers} answers, so the server will refuse; deactivating keeps them."
        ),
        None => String::new(),
    });

    view! {
        <PageHeader title="Questions">
            <A href="/admin/questions/new" attr:class="button" attr:id="new-question">
                "New question"
            </A>
        </PageHeader>
        <section class="panel">
            <SearchBox id="question-search" label="Search questions" value=search />
            <Suspense fallback=|| view! { <Loading label="Loading questions…" /> }>
                {move || Suspend::new(async move {
                    match stats.await {
                        Err(error) => {
                            view! { <ErrorState error on_retry=move |_| stats.refetch() /> }.into_any()
                        }
                        Ok(data) => {
                            let rows = move || {
                                data.question_stats
                                    .iter()
                                    .filter(|stat| matches(stat, &search.get()))
                                    .cloned()
                                    .collect::<Vec<_>>()
                            };
                            view! {
                                <Show
                                    when={
                                        let rows = rows.clone();
                                        move || !rows().is_empty()
                                    }
                                    fallback=|| view! { <EmptyState title="No questions match." hint="Create one with “New question”." /> }
                                >
                                    <div class="table-scroll">
                                        <table id="questions-table">
                                            <thead>
                                                <tr>
                                                    <th scope="col">"Question"</th>
                                                    <th scope="col">"Type"</th>
                                                    <th scope="col">"Apps"</th>
                                                    <th scope="col" class="num">"Reward"</th>
                                                    <th scope="col" class="num">"Answers"</th>
                                                    <th scope="col" class="num">"DUST paid"</th>
                                                    <th scope="col">"Status"</th>
                                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                <For each=rows.clone() key=|stat| (stat.question.id.clone(), stat.question.is_active, stat.answers) let:stat>
                                                    <QuestionRow stat set_active deleting confirming />
                                                </For>
                                            </tbody>
                                        </table>
                                    </div>
                                </Show>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <ConfirmDialog
                open=confirming
                title="Delete question"
                message
                confirm_label="Delete"
                on_confirm=move |reason: String| {
                    if let Some((id, _)) = deleting.get_untracked() {
                        delete.dispatch_local((id, reason));
                    }
                }
            />
        </section>
    }
}

#[component]
fn QuestionRow(
    stat: Stat,
    set_active: Action<(String, bool), ()>,
    deleting: RwSignal<Option<(String, i64)>>,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    let question = stat.question;
    let id = question.id.clone();
    let active = question.is_active;
    let apps = if question.app_context.is_empty() {
        "every app".to_owned()
    } else {
        question.app_context.join(", ")
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            set_active.dispatch_local((id.clone(), !active));
        }
    };
    let ask_delete = {
        let id = id.clone();
        let answers = stat.answers;
        move |_| {
            deleting.set(Some((id.clone(), answers)));
            confirming.set(true);
        }
    };
    let label = id.clone();
    view! {
        <tr data-question=id.clone()>
            <th scope="row">
                <A href=format!("/admin/questions/{id}")>{label}</A>
                <span class="hint block">{question.text}</span>
            </th>
            <td>{crate::ops::gql_name(&question.type_)}</td>
            <td>{apps}</td>
            <td class="num">{question.dust_reward}</td>
            <td class="num answers">{stat.answers}</td>
            <td class="num">{stat.dust_granted}</td>
            <td>
                <span class="badge" data-active=active.to_string()>
                    {if active { "Active" } else { "Inactive" }}
                </span>
            </td>
            <td class="row-actions">
                <button type="button" class="secondary" on:click=toggle>
                    {if active { "Deactivate" } else { "Activate" }}
                </button>
                <button type="button" class="danger" on:click=ask_delete>
                    "Delete"
                </button>
            </td>
        </tr>
    }
}
