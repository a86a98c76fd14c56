//! The DUST moved in the app, newest first, paged on the server: time, action, amount and the
//! user's fairyname (the API gives a builder nothing more about a user).

use leptos::prelude::*;
use portal_kit::{EmptyState, ErrorState, Loading, Pager, Pagination, run};

use crate::ops::{AppTransactions, app_transactions};
use portal_kit::dates;

#[component]
pub fn RecentTransactions(app_id: String) -> impl IntoView {
    let pagination = Pagination::new();
    let page = LocalResource::new(move || {
        let id = app_id.clone();
        let first = Some(i64::from(pagination.page_size.get()));
        let after = pagination.after();
        async move { run::<AppTransactions>(app_transactions::Variables { id, first, after }).await }
    });
    view! {
        <section class="panel" aria-labelledby="transactions-title" id="transactions">
            <h2 id="transactions-title">"Recent DUST transactions"</h2>
            <Transition fallback=|| view! { <Loading label="Loading transactions…" /> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(error) => view! { <ErrorState error on_retry=move |_| page.refetch() /> }.into_any(),
                        Ok(data) => {
                            let connection = data.app.transactions;
                            if connection.total_count == 0 {
                                return view! {
                                    <EmptyState title="No DUST has moved in this app yet." hint="Charges show here as users call consumeDust or generateText." />
                                }
                                    .into_any();
                            }
                            let next = connection
                                .page_info
                                .has_next_page
                                .then_some(connection.page_info.end_cursor.clone())
                                .flatten();
                            let shown = connection.nodes.len();
                            view! {
                                <div class="table-scroll">
                                    <table id="transactions-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Time"</th>
                                                <th scope="col">"Kind"</th>
                                                <th scope="col">"Action"</th>
                                                <th scope="col" class="num">"DUST"</th>
                                                <th scope="col">"User"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {connection
                                                .nodes
                                                .into_iter()
                                                .map(|row| {
                                                    let kind = match row.type_.map(|k| format!("{k:?}")).as_deref() {
                                                        Some("CONSUME") => "Charge",
                                                        Some("REFUND") => "Refund",
                                                        Some("REWARD") => "Reward to the user",
                                                        _ => "Other",
                                                    };
                                                    let amount = row.amount.abs();
                                                    view! {
                                                        <tr>
                                                            <td>{dates::short_time(&row.created_at)} " UTC"</td>
                                                            <td>{kind}</td>
                                                            <td><code>{row.action.unwrap_or_default()}</code></td>
                                                            <td class="num">{amount}</td>
                                                            <td class="fairyname">{row.user.map(|u| u.fairyname).unwrap_or_default()}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <Pager pagination total_count=connection.total_count shown next_cursor=next />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
