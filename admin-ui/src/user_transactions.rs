//! A user's DUST history, newest first, filtered by kind and UTC days, with a refund button on
//! every consume not refunded yet; it reloads after each DUST movement made on the page.

use leptos::prelude::*;
use portal_kit::{
    EmptyState, ErrorState, Loading, Pager, Pagination, PortalError, download, run, use_toasts,
};

use crate::display::{given, grouped, instant, query_string, signed};
use crate::ops::{UserTransactions as UserTransactionsQuery, user_transactions};
use crate::user_actions::{Change, UserActions};
use portal_kit::dates;

type History = user_transactions::UserTransactionsUserAccountDustTransactions;
type Transaction = user_transactions::UserTransactionsUserAccountDustTransactionsNodes;
use user_transactions::TransactionKind;

const KINDS: [(&str, &str); 7] = [
    ("", "Any"),
    ("GRANT", "Grants"),
    ("CONSUME", "Consumes"),
    ("PURCHASE", "Purchases"),
    ("REFUND", "Refunds"),
    ("REWARD", "Rewards"),
    ("ADJUSTMENT", "Adjustments"),
];

fn kind(name: &str) -> Option<TransactionKind> {
    Some(match name {
        "GRANT" => TransactionKind::GRANT,
        "CONSUME" => TransactionKind::CONSUME,
        "PURCHASE" => TransactionKind::PURCHASE,
        "REFUND" => TransactionKind::REFUND,
        "REWARD" => TransactionKind::REWARD,
        "ADJUSTMENT" => TransactionKind::ADJUSTMENT,
        _ => return None,
    })
}

#[derive(Clone, Debug, Default, PartialEq)]
struct HistoryFilters {
    kind: String,
    /// UTC days, `YYYY-MM-DD`, or "".
    from: String,
    to: String,
}

impl HistoryFilters {
    fn instants(&self) -> Result<(Option<String>, Option<String>), PortalError> {
        let bad = || PortalError::local("A day filter is not a date (YYYY-MM-DD).");
        let from = given(&self.from)
            .map(|day| dates::day_start(&day).ok_or_else(bad))
            .transpose()?;
        let to = given(&self.to)
            .map(|day| dates::day_end(&day).ok_or_else(bad))
            .transpose()?;
        Ok((from, to))
    }
}

/// One page of the history; each consume says whether it was refunded.
async fn load_history(
    id: String,
    filters: HistoryFilters,
    first: i64,
    after: Option<String>,
) -> Result<History, PortalError> {
    let (from, to) = filters.instants()?;
    let data = run::<UserTransactionsQuery>(user_transactions::Variables {
        id,
        type_: kind(&filters.kind),
        from,
        to,
        first: Some(first),
        after,
    })
    .await?;
    let account = data
        .user
        .account
        .ok_or_else(|| PortalError::local("The account is not readable."))?;
    Ok(account.dust_transactions)
}

#[component]
pub fn UserTransactions(user_id: String, actions: UserActions) -> impl IntoView {
    let toasts = use_toasts();
    let filters = RwSignal::new(HistoryFilters::default());
    let pagination = Pagination::new();
    let history = {
        let user_id = user_id.clone();
        LocalResource::new(move || {
            actions.ledger_version.track();
            load_history(
                user_id.clone(),
                filters.get(),
                i64::from(pagination.page_size.get()),
                pagination.after(),
            )
        })
    };
    let set = move |change: fn(&mut HistoryFilters, String)| {
        move |event: leptos::ev::Event| {
            let value = event_target_value(&event);
            pagination.reset();
            filters.update(|filters| change(filters, value));
        }
    };
    let export = Action::new_local(move |_: &()| {
        let user_id = user_id.clone();
        async move {
            let current = filters.get_untracked();
            let (from, to) = match current.instants() {
                Ok(range) => range,
                Err(error) => return toasts.error(error.message),
            };
            let query = query_string(&[
                ("userId", &user_id),
                ("type", &current.kind),
                ("from", from.as_deref().unwrap_or_default()),
                ("to", to.as_deref().unwrap_or_default()),
            ]);
            match download(
                format!("/export/transactions.csv{query}"),
                "transactions.csv".to_owned(),
            )
            .await
            {
                Ok(()) => toasts.success("Transactions exported"),
                Err(error) => toasts.error(format!("Export failed: {}", error.message)),
            }
        }
    });

    view! {
        <section class="panel" aria-labelledby="history-title" id="user-history">
            <div class="title-row">
                <h2 id="history-title">"DUST history"</h2>
                <button
                    id="export-transactions"
                    type="button"
                    class="secondary"
                    disabled=move || export.pending().get()
                    on:click=move |_| {
                        export.dispatch_local(());
                    }
                >
                    "Export CSV"
                </button>
            </div>
            <div class="filters">
                <label for="history-kind">
                    "Kind"
                    <select id="history-kind" on:change=set(|f, v| f.kind = v)>
                        {KINDS.map(|(value, label)| view! { <option value=value>{label}</option> })}
                    </select>
                </label>
                <label for="history-from">
                    "From (UTC)"
                    <input id="history-from" type="date" on:change=set(|f, v| f.from = v) />
                </label>
                <label for="history-to">
                    "To (UTC, included)"
                    <input id="history-to" type="date" on:change=set(|f, v| f.to = v) />
                </label>
            </div>
            {move || match history.get() {
                        None => view! { <Loading label="Loading the history…" /> }.into_any(),
                        Some(Err(error)) => view! { <ErrorState error on_retry=move |_| history.refetch() /> }.into_any(),
                        Some(Ok(page)) => view! { <HistoryTable page pagination actions /> }.into_any(),
                    }}
        </section>
    }
}

#[component]
fn HistoryTable(page: History, pagination: Pagination, actions: UserActions) -> impl IntoView {
    if page.nodes.is_empty() {
        return view! { <EmptyState title="No DUST transaction matches." /> }.into_any();
    }
    let total = page.total_count;
    let shown = page.nodes.len();
    let next = page
        .page_info
        .has_next_page
        .then(|| page.page_info.end_cursor.clone())
        .flatten();
    view! {
        <div class="table-scroll">
            <table id="history-table">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="num">"Balance after"</th>
                        <th scope="col">"What"</th>
                        <th scope="col"><span class="visually-hidden">"Refund"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .nodes
                        .into_iter()
                        .map(|transaction| {
                            let was_refunded = transaction.refunded_by.is_some();
                            view! { <HistoryRow transaction was_refunded actions /> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Pager
            pagination
            total_count=Signal::derive(move || total)
            shown=Signal::derive(move || shown)
            next_cursor=Signal::derive(move || next.clone())
        />
    }
    .into_any()
}

#[component]
fn HistoryRow(transaction: Transaction, was_refunded: bool, actions: UserActions) -> impl IntoView {
    let kind = transaction.type_.as_ref().map_or_else(
        || "other".to_owned(),
        |kind| crate::ops::gql_name(kind).to_lowercase(),
    );
    let what = [
        transaction.app.as_ref().map(|app| app.name.clone()),
        transaction
            .action
            .clone()
            .map(|action| match transaction.quantity {
                Some(quantity) if quantity > 1 => format!("{action} ×{quantity}"),
                _ => action,
            }),
        transaction.description.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let refund = match (&transaction.type_, was_refunded) {
        (Some(TransactionKind::CONSUME), true) => {
            Some(view! { <span class="badge">"Refunded"</span> }.into_any())
        }
        (Some(TransactionKind::CONSUME), false) => {
            let change = Change::Refund(transaction.id.clone(), -transaction.amount);
            Some(
                view! {
                    <button type="button" class="secondary refund" on:click=move |_| actions.ask(change.clone())>
                        "Refund"
                    </button>
                }
                .into_any(),
            )
        }
        _ => None,
    };
    let kind_attribute = kind.clone();
    view! {
        <tr data-transaction=transaction.id.clone() data-kind=kind_attribute>
            <td class="nowrap">{instant(&transaction.created_at)}</td>
            <td>{kind}</td>
            <td class="num amount">{signed(transaction.amount)}</td>
            <td class="num">{grouped(transaction.balance_after)}</td>
            <td class="what">{what}</td>
            <td>{refund}</td>
        </tr>
    }
}
