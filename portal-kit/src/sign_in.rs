//! Sign-in with a one-time code: step 1 asks for the email, step 2 for the 6-digit code the server
//! mailed to it. On success the tokens are stored and the portal is told who signed in.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::{PortalError, graphql, session};

const REQUEST_OTP: &str = "mutation RequestOtp($email: String!) { \
     requestOtp(input: {email: $email}) { sentTo expiresAt resendAfter } }";

const VERIFY_OTP: &str = "mutation VerifyOtp($email: String!, $code: String!) { \
     verifyOtp(input: {email: $email, code: $code}) { \
     accessToken refreshToken expiresIn user { id fairyname isAdmin isBuilder } } }";

/// Who just signed in; the portal decides what their roles allow.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedInUser {
    pub id: String,
    pub fairyname: String,
    pub is_admin: bool,
    pub is_builder: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestOtpData {
    request_otp: OtpSent,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtpSent {
    sent_to: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyOtpData {
    verify_otp: SignIn,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignIn {
    access_token: String,
    refresh_token: String,
    user: SignedInUser,
}

/// Returns where the server sent the code (it may mask the address).
async fn request_otp(email: String) -> Result<String, PortalError> {
    let data: RequestOtpData = graphql(REQUEST_OTP, json!({ "email": email })).await?;
    Ok(data.request_otp.sent_to)
}

async fn verify_otp(email: String, code: String) -> Result<SignedInUser, PortalError> {
    let data: VerifyOtpData = graphql(VERIFY_OTP, json!({ "email": email, "code": code })).await?;
    let sign_in = data.verify_otp;
    session::store_tokens(&sign_in.access_token, &sign_in.refresh_token)?;
    Ok(sign_in.user)
}

/// Ids for tests: `#email`, `#request-code`, `#code`, `#verify-code` and `#form-error`.
#[component]
pub fn SignInForm(
    /// Called once the tokens are stored.
    #[prop(into)]
    on_signed_in: Callback<SignedInUser>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let typed_email = move || email.get_untracked().trim().to_owned();

    let request_code = Action::new_local(|email: &String| request_otp(email.clone()));
    let verify_code = Action::new_local(move |(email, code): &(String, String)| {
        let signing_in = verify_otp(email.clone(), code.clone());
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
