//! The ledger audit as the dashboard and the ledger screen show it. The server checks one chunk of
//! users per call, so a large platform is audited in several calls: the Ledger screen walks them all,
//! showing how many users are checked so far; the dashboard checks the first chunk only (a full walk
//! at a million users takes a minute) and says how far it got. Both list every user whose balance
//! differs from their transactions.

use leptos::prelude::*;
use portal_kit::{ErrorState, Loading, PortalError, run};

use crate::display::grouped;
use crate::ops::ledger_audit::LedgerAuditLedgerAuditDiscrepancies as Discrepancy;
use crate::ops::{LedgerAudit, ledger_audit};

/// Users checked so far, of all users.
type Progress = Option<(i64, i64)>;

/// What the walk found, and whether it reached the last user.
type Audit = (Vec<Discrepancy>, bool);

async fn audit(progress: RwSignal<Progress>, first_chunk_only: bool) -> Result<Audit, PortalError> {
    progress.set(None);
    let (mut after, mut checked, mut found) = (None, 0, Vec::new());
    loop {
        let chunk = run::<LedgerAudit>(ledger_audit::Variables { after })
            .await?
            .ledger_audit;
        checked += chunk.checked_users;
        progress.set(Some((checked, chunk.total_users)));
        found.extend(chunk.discrepancies);
        match chunk.next_after {
            Some(next) if !first_chunk_only => after = Some(next),
            next => return Ok((found, next.is_none())),
        }
    }
}

fn progress_label(progress: Progress) -> String {
    match progress {
        None => "Auditing every balance…".to_owned(),
        Some((checked, total)) => format!(
            "Auditing every balance… {} of {} users checked",
            grouped(checked),
            grouped(total)
        ),
    }
}

/// `status_id` names the status line (`data-state` "ok", "partial" or "discrepancies") for tests.
#[component]
pub fn LedgerAuditReport(
    status_id: &'static str,
    #[prop(optional)] first_chunk_only: bool,
) -> impl IntoView {
    let progress = RwSignal::new(None);
    let audit = LocalResource::new(move || audit(progress, first_chunk_only));
    view! {
        <div class="title-row">
            <p class="hint">"Every user's balance against the sum of their transactions."</p>
            <button type="button" class="secondary" on:click=move |_| audit.refetch()>
                "Run again"
            </button>
        </div>
        {move || match audit.get() {
            None => view! { <Loading label=progress_label(progress.get()) /> }.into_any(),
            Some(Err(error)) => {
                view! { <ErrorState error on_retry=move |_| audit.refetch() /> }.into_any()
            }
            Some(Ok((found, false))) if found.is_empty() => {
                let (checked, total) = progress.get_untracked().unwrap_or_default();
                view! {
                    <p id=status_id class="hint" data-state="partial">
                        {format!(
                            "The first {} of {} users are in order. ",
                            grouped(checked),
                            grouped(total),
                        )}
                        <a href="/admin/ledger">"Audit everyone on the Ledger screen"</a>
                    </p>
                }
                    .into_any()
            }
            Some(Ok((found, true))) if found.is_empty() => {
                let checked = progress.get_untracked().map_or(0, |(checked, _)| checked);
                view! {
                    <p id=status_id class="status-ok" data-state="ok">
                        {format!(
                            "Every balance equals the sum of its transactions ({} users checked).",
                            grouped(checked),
                        )}
                    </p>
                }
                    .into_any()
            }
            Some(Ok((found, _))) => view! { <DiscrepancyTable status_id found /> }.into_any(),
        }}
    }
}

#[component]
fn DiscrepancyTable(status_id: &'static str, found: Vec<Discrepancy>) -> impl IntoView {
    view! {
        <p id=status_id class="status-bad" data-state="discrepancies" role="alert">
            {match found.len() {
                1 => "1 user's balance differs from their transactions.".to_owned(),
                n => format!("{n} users' balances differ from their transactions."),
            }}
        </p>
        <div class="table-scroll">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col" class="num">"Balance"</th>
                        <th scope="col" class="num">"Σ transactions"</th>
                    </tr>
                </thead>
                <tbody>
                    {found
                        .into_iter()
                        .map(|row| {
                            let name = row
                                .user
                                .map_or_else(|| row.user_id.clone(), |user| user.fairyname);
                            view! {
                                <tr>
                                    <th scope="row">
                                        <a href=format!("/admin/users/{}", row.user_id)>{name}</a>
                                    </th>
                                    <td class="num">{grouped(row.balance)}</td>
                                    <td class="num">{grouped(row.transaction_sum)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
