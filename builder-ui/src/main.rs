//! The builder portal, served by the fairydust server under `/builder/`. For now it signs a builder in;
//! publishing apps comes later.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use portal_kit::{ServerStatus, SignInForm, SignedInUser};

fn main() {
    console_error_panic_hook::set_once();
    mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <div id="app-root" class="portal">
            <Router base="/builder">
                // Every unknown path shows the home page too, so an old deep link still lands somewhere.
                <Routes fallback=HomePage>
                    <Route path=path!("/") view=HomePage />
                </Routes>
            </Router>
        </div>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    let signed_in = RwSignal::new(None::<SignedInUser>);

    view! {
        <main class="card">
            <h1>"fairydust Builder"</h1>
            {move || match signed_in.get() {
                None => {
                    view! {
                        <h2>"Sign in"</h2>
                        <SignInForm on_signed_in=move |user| signed_in.set(Some(user)) />
                    }
                        .into_any()
                }
                Some(user) => {
                    view! {
                        <p id="signed-in-as">"Signed in as " <strong>{user.fairyname}</strong></p>
                        {(!user.is_builder)
                            .then(|| {
                                view! { <p class="notice">"Become a builder to publish apps."</p> }
                            })}
                    }
                        .into_any()
                }
            }}
            <ServerStatus />
        </main>
    }
}
