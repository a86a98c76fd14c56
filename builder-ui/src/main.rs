//! The builder portal, served by the fairydust server under `/builder/`: where a builder ships an app
//! from. A signed-in user who is not a builder yet sees the onboarding; a builder gets the console:
//! their apps, the app editor, each app's prices, model, usage and transactions, and a quick start.
//! One module per screen.

mod actions;
mod app_detail;
mod app_form;
mod clipboard;
mod format;
mod model_config;
mod my_apps;
mod onboarding;
mod ops;
mod quick_start;
mod slug;
mod transactions;
mod usage;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use portal_kit::{EmptyState, NavItem, SessionGate, SessionState, Shell, session_state};

const BASE: &str = "/builder";
const HEADING: &str = "fairydust Builder";

const NAV: &[NavItem] = &[
    NavItem {
        href: "/",
        label: "My apps",
    },
    NavItem {
        href: "/apps/new",
        label: "New app",
    },
];

fn main() {
    portal_kit::start(|| view! { <BuilderPortal /> });
}

#[component]
fn BuilderPortal() -> impl IntoView {
    view! {
        <div id="app-root" class="portal">
            <Router base=BASE>
                // Every signed-in account gets in: a non-builder sees the onboarding instead of a refusal.
                <SessionGate heading=HEADING allowed=|_| true refusal="">
                    <BuilderGate />
                </SessionGate>
            </Router>
        </div>
    }
}

/// The console for builders, the onboarding for everyone else; switches the moment
/// `becomeBuilder` succeeds (the session's user is updated in place).
#[component]
fn BuilderGate() -> impl IntoView {
    let state = session_state();
    let is_builder =
        Memo::new(move |_| matches!(state.get(), SessionState::SignedIn(user) if user.is_builder));
    move || {
        if is_builder.get() {
            view! { <Console /> }.into_any()
        } else {
            view! { <onboarding::Onboarding /> }.into_any()
        }
    }
}

#[component]
fn Console() -> impl IntoView {
    view! {
        <Shell heading=HEADING base=BASE nav=NAV>
            <Routes fallback=|| {
                view! { <EmptyState title="There is no such page." hint="Pick a screen from the menu." /> }
            }>
                <Route path=path!("/") view=my_apps::MyAppsPage />
                <Route path=path!("/apps/new") view=app_form::NewAppPage />
                <Route path=path!("/apps/:id") view=app_detail::AppDetailPage />
                <Route path=path!("/apps/:id/edit") view=app_form::EditAppPage />
                <Route path=path!("/apps/:id/quick-start") view=quick_start::QuickStartPage />
            </Routes>
        </Shell>
    }
}
