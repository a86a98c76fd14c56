//! Ledger: whether every balance equals the sum of its transactions, and every user's
//! transactions with refunds (`ledger_transactions`).

use leptos::prelude::*;
use portal_kit::{ErrorState, Loading, PageHeader, run};

use crate::ledger_transactions::TransactionsPanel;
use crate::ops::{LedgerAudit, ledger_audit};

#[component]
pub fn LedgerPage() -> impl IntoView {
    let audit = LocalResource::new(|| run::<LedgerAudit>(ledger_audit::Variables {}));
    view! {
        <PageHeader title="Ledger" />
        <section class="panel" aria-labelledby="audit-title">
            <div class="title-row">
                <h2 id="audit-title">"Audit"</h2>
                <button type="button" class="secondary" on:click=move |_| audit.refetch()>
                    "Run again"
                </button>
            </div>
            <Suspense fallback=|| view! { <Loading label="Auditing every balance…" /> }>
                {move || Suspend::new(async move {
                    match audit.await {
                        Err(error) => {
                            view! { <ErrorState error on_retry=move |_| audit.refetch() /> }.into_any()
                        }
                        Ok(data) if data.ledger_audit.is_empty() => {
                            view! {
                                <p id="ledger-status" class="status-ok" data-state="ok">
                                    "Every balance equals the sum of its transactions."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(data) => {
                            view! {
                                <p id="ledger-status" class="status-bad" data-state="discrepancies" role="alert">
                                    {format!(
                                        "{} users' balances differ from their transactions.",
                                        data.ledger_audit.len(),
                                    )}
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
                                            {data
                                                .ledger_audit
                                                .into_iter()
                                                .map(|row| {
                                                    view! {
                                                        <tr>
                                                            <th scope="row">{row.user_id}</th>
                                                            <td class="num">{row.balance}</td>
                                                            <td class="num">{row.transaction_sum}</td>
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
                })}
            </Suspense>
        </section>
        <TransactionsPanel />
    }
}
