//! Users: every account (not the system one), newest first, searched by a part of the fairyname,
//! email or phone and filtered by role and status; the filters live in the URL so a view can be
//! shared or reloaded. Each row opens the user's page.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use portal_kit::{
    EmptyState, ErrorState, Loading, PageHeader, Pager, Pagination, PortalError, SearchBox,
    download, run, use_toasts,
};

use crate::display::{given, grouped, instant, query_string};
use crate::ops::{Users, users};

type UserPage = users::UsersUsers;
type UserRow = users::UsersUsersNodes;

/// The list's filters as the URL and the selects hold them: "" means any.
#[derive(Clone, Debug, Default, PartialEq)]
struct UserFilters {
    search: String,
    /// `USER`, `BUILDER` or `ADMIN`.
    role: String,
    /// `true` or `false`.
    active: String,
}

impl UserFilters {
    /// The URL query, which is also the CSV export's (same names as the GraphQL arguments).
    fn query(&self) -> String {
        query_string(&[
            ("search", &self.search),
            ("role", &self.role),
            ("active", &self.active),
        ])
    }
}

async fn load_users(
    filters: UserFilters,
    first: i64,
    after: Option<String>,
) -> Result<UserPage, PortalError> {
    let role = match filters.role.as_str() {
        "USER" => Some(users::UserRole::USER),
        "BUILDER" => Some(users::UserRole::BUILDER),
        "ADMIN" => Some(users::UserRole::ADMIN),
        _ => None,
    };
    let active = match filters.active.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let data = run::<Users>(users::Variables {
        search: given(&filters.search),
        role,
        active,
        first: Some(first),
        after,
    })
    .await?;
    Ok(data.users)
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let toasts = use_toasts();
    let initial = use_query_map().with_untracked(|query| UserFilters {
        search: query.get("search").unwrap_or_default(),
        role: query.get("role").unwrap_or_default(),
        active: query.get("active").unwrap_or_default(),
    });
    let search = RwSignal::new(initial.search.clone());
    let role = RwSignal::new(initial.role.clone());
    let active = RwSignal::new(initial.active.clone());
    // The filters the list shows; changed together with the page, so one change is one request.
    let applied = RwSignal::new(initial);
    let pagination = Pagination::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let filters = UserFilters {
            search: search.get(),
            role: role.get(),
            active: active.get(),
        };
        if filters != applied.get_untracked() {
            navigate(
                &format!("/users{}", filters.query()),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
            pagination.reset();
            applied.set(filters);
        }
    });
    let list = LocalResource::new(move || {
        load_users(
            applied.get(),
            i64::from(pagination.page_size.get()),
            pagination.after(),
        )
    });
    let export = Action::new_local(move |_: &()| async move {
        let url = format!("/export/users.csv{}", applied.get_untracked().query());
        match download(url, "users.csv".to_owned()).await {
            Ok(()) => toasts.success("Users exported"),
            Err(error) => toasts.error(format!("Export failed: {}", error.message)),
        }
    });

    view! {
        <PageHeader title="Users">
            <button
                id="export-users"
                type="button"
                class="secondary"
                disabled=move || export.pending().get()
                on:click=move |_| {
                    export.dispatch_local(());
                }
            >
                "Export CSV"
            </button>
        </PageHeader>
        <section class="panel">
            <div class="filters">
                <SearchBox id="user-search" label="Search fairyname, email or phone" value=search />
                <label for="user-role">
                    "Role"
                    <select id="user-role" on:change=move |event| role.set(event_target_value(&event))>
                        {[("", "Any"), ("USER", "Users only"), ("BUILDER", "Builders"), ("ADMIN", "Admins")]
                            .map(|(value, label)| {
                                view! {
                                    <option value=value selected=move || role.get() == value>
                                        {label}
                                    </option>
                                }
                            })}
                    </select>
                </label>
                <label for="user-active">
                    "Status"
                    <select id="user-active" on:change=move |event| active.set(event_target_value(&event))>
                        {[("", "Any"), ("true", "Active"), ("false", "Deactivated")]
                            .map(|(value, label)| {
                                view! {
                                    <option value=value selected=move || active.get() == value>
                                        {label}
                                    </option>
                                }
                            })}
                    </select>
                </label>
            </div>
            {move || match list.get() {
                        None => view! { <Loading label="Loading users…" /> }.into_any(),
                        Some(Err(error)) => {
                            view! { <ErrorState error on_retry=move |_| list.refetch() /> }.into_any()
                        }
                        Some(Ok(page)) => view! { <UserTable page pagination /> }.into_any(),
                    }}
        </section>
    }
}

#[component]
fn UserTable(page: UserPage, pagination: Pagination) -> impl IntoView {
    if page.nodes.is_empty() {
        return view! {
            <EmptyState title="No user matches." hint="Search for another part of a name, email or phone, or clear the filters." />
        }
            .into_any();
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
            <table id="users-table">
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Contact"</th>
                        <th scope="col">"Roles"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">"DUST"</th>
                        <th scope="col">"Joined (UTC)"</th>
                        <th scope="col">"Last sign-in"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.nodes.into_iter().map(|user| view! { <UserTableRow user /> }).collect_view()}
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

/// "Admin, builder", or "User" for neither.
pub fn roles(is_admin: bool, is_builder: bool) -> &'static str {
    match (is_admin, is_builder) {
        (true, true) => "Admin, builder",
        (true, false) => "Admin",
        (false, true) => "Builder",
        (false, false) => "User",
    }
}

#[component]
fn UserTableRow(user: UserRow) -> impl IntoView {
    let contact = [user.email.clone(), user.phone.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <tr data-user=user.id.clone()>
            <th scope="row">
                <a href=format!("/admin/users/{}", user.id)>{user.fairyname.clone()}</a>
            </th>
            <td class="contact">{contact}</td>
            <td>{roles(user.is_admin, user.is_builder)}</td>
            <td>
                <span class="badge" data-active=user.is_active.to_string()>
                    {if user.is_active { "Active" } else { "Deactivated" }}
                </span>
            </td>
            <td class="num">{grouped(user.dust_balance)}</td>
            <td class="nowrap">{instant(&user.created_at)}</td>
            <td class="nowrap">
                {user.last_sign_in_at.as_deref().map_or_else(|| "never".to_owned(), instant)}
            </td>
        </tr>
    }
}
