//! A portal's start-up, and the one-page portal the builder console still is: heading, sign-in,
//! then who is signed in and a notice when the account lacks the portal's role.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::session::SignedInUser;
use crate::shell::{SessionGate, SignOutButton};
use crate::{ServerStatus, SessionState, session_state};

/// What tells one single-page portal from another.
#[derive(Clone, Copy)]
pub struct PortalSpec {
    /// Where the server serves it, e.g. `/builder`.
    pub base: &'static str,
    pub heading: &'static str,
    /// A notice for a signed-in account that lacks this portal's role.
    pub role_notice: fn(&SignedInUser) -> Option<&'static str>,
}

/// Mounts `app` in the page's body, with panics reported to the browser console.
pub fn start<F, V>(app: F)
where
    F: FnOnce() -> V + 'static,
    V: IntoView + 'static,
{
    console_error_panic_hook::set_once();
    mount_to_body(app);
}

/// Starts a single-page portal.
pub fn mount(spec: PortalSpec) {
    start(move || view! { <Portal spec /> });
}

#[component]
fn Portal(spec: PortalSpec) -> impl IntoView {
    let home = move || view! { <HomePage spec /> };
    view! {
        <div id="app-root" class="portal">
            <Router base=spec.base>
                // Every unknown path shows the home page too, so an old deep link still lands somewhere.
                <Routes fallback=home>
                    <Route path=path!("/") view=home />
                </Routes>
            </Router>
        </div>
    }
}

#[component]
fn HomePage(spec: PortalSpec) -> impl IntoView {
    view! {
        <SessionGate heading=spec.heading allowed=|_| true refusal="">
            <SignedInCard spec />
        </SessionGate>
    }
}

#[component]
fn SignedInCard(spec: PortalSpec) -> impl IntoView {
    let state = session_state();
    move || {
        let SessionState::SignedIn(user) = state.get() else {
            return None;
        };
        let notice = (spec.role_notice)(&user);
        Some(view! {
            <main class="card">
                <h1>{spec.heading}</h1>
                <p id="signed-in-as">"Signed in as " <strong>{user.fairyname}</strong></p>
                {notice.map(|notice| view! { <p class="notice">{notice}</p> })}
                <SignOutButton />
                <ServerStatus />
            </main>
        })
    }
}
