//! Audit log: what admins did, newest first, filtered by admin, action, target and UTC days (kept
//! in the URL, so a filtered view can be linked to); each row opens into its before/after states
//! with the changed keys marked.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use portal_kit::{
    EmptyState, ErrorState, Loading, PageHeader, Pager, Pagination, PortalError, download, run,
    use_toasts,
};

use crate::audit_diff::AuditDiff;
use crate::display::{given, instant, query_string, short_id};
use crate::ops::{AuditLog, audit_log};
use portal_kit::dates;

pub type AuditPage = audit_log::AuditLogAdminAuditLog;
type Entry = audit_log::AuditLogAdminAuditLogNodes;

/// The actions the server records (docs/API.md), offered as suggestions; any text may be typed.
const ACTIONS: &[&str] = &[
    "ledger.grant",
    "ledger.grant_bulk",
    "ledger.adjust",
    "ledger.record_purchase",
    "ledger.refund",
    "users.set_builder",
    "users.set_admin",
    "users.deactivate",
    "users.reactivate",
    "users.revoke_sessions",
    "apps.approve",
    "apps.reject",
    "apps.suspend",
    "apps.reactivate",
    "apps.update",
    "apps.set_action",
    "apps.remove_action",
    "llm.set_model_price",
    "llm.set_model_config",
    "questions.create",
    "questions.update",
    "questions.set_active",
    "questions.delete",
    "export.csv",
];
const TARGET_TYPES: &[&str] = &[
    "user",
    "users",
    "app",
    "llm_model",
    "profiling_question",
    "export",
];

/// The filters as typed: ids and actions as text, days as `YYYY-MM-DD`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilters {
    pub actor_id: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub from: String,
    pub to: String,
}

impl AuditFilters {
    /// The URL query of this screen (days, as typed).
    fn page_query(&self) -> String {
        query_string(&[
            ("actorId", &self.actor_id),
            ("action", &self.action),
            ("targetType", &self.target_type),
            ("targetId", &self.target_id),
            ("from", &self.from),
            ("to", &self.to),
        ])
    }

    /// `from`/`to` as the API's instants (`to` exclusive: the day after the last day).
    fn instants(&self) -> Result<(Option<String>, Option<String>), PortalError> {
        let bad = || PortalError::local("A day filter is not a date (YYYY-MM-DD).");
        let from = match given(&self.from) {
            Some(day) => Some(dates::day_start(&day).ok_or_else(bad)?),
            None => None,
        };
        let to = match given(&self.to) {
            Some(day) => Some(dates::day_end(&day).ok_or_else(bad)?),
            None => None,
        };
        Ok((from, to))
    }

    /// The CSV export's query: the same filters, named as the GraphQL arguments.
    fn export_query(&self) -> Result<String, PortalError> {
        let (from, to) = self.instants()?;
        Ok(query_string(&[
            ("actorId", &self.actor_id),
            ("action", &self.action),
            ("targetType", &self.target_type),
            ("targetId", &self.target_id),
            ("from", from.as_deref().unwrap_or_default()),
            ("to", to.as_deref().unwrap_or_default()),
        ]))
    }
}

pub async fn load_entries(
    filters: AuditFilters,
    first: i64,
    after: Option<String>,
) -> Result<AuditPage, PortalError> {
    let (from, to) = filters.instants()?;
    let data = run::<AuditLog>(audit_log::Variables {
        actor_id: given(&filters.actor_id),
        action: given(&filters.action),
        target_type: given(&filters.target_type),
        target_id: given(&filters.target_id),
        from,
        to,
        first: Some(first),
        after,
    })
    .await?;
    Ok(data.admin_audit_log)
}

/// What an action touched, linked when the console has a page for it.
#[component]
pub fn AuditTarget(target_type: String, target_id: String) -> impl IntoView {
    let href = match target_type.as_str() {
        "user" => Some(format!("/admin/users/{target_id}")),
        "app" => Some(format!("/admin/apps/{target_id}")),
        _ => None,
    };
    let label = format!("{target_type} {}", short_id(&target_id));
    match href {
        Some(href) => view! { <a href=href title=target_id>{label}</a> }.into_any(),
        None => view! { <span title=target_id>{label}</span> }.into_any(),
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let toasts = use_toasts();
    let query = use_query_map();
    let initial = query.with_untracked(|query| {
        let get = |key: &str| query.get(key).unwrap_or_default();
        AuditFilters {
            actor_id: get("actorId"),
            action: get("action"),
            target_type: get("targetType"),
            target_id: get("targetId"),
            from: get("from"),
            to: get("to"),
        }
    });
    let applied = RwSignal::new(initial.clone());
    let draft = RwSignal::new(initial);
    let pagination = Pagination::new();
    let entries = LocalResource::new(move || {
        load_entries(
            applied.get(),
            i64::from(pagination.page_size.get()),
            pagination.after(),
        )
    });
    let navigate = use_navigate();
    let apply = move |filters: AuditFilters| {
        navigate(
            &format!("/audit-log{}", filters.page_query()),
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
        pagination.reset();
        applied.set(filters);
    };
    let export = Action::new_local(move |_: &()| async move {
        let url = match applied.get_untracked().export_query() {
            Ok(query) => format!("/export/audit-log.csv{query}"),
            Err(error) => return toasts.error(error.message),
        };
        match download(url, "audit-log.csv".to_owned()).await {
            Ok(()) => toasts.success("Audit log exported"),
            Err(error) => toasts.error(format!("Export failed: {}", error.message)),
        }
    });
    let apply_draft = apply.clone();

    view! {
        <PageHeader title="Audit log">
            <button
                id="export-audit-log"
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
            <form
                id="audit-filters"
                class="filters"
                on:submit=move |event| {
                    event.prevent_default();
                    apply_draft(draft.get_untracked());
                }
            >
                {filter_input(draft, "audit-actor", "Admin (user id)", "text", None, |f| &f.actor_id, |f, v| f.actor_id = v)}
                {filter_input(draft, "audit-action", "Action", "text", Some("audit-actions"), |f| &f.action, |f, v| f.action = v)}
                {filter_input(draft, "audit-target-type", "Target type", "text", Some("audit-target-types"), |f| &f.target_type, |f, v| f.target_type = v)}
                {filter_input(draft, "audit-target-id", "Target id", "text", None, |f| &f.target_id, |f, v| f.target_id = v)}
                {filter_input(draft, "audit-from", "From (UTC)", "date", None, |f| &f.from, |f, v| f.from = v)}
                {filter_input(draft, "audit-to", "To (UTC, included)", "date", None, |f| &f.to, |f, v| f.to = v)}
                <datalist id="audit-actions">
                    {ACTIONS.iter().map(|action| view! { <option value=*action></option> }).collect_view()}
                </datalist>
                <datalist id="audit-target-types">
                    {TARGET_TYPES.iter().map(|kind| view! { <option value=*kind></option> }).collect_view()}
                </datalist>
                <div class="filter-buttons">
                    <button id="audit-apply" type="submit">"Filter"</button>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            draft.set(AuditFilters::default());
                            apply(AuditFilters::default());
                        }
                    >
                        "Clear"
                    </button>
                </div>
            </form>
            {move || match entries.get() {
                        None => view! { <Loading label="Loading the audit log…" /> }.into_any(),
                        Some(Err(error)) => {
                            view! { <ErrorState error on_retry=move |_| entries.refetch() /> }.into_any()
                        }
                        Some(Ok(page)) => view! { <AuditTable page pagination /> }.into_any(),
                    }}
        </section>
    }
}

/// One labelled input bound to a field of the draft filters.
fn filter_input(
    draft: RwSignal<AuditFilters>,
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    list: Option<&'static str>,
    get: fn(&AuditFilters) -> &String,
    set: fn(&mut AuditFilters, String),
) -> impl IntoView {
    view! {
        <label for=id>
            {label}
            <input
                id=id
                type=kind
                list=list
                prop:value=move || draft.with(|draft| get(draft).clone())
                on:input=move |event| draft.update(|draft| set(draft, event_target_value(&event)))
            />
        </label>
    }
}

#[component]
fn AuditTable(page: AuditPage, pagination: Pagination) -> impl IntoView {
    let total = page.total_count;
    let shown = page.nodes.len();
    let next = page
        .page_info
        .has_next_page
        .then(|| page.page_info.end_cursor.clone())
        .flatten();
    if page.nodes.is_empty() {
        return view! {
            <EmptyState title="No admin action matches these filters." hint="Clear a filter or widen the days." />
        }
            .into_any();
    }
    view! {
        <div class="table-scroll">
            <table id="audit-table">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Admin"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col"><span class="visually-hidden">"Details"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {page.nodes.into_iter().map(|entry| view! { <AuditRow entry /> }).collect_view()}
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
fn AuditRow(entry: Entry) -> impl IntoView {
    let open = RwSignal::new(false);
    let Entry {
        id,
        actor_id,
        actor,
        action,
        target_type,
        target_id,
        before,
        after,
        reason,
        created_at,
    } = entry;
    let detail_id = format!("audit-detail-{id}");
    let actor = match (actor, actor_id) {
        (Some(actor), Some(actor_id)) => {
            view! { <a href=format!("/admin/users/{actor_id}")>{actor.fairyname}</a> }.into_any()
        }
        _ => view! { <span class="hint">"removed account"</span> }.into_any(),
    };
    let summary = format!("Entry {id} · target {target_type} {target_id}");
    let detail = {
        let detail_id = detail_id.clone();
        move || {
            view! {
                <tr class="audit-detail" id=detail_id.clone()>
                    <td colspan="6">
                        <p class="hint break">{summary.clone()}</p>
                        <AuditDiff before=before.clone() after=after.clone() />
                    </td>
                </tr>
            }
        }
    };
    let action_key = action.clone();
    view! {
        <tr data-action=action_key data-entry=id>
            <td class="nowrap">{instant(&created_at)}</td>
            <td>{actor}</td>
            <td><code>{action}</code></td>
            <td><AuditTarget target_type target_id /></td>
            <td class="reason">{reason.unwrap_or_default()}</td>
            <td>
                <button
                    type="button"
                    class="link"
                    aria-expanded=move || open.get().to_string()
                    aria-controls=detail_id
                    on:click=move |_| open.update(|open| *open = !*open)
                >
                    {move || if open.get() { "Hide" } else { "Details" }}
                </button>
            </td>
        </tr>
        <Show when=move || open.get()>{detail.clone()}</Show>
    }
}
