//! The admin portal, served by the fairydust server under `/admin/`: an operator's console for the
//! price table and LLM analytics, the profiling questions and the ledger audit. Screens whose admin
//! API is still missing say so.

mod dates;
mod ledger;
mod llm;
mod ops;
mod placeholder;
mod question_form;
mod questions;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use portal_kit::{NavItem, SessionGate, Shell};

use crate::placeholder::Placeholder;

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
                            view! { <Placeholder title="Page not found" needs="a page at this address" /> }
                        }>
                            <Route
                                path=path!("/")
                                view=|| view! { <Placeholder title="Dashboard" needs="platformStats (platform totals per day)" /> }
                            />
                            <Route
                                path=path!("/users")
                                view=|| view! { <Placeholder title="Users" needs="the admin users list (search, roles, status)" /> }
                            />
                            <Route
                                path=path!("/apps")
                                view=|| view! { <Placeholder title="Apps" needs="the admin apps list by status" /> }
                            />
                            <Route
                                path=path!("/audit-log")
                                view=|| view! { <Placeholder title="Audit log" needs="adminAuditLog" /> }
                            />
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
