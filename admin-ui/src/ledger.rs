//! Ledger: whether every balance equals the sum of its transactions (`ledger_audit`), and every
//! user's transactions with refunds (`ledger_transactions`).

use leptos::prelude::*;
use portal_kit::PageHeader;

use crate::ledger_audit::LedgerAuditReport;
use crate::ledger_transactions::TransactionsPanel;

#[component]
pub fn LedgerPage() -> impl IntoView {
    view! {
        <PageHeader title="Ledger" />
        <section class="panel" aria-labelledby="audit-title">
            <h2 id="audit-title">"Audit"</h2>
            <LedgerAuditReport status_id="ledger-status" />
        </section>
        <TransactionsPanel />
    }
}
