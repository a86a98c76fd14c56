//! The admin portal, served by the fairydust server under `/admin/`: the console an operator runs
//! the platform from (dashboard, users, apps, LLM prices and analytics, profiling questions, the
//! ledger and the audit log). One module per screen.

mod app_actions;
mod app_decisions;
mod app_detail;
mod app_model_config;
mod apps;
mod audit_diff;
mod audit_log;
mod dashboard;
mod display;
mod ledger;
mod ledger_audit;
mod ledger_transactions;
mod llm;
mod not_found;
mod ops;
mod question_form;
mod questions;
mod user_action_form;
mod user_actions;
mod user_detail;
mod user_transactions;
mod users;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use portal_kit::{NavItem, SessionGate, Shell};

use crate::not_found::NotFound;

const BASE: &str = "/admin";
const HEADING: &str = "fairydust Admin";

const NAV: &[NavItem] = &[
    NavItem {
        href: "/",
        label: "Dashboard",
    },
    NavItem {
        href: "/users",
        label: "Users",
    },
    NavItem {
        href: "/apps",
        label: "Apps",
    },
    NavItem {
        href: "/llm",
        label: "LLM",
    },
    NavItem {
        href: "/questions",
        label: "Questions",
    },
    NavItem {
        href: "/ledger",
        label: "Ledger",
    },
    NavItem {
        href: "/audit-log",
        label: "Audit log",
    },
];

fn main() {
    portal_kit::start(|| view! { <AdminPortal /> });
}

#[component]
fn AdminPortal() -> impl IntoView {
    view! {
        <div id="app-root" class="portal">
            <Router base=BASE>
                <SessionGate
                    heading=HEADING
                    allowed=|user| user.is_admin
                    refusal="This account is not an admin. The admin console is only for fairydust operators."
                >
                    <Shell heading=HEADING base=BASE nav=NAV>
                        <Routes fallback=|| {
                            view! { <NotFound /> }
                        }>
                            <Route path=path!("/") view=dashboard::DashboardPage />
                            <Route path=path!("/users") view=users::UsersPage />
                            <Route path=path!("/users/:id") view=user_detail::UserDetailPage />
                            <Route path=path!("/apps") view=apps::AppsPage />
                            <Route path=path!("/apps/:id") view=app_detail::AppDetailPage />
                            <Route path=path!("/audit-log") view=audit_log::AuditLogPage />
                            <Route path=path!("/llm") view=llm::LlmPage />
                            <Route path=path!("/questions") view=questions::QuestionsPage />
                            <Route path=path!("/questions/new") view=question_form::NewQuestionPage />
                            <Route path=path!("/questions/:id") view=question_form::EditQuestionPage />
                            <Route path=path!("/ledger") view=ledger::LedgerPage />
                        </Routes>
                    </Shell>
                </SessionGate>
            </Router>
        </div>
    }
}
