//! The signed-in session, held in memory only. The access token lives in a signal and dies with the
//! page; the refresh token is an `HttpOnly` cookie the server sets, which script can neither read nor
//! send anywhere but `/graphql`. A reload or a new tab restores the session by asking the server for
//! a new access token with that cookie (`refreshPortalSession`).

use std::cell::RefCell;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;

use crate::graphql::{PortalError, run_anonymous};
use crate::operations::{
    RefreshPortalSession, SignOutPortal, VerifyOtpForPortal, refresh_portal_session,
    sign_out_portal, verify_otp_for_portal,
};

/// Who is signed in; the portal decides what their roles allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedInUser {
    pub id: String,
    pub fairyname: String,
    pub is_admin: bool,
    pub is_builder: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// At start-up, while the cookie is tried.
    Restoring,
    SignedOut,
    SignedIn(SignedInUser),
}

/// Refresh this long before the access token expires, so a slow network never sends a dead one.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

thread_local! {
    // Arc signals: not owned by any component, so they live as long as the page.
    static STATE: ArcRwSignal<SessionState> = ArcRwSignal::new(SessionState::Restoring);
    static ACCESS_TOKEN: ArcRwSignal<Option<String>> = ArcRwSignal::new(None);
    static TIMER: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
    /// The refresh in flight: concurrent callers share it, because the server rotates the cookie
    /// and treats a second use of the old one as theft.
    static REFRESHING: RefCell<Option<Shared<LocalBoxFuture<'static, bool>>>> =
        const { RefCell::new(None) };
}

/// The session as a signal: components re-render when someone signs in or out.
pub fn session_state() -> ArcRwSignal<SessionState> {
    STATE.with(Clone::clone)
}

pub(crate) fn access_token() -> Option<String> {
    ACCESS_TOKEN.with(|token| token.get_untracked())
}

fn establish(access_token: String, expires_in: i64, user: SignedInUser) {
    ACCESS_TOKEN.with(|token| token.set(Some(access_token)));
    STATE.with(|state| state.set(SessionState::SignedIn(user)));
    let lifetime = Duration::from_secs(expires_in.max(0) as u64);
    let delay = lifetime
        .saturating_sub(REFRESH_MARGIN)
        .max(Duration::from_secs(5));
    let handle = set_timeout_with_handle(
        || {
            leptos::task::spawn_local(async {
                refresh().await;
            })
        },
        delay,
    )
    .ok();
    TIMER.with(|timer| {
        if let Some(previous) = timer.replace(handle) {
            previous.clear();
        }
    });
}

fn forget() {
    ACCESS_TOKEN.with(|token| token.set(None));
    STATE.with(|state| state.set(SessionState::SignedOut));
    TIMER.with(|timer| {
        if let Some(previous) = timer.take() {
            previous.clear();
        }
    });
}

/// Changes the signed-in user in place, e.g. after `becomeBuilder` granted a role: the portal
/// re-renders with it at once, without a new sign-in (the server re-reads roles on every request).
pub fn update_signed_in_user(change: impl FnOnce(&mut SignedInUser)) {
    STATE.with(|state| {
        state.update(|state| {
            if let SessionState::SignedIn(user) = state {
                change(user);
            }
        })
    });
}

/// Signs in with an emailed code; the server sets the refresh cookie.
pub(crate) async fn verify_code(email: String, code: String) -> Result<SignedInUser, PortalError> {
    let data =
        run_anonymous::<VerifyOtpForPortal>(verify_otp_for_portal::Variables { email, code })
            .await?;
    let session = data.verify_otp_for_portal;
    let user = SignedInUser {
        id: session.user.id,
        fairyname: session.user.fairyname,
        is_admin: session.user.is_admin,
        is_builder: session.user.is_builder,
    };
    establish(session.access_token, session.expires_in, user.clone());
    Ok(user)
}

/// A new access token from the cookie. Returns whether the session is alive; when not, the portal
/// shows the sign-in form.
pub async fn refresh() -> bool {
    let shared = REFRESHING.with(|slot| {
        slot.borrow_mut()
            .get_or_insert_with(|| refresh_once().boxed_local().shared())
            .clone()
    });
    let alive = shared.await;
    REFRESHING.with(|slot| slot.borrow_mut().take());
    alive
}

async fn refresh_once() -> bool {
    match run_anonymous::<RefreshPortalSession>(refresh_portal_session::Variables {}).await {
        Ok(data) => {
            let session = data.refresh_portal_session;
            let user = SignedInUser {
                id: session.user.id,
                fairyname: session.user.fairyname,
                is_admin: session.user.is_admin,
                is_builder: session.user.is_builder,
            };
            establish(session.access_token, session.expires_in, user);
            true
        }
        Err(_) => {
            forget();
            false
        }
    }
}

/// Ends the session on the server (which clears the cookie) and forgets it here, even when the
/// server cannot be reached: the page must not look signed in after the button was pressed.
pub async fn sign_out() -> Result<(), PortalError> {
    let result = run_anonymous::<SignOutPortal>(sign_out_portal::Variables {}).await;
    forget();
    result.map(|_| ())
}
