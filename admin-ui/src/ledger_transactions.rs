//! Every user's DUST transactions, newest first, filtered by user, app, kind and UTC days, with
//! server pagination; a consume can be refunded (once) with a reason.

use leptos::prelude::*;
use leptos_router::components::A;
use portal_kit::{
    ConfirmDialog, EmptyState, ErrorState, Loading, Pager, Pagination, PortalError, SearchBox, run,
    use_toasts,
};

use crate::ops::{
    RefundTransaction, Transactions, convert, gql_name, refund_transaction, transactions,
};
use portal_kit::dates;

type Row = transactions::TransactionsTransactionsNodes;

const KINDS: [&str; 6] = [
    "GRANT",
    "CONSUME",
    "PURCHASE",
    "REFUND",
    "REWARD",
    "ADJUSTMENT",
];

/// What the filters hold, as typed.
#[derive(Clone, Debug, PartialEq)]
struct Filters {
    user: String,
    app: String,
    kind: String,
    from: String,
    to: String,
}

fn given(text: String) -> Option<String> {
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

async fn load(
    filters: Filters,
    first: i32,
    after: Option<String>,
) -> Result<transactions::ResponseData, PortalError> {
    run::<Transactions>(transactions::Variables {
        user_id: given(filters.user),
        app_id: given(filters.app),
        type_: given(filters.kind).and_then(|kind| convert(&kind)),
        from: dates::day_start(&filters.from),
        to: dates::day_end(&filters.to),
        first: Some(first.into()),
        after,
    })
    .await
}

#[component]
pub fn TransactionsPanel() -> impl IntoView {
    let toasts = use_toasts();
    let user = RwSignal::new(String::new());
    let app = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let filters = Memo::new(move |_| Filters {
        user: user.get(),
        app: app.get(),
        kind: kind.get(),
        from: from.get(),
        to: to.get(),
    });
    let pagination = Pagination::new();
    Effect::new(move |first_run: Option<()>| {
        filters.track();
        if first_run.is_some() {
            pagination.reset();
        }
    });
    let list = LocalResource::new(move || {
        load(
            filters.get(),
            pagination.page_size.get(),
            pagination.after(),
        )
    });

    let refunding = RwSignal::new(None::<Row>);
    let confirming = RwSignal::new(false);
    let refund = Action::new_local(move |(row, reason): &(Row, String)| {
        let (row, reason) = (row.clone(), reason.clone());
        async move {
            let variables = refund_transaction::Variables {
                id: row.id.clone(),
                reason,
            };
            match run::<RefundTransaction>(variables).await {
                Ok(data) => {
                    toasts.success(format!(
                        "Refunded {} DUST to {}",
                        data.refund_transaction.amount,
                        row.user.map(|user| user.fairyname).unwrap_or_default()
                    ));
                    list.refetch();
                }
                Err(error) if error.has_code("CONFLICT") => {
                    toasts.error("This consume was already refunded: a consume is refunded once.")
                }
                Err(error) => toasts.error(format!("Refund failed: {error}")),
            }
        }
    });
    let message = Signal::derive(move || {
        refunding.with(|row| {
            row.as_ref().map_or_else(String::new, |row| {
                format!(
                    "Give {} DUST back to {} for {}{}? This adds a refund transaction to their ledger.",
                    -row.amount,
                    row.user.as_ref().map_or("this user", |user| user.fairyname.as_str()),
                    row.action.as_deref().unwrap_or("this consume"),
                    row.app.as_ref().map(|app| format!(" in {}", app.name)).unwrap_or_default(),
                )
            })
        })
    });

    view! {
        <section class="panel" aria-labelledby="transactions-title">
            <h2 id="transactions-title">"Transactions"</h2>
            <div class="filters">
                <SearchBox id="filter-user" label="User id" value=user />
                <SearchBox id="filter-app" label="App id or slug" value=app />
                <label>
                    "Type"
                    <select id="filter-type" on:change=move |event| kind.set(event_target_value(&event))>
                        <option value="">"Every type"</option>
                        {KINDS.map(|value| view! { <option value=value>{value.to_lowercase()}</option> })}
                    </select>
                </label>
                <label>"From (UTC)" <input id="filter-from" type="date" bind:value=from /></label>
                <label>"To (UTC, included)" <input id="filter-to" type="date" bind:value=to /></label>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading transactions…" /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(error) => {
                            view! { <ErrorState error on_retry=move |_| list.refetch() /> }.into_any()
                        }
                        Ok(data) => {
                            view! {
                                <TransactionsTable
                                    data=data.transactions
                                    pagination
                                    on_refund=move |row: Row| {
                                        refunding.set(Some(row));
                                        confirming.set(true);
                                    }
                                />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <ConfirmDialog
                open=confirming
                title="Refund a consume"
                message
                confirm_label="Refund"
                on_confirm=move |reason: String| {
                    if let Some(row) = refunding.get_untracked() {
                        refund.dispatch_local((row, reason));
                    }
                }
            />
        </section>
    }
}

#[component]
fn TransactionsTable(
    data: transactions::TransactionsTransactions,
    pagination: Pagination,
    #[prop(into)] on_refund: Callback<Row>,
) -> impl IntoView {
    if data.nodes.is_empty() {
        return view! {
            <EmptyState title="No transactions match." hint="Clear a filter or pick other days." />
        }
        .into_any();
    }
    let shown = data.nodes.len();
    let next = data
        .page_info
        .has_next_page
        .then_some(data.page_info.end_cursor)
        .flatten();
    view! {
        <div class="table-scroll">
            <table id="transactions-table">
                <thead>
                    <tr>
                        <th scope="col">"Time (UTC)"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"App"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="num">"Balance after"</th>
                        <th scope="col"><span class="visually-hidden">"Refund"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {data
                        .nodes
                        .into_iter()
                        .map(|row| {
                            let kind = row.type_.as_ref().map(gql_name).unwrap_or_default();
                            let refundable = kind == "CONSUME" && row.refunded_by.is_none();
                            let already = kind == "CONSUME" && !refundable;
                            let detail = row.action.clone().or_else(|| row.description.clone());
                            let clicked = row.clone();
                            view! {
                                <tr data-transaction=row.id.clone() data-type=kind.clone()>
                                    <td class="nowrap">{dates::short_time(&row.created_at)}</td>
                                    <td>
                                        {row
                                            .user
                                            .map(|user| {
                                                view! { <A href=format!("/admin/users/{}", user.id)>{user.fairyname}</A> }
                                            })}
                                    </td>
                                    <td>
                                        {row
                                            .app
                                            .map(|app| view! { <A href=format!("/admin/apps/{}", app.id)>{app.name}</A> })}
                                    </td>
                                    <td>
                                        {kind.to_lowercase()}
                                        {detail.map(|detail| view! { <span class="hint block">{detail}</span> })}
                                    </td>
                                    <td class="num" data-sign={if row.amount < 0 { "minus" } else { "plus" }}>
                                        {format!("{:+}", row.amount)}
                                    </td>
                                    <td class="num">{row.balance_after}</td>
                                    <td>
                                        {refundable
                                            .then(|| {
                                                view! {
                                                    <button
                                                        type="button"
                                                        class="secondary small refund"
                                                        on:click=move |_| on_refund.run(clicked.clone())
                                                    >
                                                        "Refund"
                                                    </button>
                                                }
                                            })}
                                        {already.then(|| view! { <span class="hint">"Refunded"</span> })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <Pager pagination total_count=data.total_count shown next_cursor=next />
    }
    .into_any()
}
