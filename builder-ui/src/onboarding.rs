//! For a signed-in user who is not a builder yet: what being a builder means, and the button that
//! makes them one. The console opens at once: the session's user is updated in place.

use leptos::prelude::*;
use portal_kit::{
    PortalError, SessionState, SignOutButton, run, session_state, update_signed_in_user,
};

use crate::ops::{BecomeBuilder, become_builder};

async fn become_one() -> Result<(), PortalError> {
    let data = run::<BecomeBuilder>(become_builder::Variables {}).await?;
    let is_builder = data.become_builder.is_builder;
    update_signed_in_user(|user| user.is_builder = is_builder);
    Ok(())
}

#[component]
pub fn Onboarding() -> impl IntoView {
    let state = session_state();
    let fairyname = move || match state.get() {
        SessionState::SignedIn(user) => user.fairyname,
        _ => String::new(),
    };
    let becoming = Action::new_local(|_: &()| become_one());
    let error = move || becoming.value().get().and_then(Result::err);
    view! {
        <main class="card onboarding" id="onboarding">
            <h1>"fairydust Builder"</h1>
            <p id="signed-in-as">"Signed in as " <strong>{fairyname}</strong></p>
            <h2>"Ship your app on fairydust"</h2>
            <p>"As a builder you publish apps that fairydust users pay for with DUST, the platform's currency."</p>
            <ul class="benefits">
                <li>
                    <strong>"Your apps on the marketplace. "</strong>
                    "Name, describe and list an app; it gets an App ID and a slug to call the API with."
                </li>
                <li>
                    <strong>"Your prices. "</strong>
                    "Each action of your app has a price in DUST that users pay when they use it."
                </li>
                <li>
                    <strong>"Models without keys. "</strong>
                    "Pick a model and fallbacks from the price table; fairydust calls them, within the cost limits you set."
                </li>
                <li>
                    <strong>"Your numbers. "</strong>
                    "Requests, tokens, model cost and DUST earned per day, and every DUST transaction in your apps."
                </li>
            </ul>
            <p class="hint">
                "Users appear to you by their fairyname only: never an email or a phone number. "
                "Admins review apps and may suspend one that breaks the rules; their notes show up here."
            </p>
            {move || {
                error()
                    .map(|error| {
                        view! { <p id="onboarding-error" class="form-error" role="alert">{error.message}</p> }
                    })
            }}
            <div class="actions">
                <SignOutButton />
                <button
                    id="become-builder"
                    type="button"
                    disabled=move || becoming.pending().get()
                    on:click=move |_| {
                        becoming.dispatch_local(());
                    }
                >
                    {move || if becoming.pending().get() { "Setting up…" } else { "Become a builder" }}
                </button>
            </div>
        </main>
    }
}
