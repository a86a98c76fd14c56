//! One user: profile, roles, status and balance; the admin actions (`user_actions.rs`); the DUST
//! history with refunds (`user_transactions.rs`); signed-in devices, linked providers and LLM use.
//! Actions update the page from the mutation's answer instead of reloading it.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use portal_kit::{
    Chart, ChartKind, ChartPoint, EmptyState, ErrorState, Loading, PageHeader, PortalError, run,
};

use crate::dates;
use crate::display::{count_axis, grouped, instant, percent, usd};
use crate::ops::{UserDetail, UserLlmUsage, user_detail, user_llm_usage};
use crate::user_actions::{ActionDialog, ActionsPanel, UserActions};
use crate::user_transactions::UserTransactions;
use crate::users::roles;

pub type Account = user_detail::UserDetailUserAccount;

async fn load_account(id: String) -> Result<Account, PortalError> {
    let data = run::<UserDetail>(user_detail::Variables { id: id.clone() }).await?;
    data.user
        .account
        .ok_or_else(|| PortalError::local(format!("The account {id} is not readable.")))
}

#[component]
pub fn UserDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let account = LocalResource::new(move || load_account(id()));
    view! {
        <Suspense fallback=|| {
            view! {
                <PageHeader title="User" crumbs=vec![("Users", "/admin/users".to_owned())] />
                <Loading label="Loading the user…" />
            }
        }>
            {move || Suspend::new(async move {
                match account.await {
                    Err(error) => {
                        view! {
                            <PageHeader title="User" crumbs=vec![("Users", "/admin/users".to_owned())] />
                            <ErrorState error on_retry=move |_| account.refetch() />
                        }
                            .into_any()
                    }
                    Ok(loaded) => view! { <UserView account=RwSignal::new(loaded) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserView(account: RwSignal<Account>) -> impl IntoView {
    let user_id = account.with_untracked(|account| account.id.clone());
    let actions = UserActions::new(account);
    let name = account.with_untracked(|account| account.fairyname.clone());
    view! {
        <PageHeader title=name crumbs=vec![("Users", "/admin/users".to_owned())] />
        <div class="user-columns">
            <Profile account />
            <ActionsPanel actions />
        </div>
        <UserTransactions user_id=user_id.clone() actions />
        <div class="user-columns">
            <Sessions account />
            <LlmUse user_id=user_id.clone() />
        </div>
        <p>
            <A href=format!("/admin/audit-log?targetType=user&targetId={user_id}")>
                "Admin actions on this user"
            </A>
        </p>
        <ActionDialog actions />
    }
}

#[component]
fn Profile(account: RwSignal<Account>) -> impl IntoView {
    let field = move |read: fn(&Account) -> Option<String>| {
        move || account.with(read).unwrap_or_else(|| "—".to_owned())
    };
    let place = move || {
        account.with(|account| {
            [account.city.clone(), account.country.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    view! {
        <section class="panel" aria-labelledby="profile-title" id="user-profile">
            <h2 id="profile-title">"Profile"</h2>
            <dl class="stats">
                <div>
                    <dt>"Balance"</dt>
                    <dd id="user-balance">{move || format!("{} DUST", grouped(account.with(|a| a.dust_balance)))}</dd>
                </div>
                <div>
                    <dt>"Roles"</dt>
                    <dd id="user-roles">{move || account.with(|a| roles(a.is_admin, a.is_builder))}</dd>
                </div>
                <div>
                    <dt>"Status"</dt>
                    <dd id="user-status" data-active=move || account.with(|a| a.is_active.to_string())>
                        {move || if account.with(|a| a.is_active) { "Active" } else { "Deactivated" }}
                    </dd>
                </div>
            </dl>
            <dl class="facts">
                <dt>"Id"</dt>
                <dd class="break">{move || account.with(|a| a.id.clone())}</dd>
                <dt>"Email"</dt>
                <dd class="break">{field(|a| a.email.clone())}</dd>
                <dt>"Phone"</dt>
                <dd>{field(|a| a.phone.clone())}</dd>
                <dt>"First name"</dt>
                <dd>{field(|a| a.first_name.clone())}</dd>
                <dt>"Place"</dt>
                <dd>{move || { let place = place(); if place.is_empty() { "—".to_owned() } else { place } }}</dd>
                <dt>"Joined (UTC)"</dt>
                <dd>{move || account.with(|a| instant(&a.created_at))}</dd>
                <dt>"Last sign-in"</dt>
                <dd>{field(|a| a.last_sign_in_at.as_deref().map(instant))}</dd>
                <dt>"Streak"</dt>
                <dd>{move || format!("{} days", account.with(|a| a.streak_days))}</dd>
                <dt>"Sign-in providers"</dt>
                <dd id="user-providers">
                    {move || {
                        let providers = account.with(|a| a.linked_providers.clone());
                        if providers.is_empty() {
                            "none (email or phone codes only)".to_owned()
                        } else {
                            providers
                                .iter()
                                .map(|provider| format!("{provider:?}").to_lowercase())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    }}
                </dd>
            </dl>
        </section>
    }
}

#[component]
fn Sessions(account: RwSignal<Account>) -> impl IntoView {
    let sessions = move || account.with(|account| account.sessions.clone());
    view! {
        <section class="panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Signed-in devices"</h2>
            <Show
                when=move || !account.with(|account| account.sessions.is_empty())
                fallback=|| view! { <EmptyState title="No signed-in device." /> }
            >
                <div class="table-scroll">
                    <table id="user-sessions">
                        <thead>
                            <tr>
                                <th scope="col">"Device"</th>
                                <th scope="col">"IP"</th>
                                <th scope="col">"Last used (UTC)"</th>
                                <th scope="col">"Expires"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=sessions key=|session| session.id.clone() let:session>
                                <tr>
                                    <td class="device">{session.user_agent.unwrap_or_else(|| "unknown".to_owned())}</td>
                                    <td>{session.ip.unwrap_or_default()}</td>
                                    <td class="nowrap">{instant(&session.last_used_at)}</td>
                                    <td class="nowrap">{instant(&session.expires_at)}</td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}

async fn load_usage(
    id: String,
    from: String,
    to: String,
) -> Result<user_llm_usage::UserLlmUsageUserAccountLlmUsage, PortalError> {
    let (Some(from), Some(to)) = (dates::day_start(&from), dates::day_end(&to)) else {
        return Err(PortalError::local("Choose a start and an end day."));
    };
    let data = run::<UserLlmUsage>(user_llm_usage::Variables { id, from, to }).await?;
    data.user
        .account
        .map(|account| account.llm_usage)
        .ok_or_else(|| PortalError::local("The account is not readable."))
}

#[component]
fn LlmUse(user_id: String) -> impl IntoView {
    let from = RwSignal::new(dates::utc_day(29));
    let to = RwSignal::new(dates::utc_day(0));
    let usage = LocalResource::new(move || load_usage(user_id.clone(), from.get(), to.get()));
    view! {
        <section class="panel" aria-labelledby="llm-title">
            <h2 id="llm-title">"LLM use"</h2>
            <div class="filters">
                <label>"From (UTC) " <input id="llm-from" type="date" bind:value=from /></label>
                <label>"To (UTC, included) " <input id="llm-to" type="date" bind:value=to /></label>
            </div>
            <Suspense fallback=|| view! { <Loading label="Loading LLM use…" /> }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Err(error) => view! { <ErrorState error on_retry=move |_| usage.refetch() /> }.into_any(),
                        Ok(usage) if usage.totals.requests == 0 => {
                            view! { <EmptyState title="No LLM calls in this range." /> }.into_any()
                        }
                        Ok(usage) => {
                            let totals = usage.totals;
                            let calls: Vec<ChartPoint> = usage
                                .by_day
                                .iter()
                                .map(|day| ChartPoint {
                                    label: day.key.get(5..).unwrap_or(&day.key).to_owned(),
                                    value: day.totals.requests as f64,
                                })
                                .collect();
                            view! {
                                <dl class="stats" id="user-llm-totals">
                                    <div><dt>"Calls"</dt><dd>{grouped(totals.requests)}</dd></div>
                                    <div><dt>"Cost"</dt><dd>{usd(&totals.cost_usd)}</dd></div>
                                    <div><dt>"Fallback rate"</dt><dd>{percent(totals.fallback_rate)}</dd></div>
                                    <div>
                                        <dt>"Tokens in / out"</dt>
                                        <dd>{format!("{} / {}", grouped(totals.prompt_tokens), grouped(totals.completion_tokens))}</dd>
                                    </div>
                                </dl>
                                <Chart id="user-llm-chart" title="Calls per day" kind=ChartKind::Bar points=calls format=count_axis />
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
