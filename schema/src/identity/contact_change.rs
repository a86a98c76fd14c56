//! Changing the email or phone a user signs in with.
//!
//! An address is a way into the account, so the rules are strict:
//! - `request` answers the same for a free address and one that belongs to another account (the code is
//!   sent either way); the conflict shows only at `confirm`, once the code proved the caller controls
//!   that address — so the mutation cannot be used to find out who has an account.
//! - Codes go through the one-time-code throttles: per address (shared with sign-in codes), per user
//!   and per IP.
//! - Only a fresh sign-in may change an address: the device must have signed in (with a code or a
//!   provider) within `RECENT_SIGN_IN`. A stolen access or refresh token of an older session cannot take
//!   the account over; the app asks the user to sign in again (`requestOtp`/`verifyOtp` to the current
//!   address) and retries with the new tokens.
//! - When an address replaces another, the old address is told, and every other device is signed out.

use std::time::Duration;

use fairydust_entities::{now, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use super::IdentityError;
use super::accounts::{UNIQUE_EMAIL, UNIQUE_PHONE};
use super::contact::{Email, Phone};
use super::delivery::{EmailMessage, Identifier};
use super::otp::{self, Purpose};
use super::sessions;
use super::sign_in::{self, CodeSent};
use crate::auth::Principal;
use crate::db_errors::violates_unique;
use crate::state::{AppState, RequestMeta};

/// How recent the device's sign-in must be to change a sign-in address.
pub const RECENT_SIGN_IN: Duration = Duration::from_secs(10 * 60);

fn pending_key(user_id: Uuid) -> String {
    format!("contact-change:{user_id}")
}

#[derive(serde::Serialize, serde::Deserialize)]
enum PendingChange {
    Email(String),
    Phone(String),
}

impl From<&Identifier> for PendingChange {
    fn from(identifier: &Identifier) -> Self {
        match identifier {
            Identifier::Email(email) => PendingChange::Email(email.as_str().to_owned()),
            Identifier::Phone(phone) => PendingChange::Phone(phone.as_str().to_owned()),
        }
    }
}

async fn ensure_recent_sign_in(
    state: &AppState,
    principal: &Principal,
) -> Result<(), IdentityError> {
    let signed_in_at =
        sessions::signed_in_at(&state.db, principal.user_id, principal.session_id).await?;
    let recent = chrono::Duration::from_std(RECENT_SIGN_IN).expect("ten minutes fit");
    match signed_in_at {
        Some(at) if now() - at <= recent => Ok(()),
        _ => Err(IdentityError::RecentSignInRequired),
    }
}

/// Sends a code to the new address; the change happens only when the code comes back.
pub async fn request(
    state: &AppState,
    principal: &Principal,
    identifier: Identifier,
    meta: &RequestMeta,
) -> Result<CodeSent, IdentityError> {
    let user = users::Entity::find_by_id(principal.user_id)
        .one(&state.db)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
    if current_address(&user, &identifier).as_deref() == Some(identifier.as_str()) {
        return Err(IdentityError::InvalidInput(
            "That is already your address".into(),
        ));
    }
    ensure_recent_sign_in(state, principal).await?;
    let sent =
        sign_in::send_code(state, &Purpose::ContactChange(user.id), &identifier, meta).await?;
    let pending = serde_json::to_string(&PendingChange::from(&identifier)).expect("serialisable");
    state
        .cache
        .set(&pending_key(user.id), &pending, otp::CODE_TTL)
        .await?;
    Ok(sent)
}

/// The user's address of the same kind as `identifier`.
fn current_address(user: &users::Model, identifier: &Identifier) -> Option<String> {
    match identifier {
        Identifier::Email(_) => user.email.clone(),
        Identifier::Phone(_) => user.phone.clone(),
    }
}

pub async fn confirm(
    state: &AppState,
    principal: &Principal,
    code: &str,
) -> Result<users::Model, IdentityError> {
    let user_id = principal.user_id;
    let pending = state
        .cache
        .get(&pending_key(user_id))
        .await?
        .and_then(|raw| serde_json::from_str::<PendingChange>(&raw).ok())
        .ok_or(IdentityError::Otp(otp::OtpError::NoCode))?;
    let identifier = match &pending {
        PendingChange::Email(email) => Identifier::Email(Email::parse(email)?),
        PendingChange::Phone(phone) => Identifier::Phone(Phone::parse(phone)?),
    };
    otp::verify(
        &*state.cache,
        &state.settings.otp_key,
        &Purpose::ContactChange(user_id),
        &identifier,
        code.trim(),
    )
    .await?;
    state.cache.delete(&pending_key(user_id)).await?;
    let user = users::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
    let previous = current_address(&user, &identifier);
    let mut active = user.into_active_model();
    match &identifier {
        Identifier::Email(email) => active.email = Set(Some(email.as_str().to_owned())),
        Identifier::Phone(phone) => active.phone = Set(Some(phone.as_str().to_owned())),
    }
    active.updated_at = Set(now());
    let user = match active.update(&state.db).await {
        Ok(user) => user,
        Err(error)
            if violates_unique(&error, UNIQUE_EMAIL) || violates_unique(&error, UNIQUE_PHONE) =>
        {
            return Err(IdentityError::ContactTaken);
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(previous) = previous {
        sessions::sign_out_others(&state.db, &*state.cache, user_id, principal.session_id).await?;
        notify_previous_address(state, &previous, &identifier).await;
    }
    Ok(user)
}

/// Tells the old address that it no longer signs in. The change has committed, so a delivery failure is
/// logged rather than reported.
async fn notify_previous_address(state: &AppState, previous: &str, new: &Identifier) {
    let delivered = match new {
        Identifier::Email(_) => match Email::parse(previous) {
            Ok(old) => {
                state
                    .email
                    .send_email(&old, &change_notice_email(&new.masked()))
                    .await
            }
            Err(_) => return,
        },
        Identifier::Phone(_) => match Phone::parse(previous) {
            Ok(old) => {
                let text = format!(
                    "Your fairydust sign-in phone number was changed to {}. If this was not you, contact support.",
                    new.masked()
                );
                state.sms.send_sms(&old, &text).await
            }
            Err(_) => return,
        },
    };
    if let Err(error) = delivered {
        tracing::warn!(%error, "could not tell the previous address about a contact change");
    }
}

fn change_notice_email(new_masked: &str) -> EmailMessage {
    let text = format!(
        "The email address you sign in to fairydust with was changed to {new_masked}. \
         This address no longer signs in, and your other devices were signed out.\n\n\
         If this was not you, contact support right away."
    );
    EmailMessage {
        subject: "Your fairydust sign-in email was changed".to_owned(),
        // The masked address comes from user input: escape it for the HTML part.
        html: format!(
            "<p>{}</p>",
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        ),
        text,
    }
}
