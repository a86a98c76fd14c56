//! The page every portal shows today: its heading, the sign-in form, then who is signed in and a
//! notice when the account lacks the portal's role; the server status below.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::{ServerStatus, SignInForm, SignedInUser};

/// What tells one portal from another.
#[derive(Clone, Copy)]
pub struct PortalSpec {
    /// Where the server serves it, e.g. `/admin`.
    pub base: &'static str,
    pub heading: &'static str,
    /// A notice for a signed-in account that lacks this portal's role.
    pub role_notice: fn(&SignedInUser) -> Option<&'static str>,
}

/// Starts the portal in the page's body.
pub fn mount(spec: PortalSpec) {
    console_error_panic_hook::set_once();
    mount_to_body(move || view! { <Portal spec /> });
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
    let signed_in = RwSignal::new(None::<SignedInUser>);

    view! {
        <main class="card">
            <h1>{spec.heading}</h1>
            {move || match signed_in.get() {
                None => {
                    view! {
                        <h2>"Sign in"</h2>
                        <SignInForm on_signed_in=move |user| signed_in.set(Some(user)) />
                    }
                        .into_any()
                }
                Some(user) => {
                    let notice = (spec.role_notice)(&user);
                    view! {
                        <p id="signed-in-as">"Signed in as " <strong>{user.fairyname}</strong></p>
                        {notice.map(|notice| view! { <p class="notice">{notice}</p> })}
                    }
                        .into_any()
                }
            }}
            <ServerStatus />
        </main>
    }
}
