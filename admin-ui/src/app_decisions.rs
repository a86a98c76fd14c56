//! The review decisions on an app: approve or reject a pending app, suspend an approved one,
//! reactivate a suspended or rejected one. Each needs a note (the builder sees it; the audit log
//! keeps it) and updates the page from the server's answer.

use leptos::prelude::*;
use portal_kit::{ConfirmDialog, PortalError, run, use_toasts};

use crate::ops::{
    ApproveApp, ReactivateApp, RejectApp, SuspendApp, approve_app, gql_name, reactivate_app,
    reject_app, suspend_app,
};

/// What a decision changed: the fields every decision answers with.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    /// The GraphQL name, e.g. `SUSPENDED`.
    pub status: String,
    pub is_active: bool,
    pub admin_notes: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Approve,
    Reject,
    Suspend,
    Reactivate,
}

impl Decision {
    const ALL: [Decision; 4] = [
        Decision::Approve,
        Decision::Reject,
        Decision::Suspend,
        Decision::Reactivate,
    ];

    fn label(self) -> &'static str {
        match self {
            Decision::Approve => "Approve",
            Decision::Reject => "Reject",
            Decision::Suspend => "Suspend",
            Decision::Reactivate => "Reactivate",
        }
    }

    /// The server's transitions: pending → approved | rejected, approved → suspended,
    /// suspended | rejected → approved.
    fn allowed(self, status: &str) -> bool {
        matches!(
            (self, status),
            (Decision::Approve | Decision::Reject, "PENDING")
                | (Decision::Suspend, "APPROVED")
                | (Decision::Reactivate, "SUSPENDED" | "REJECTED")
        )
    }

    fn question(self, name: &str) -> String {
        match self {
            Decision::Approve => format!(
                "Approve {name}? It joins the marketplace (while its builder keeps it switched on) and can charge DUST."
            ),
            Decision::Reject => {
                format!("Reject {name}? It stays off the marketplace; the builder sees your note.")
            }
            Decision::Suspend => format!(
                "Suspend {name}? It leaves the marketplace at once and stops charging DUST."
            ),
            Decision::Reactivate => {
                format!("Reactivate {name}? It is approved again and returns to the marketplace.")
            }
        }
    }

    fn done(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::Suspend => "suspended",
            Decision::Reactivate => "reactivated",
        }
    }
}

async fn decide(id: String, decision: Decision, note: String) -> Result<Decided, PortalError> {
    // Every mutation answers with its own generated type of the same three fields.
    macro_rules! decided {
        ($answer:expr) => {{
            let answer = $answer;
            Decided {
                status: gql_name(&answer.status),
                is_active: answer.is_active,
                admin_notes: answer.admin_notes,
            }
        }};
    }
    Ok(match decision {
        Decision::Approve => {
            decided!(
                run::<ApproveApp>(approve_app::Variables { id, note })
                    .await?
                    .approve_app
            )
        }
        Decision::Reject => {
            decided!(
                run::<RejectApp>(reject_app::Variables { id, note })
                    .await?
                    .reject_app
            )
        }
        Decision::Suspend => {
            decided!(
                run::<SuspendApp>(suspend_app::Variables { id, note })
                    .await?
                    .suspend_app
            )
        }
        Decision::Reactivate => decided!(
            run::<ReactivateApp>(reactivate_app::Variables { id, note })
                .await?
                .reactivate_app
        ),
    })
}

/// The decisions the app's status allows, each behind a dialog that asks for the note.
#[component]
pub fn Decisions(app_id: String, name: String, state: RwSignal<Decided>) -> impl IntoView {
    let toasts = use_toasts();
    let run_decision = Action::new_local(move |(decision, note): &(Decision, String)| {
        let (decision, note, id) = (*decision, note.clone(), app_id.clone());
        async move {
            match decide(id, decision, note).await {
                Ok(decided) => {
                    toasts.success(format!("App {}", decision.done()));
                    state.set(decided);
                }
                Err(error) => toasts.error(format!("{} failed: {}", decision.label(), error)),
            }
        }
    });
    let status = move || state.with(|state| state.status.clone());
    view! {
        <section class="panel" aria-labelledby="decision-title">
            <h2 id="decision-title">"Review decision"</h2>
            <p class="hint">"Every decision needs a note: the builder sees it and the audit log keeps it."</p>
            <div class="actions start" id="decisions">
                {Decision::ALL
                    .map(|decision| {
                        let open = RwSignal::new(false);
                        let label = decision.label();
                        view! {
                            <Show when=move || decision.allowed(&status())>
                                <button
                                    type="button"
                                    id=format!("decide-{}", label.to_lowercase())
                                    class=if decision == Decision::Approve || decision == Decision::Reactivate {
                                        ""
                                    } else {
                                        "danger"
                                    }
                                    disabled=move || run_decision.pending().get()
                                    on:click=move |_| open.set(true)
                                >
                                    {label}
                                </button>
                            </Show>
                            <ConfirmDialog
                                open
                                title=format!("{label} app")
                                message=decision.question(&name)
                                confirm_label=label
                                on_confirm=move |note: String| {
                                    run_decision.dispatch_local((decision, note));
                                }
                            />
                        }
                    })}
                <Show when=move || Decision::ALL.iter().all(|decision| !decision.allowed(&status()))>
                    <p class="hint">"No decision applies to an app in this status."</p>
                </Show>
            </div>
        </section>
    }
}
