//! Sign-in with a one-time code: step 1 asks for the email, step 2 for the 6-digit code the server
//! mailed to it. On success the server sets the session cookie and the portal is told who signed in.

use leptos::prelude::*;

use crate::graphql::{PortalError, run_anonymous};
use crate::operations::{RequestOtp, request_otp};
use crate::session::{self, SignedInUser};

/// Returns where the server sent the code (it may mask the address).
async fn request_code_for(email: String) -> Result<String, PortalError> {
    let data = run_anonymous::<RequestOtp>(request_otp::Variables { email }).await?;
    Ok(data.request_otp.sent_to)
}

/// Ids for tests: `#email`, `#request-code`, `#code`, `#verify-code` and `#form-error`.
#[component]
pub fn SignInForm(
    /// Called once the session is established.
    #[prop(into)]
    on_signed_in: Callback<SignedInUser>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let typed_email = move || email.get_untracked().trim().to_owned();

    let request_code = Action::new_local(|email: &String| request_code_for(email.clone()));
    let verify_code = Action::new_local(move |(email, code): &(String, String)| {
        let signing_in = session::verify_code(email.clone(), code.clone());
        async move {
            let result = signing_in.await;
            if let Ok(user) = &result {
                on_signed_in.run(user.clone());
            }
            result
        }
    });

    // A successful code request moves the form to step 2; a memo so that a new error in step 1
    // does not rebuild (and unfocus) the step-1 form.
    let sent_to = Memo::new(move |_| request_code.value().get().and_then(Result::ok));
    let form_error = move || {
        let latest_error = match sent_to.get() {
            None => request_code.value().get().and_then(Result::err),
            Some(_) => verify_code.value().get().and_then(Result::err),
        };
        latest_error.map(|error| {
            view! {
                <p id="form-error" class="form-error" role="alert">
                    {error.message}
                </p>
            }
        })
    };
    let start_over = move |_| {
        verify_code.clear();
        request_code.clear();
        code.set(String::new());
    };

    view! {
        <div class="sign-in">
            {move || match sent_to.get() {
                None => {
                    view! {
                        <form
                            class="stack"
                            on:submit=move |event| {
                                event.prevent_default();
                                request_code.dispatch_local(typed_email());
                            }
                        >
                            <label for="email">"Email"</label>
                            <input
                                id="email"
                                type="email"
                                name="email"
                                autocomplete="email"
                                required
                                bind:value=email
                            />
                            <button
                                id="request-code"
                                type="submit"
                                disabled=move || request_code.pending().get()
                            >
                                {move || {
                                    if request_code.pending().get() { "Sending…" } else { "Email me a code" }
                                }}
                            </button>
                        </form>
                    }
                        .into_any()
                }
                Some(sent_to) => {
                    view! {
                        <form
                            class="stack"
                            on:submit=move |event| {
                                event.prevent_default();
                                verify_code
                                    .dispatch_local((typed_email(), code.get_untracked().trim().to_owned()));
                            }
                        >
                            <p class="hint">"We sent a 6-digit code to " <strong>{sent_to}</strong> "."</p>
                            <label for="code">"Code"</label>
                            <input
                                id="code"
                                type="text"
                                name="code"
                                inputmode="numeric"
                                autocomplete="one-time-code"
                                pattern="[0-9]{6}"
                                maxlength="6"
                                required
                                bind:value=code
                            />
                            <button
                                id="verify-code"
                                type="submit"
                                disabled=move || verify_code.pending().get()
                            >
                                {move || if verify_code.pending().get() { "Checking…" } else { "Sign in" }}
                            </button>
                            <button type="button" class="link" on:click=start_over>
                                "Use a different email"
                            </button>
                        </form>
                    }
                        .into_any()
                }
            }}
            {form_error}
        </div>
    }
}
