//! One user: profile, roles, status and balance; the admin actions (`user_actions.rs`); the DUST
//! history with refunds (`user_transactions.rs`); signed-in devices, linked providers and LLM use.
//! Actions update the page from the mutation's answer instead of reloading it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use portal_kit::{
    Chart, ChartKind, ChartPoint, EmptyState, ErrorState, Loading, PageHeader, PortalError, run,
};

use crate::display::{count_axis, grouped, instant, percent, usd};
use crate::ops::{UserDetail, UserLlmUsage, user_detail, user_llm_usage};
use crate::user_action_form::ActionsPanel;
use crate::user_actions::{ActionDialog, UserActions};
use crate::user_transactions::UserTransactions;
use crate::users::roles;
use portal_kit::dates;

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
    let crumbs = || vec![("Users", "/admin/users".to_owned())];
    move || match account.get() {
        None => view! {
            <PageHeader title="User" crumbs=crumbs() />
            <Loading label="Loading the user…" />
        }
        .into_any(),
        Some(Err(error)) => view! {
            <PageHeader title="User" crumbs=crumbs() />
            <ErrorState error on_retry=move |_| account.refetch() />
        }
        .into_any(),
        Some(Ok(loaded)) => view! { <UserView account=RwSignal::new(loaded) /> }.into_any(),
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
            <a href=format!("/admin/audit-log?targetType=user&targetId={user_id}")>
                "Admin actions on this user"
            </a>
        </p>
        <ActionDialog actions />
    }
}

fn or_dash(value: Option<String>) -> String {
    value
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| "—".to_owned())
}

/// Re-rendered whole when an action changes the account: one reactive block, not one per field.
#[component]
fn Profile(account: RwSignal<Account>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="profile-title" id="user-profile">
            <h2 id="profile-title">"Profile"</h2>
            {move || profile_facts(account.get())}
        </section>
    }
}

fn profile_facts(account: Account) -> impl IntoView {
    let place = [account.city, account.country]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let providers = if account.linked_providers.is_empty() {
        "none (email or phone codes only)".to_owned()
    } else {
        account
            .linked_providers
            .iter()
            .map(|provider| crate::ops::gql_name(provider).to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <dl class="stats">
            <div>
                <dt>"Balance"</dt>
                <dd id="user-balance">{format!("{} DUST", grouped(account.dust_balance))}</dd>
            </div>
            <div>
                <dt>"Roles"</dt>
                <dd id="user-roles">{roles(account.is_admin, account.is_builder)}</dd>
            </div>
            <div>
                <dt>"Status"</dt>
                <dd id="user-status" data-active=account.is_active.to_string()>
                    {if account.is_active { "Active" } else { "Deactivated" }}
                </dd>
            </div>
        </dl>
        <dl class="facts">
            <dt>"Id"</dt>
            <dd class="break">{account.id}</dd>
            <dt>"Email"</dt>
            <dd class="break">{or_dash(account.email)}</dd>
            <dt>"Phone"</dt>
            <dd>{or_dash(account.phone)}</dd>
            <dt>"First name"</dt>
            <dd>{or_dash(account.first_name)}</dd>
            <dt>"Place"</dt>
            <dd>{or_dash(Some(place))}</dd>
            <dt>"Joined (UTC)"</dt>
            <dd>{instant(&account.created_at)}</dd>
            <dt>"Last sign-in"</dt>
            <dd>{or_dash(account.last_sign_in_at.as_deref().map(instant))}</dd>
            <dt>"Streak"</dt>
            <dd>{format!("{} days", account.streak_days)}</dd>
            <dt>"Sign-in providers"</dt>
            <dd id="user-providers">{providers}</dd>
        </dl>
    }
}

#[component]
fn Sessions(account: RwSignal<Account>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Signed-in devices"</h2>
            {move || {
                let sessions = account.with(|account| account.sessions.clone());
                if sessions.is_empty() {
                    return view! { <EmptyState title="No signed-in device." /> }.into_any();
                }
                view! {
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
                                {sessions
                                    .into_iter()
                                    .map(|session| {
                                        view! {
                                            <tr>
                                                <td class="device">{session.user_agent.unwrap_or_else(|| "unknown".to_owned())}</td>
                                                <td>{session.ip.unwrap_or_default()}</td>
                                                <td class="nowrap">{instant(&session.last_used_at)}</td>
                                                <td class="nowrap">{instant(&session.expires_at)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
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
            {move || match usage.get() {
                        None => view! { <Loading label="Loading LLM use…" /> }.into_any(),
                        Some(Err(error)) => view! { <ErrorState error on_retry=move |_| usage.refetch() /> }.into_any(),
                        Some(Ok(usage)) if usage.totals.requests == 0 => {
                            view! { <EmptyState title="No LLM calls in this range." /> }.into_any()
                        }
                        Some(Ok(usage)) => {
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
                    }}
        </section>
    }
}
