//! Signing in: by one-time code (email or SMS) or by an OAuth provider, and linking providers.

use chrono::{DateTime, Utc};
use fairydust_entities::{auth_identities, now, users};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use super::IdentityError;
use super::accounts::{self, NewAccount};
use super::contact::Email;
use super::delivery::{Identifier, code_email, code_sms};
use super::oauth::{OAuthCredential, OAuthError, OAuthProvider, VerifiedIdentity};
use super::otp::{self, Purpose};
use super::sessions::{self, IssuedTokens};
use crate::db_errors::{UniqueKey, violates_unique};
use crate::ledger::WELCOME_BONUS;
use crate::state::{AppState, RequestMeta};

const UNIQUE_IDENTITY: UniqueKey = UniqueKey::new(
    "uq_auth_identities_provider_user",
    "auth_identities.provider, auth_identities.provider_user_id",
);

pub struct CodeSent {
    pub sent_to: String,
    pub expires_at: DateTime<Utc>,
    pub resend_after: DateTime<Utc>,
}

pub struct SignedIn {
    pub tokens: IssuedTokens,
    pub user: users::Model,
    pub is_new_user: bool,
    pub dust_granted: i32,
}

/// Issues a code for `purpose` and sends it to `identifier`. If sending fails, the code is discarded,
/// so nothing is left half-done.
pub async fn send_code(
    state: &AppState,
    purpose: &Purpose,
    identifier: &Identifier,
    meta: &RequestMeta,
) -> Result<CodeSent, IdentityError> {
    let issued = otp::issue(
        &*state.cache,
        &state.settings.otp_key,
        purpose,
        identifier,
        meta.ip,
    )
    .await?;
    let what = match purpose {
        Purpose::SignIn => "signs you in to fairydust",
        Purpose::ContactChange(_) => "confirms this address for your fairydust account",
    };
    let delivered = match identifier {
        Identifier::Email(email) => {
            state
                .email
                .send_email(email, &code_email(&issued.code, what))
                .await
        }
        Identifier::Phone(phone) => state.sms.send_sms(phone, &code_sms(&issued.code)).await,
    };
    if let Err(error) = delivered {
        tracing::warn!(%error, to = %identifier.masked(), "could not deliver a one-time code");
        otp::discard(&*state.cache, purpose, identifier).await?;
        return Err(error.into());
    }
    Ok(CodeSent {
        sent_to: identifier.masked(),
        expires_at: issued.expires_at,
        resend_after: issued.resend_after,
    })
}

pub async fn sign_in_with_code(
    state: &AppState,
    identifier: &Identifier,
    code: &str,
    meta: &RequestMeta,
) -> Result<SignedIn, IdentityError> {
    otp::verify(
        &*state.cache,
        &state.settings.otp_key,
        &Purpose::SignIn,
        identifier,
        code.trim(),
    )
    .await?;
    let (user, is_new_user) = accounts::find_or_create(&state.db, identifier).await?;
    let tokens =
        sessions::start(&state.db, state.auth.keys(), &state.settings, &user, meta).await?;
    Ok(SignedIn {
        tokens,
        user,
        is_new_user,
        dust_granted: if is_new_user { WELCOME_BONUS } else { 0 },
    })
}

async fn find_linked_user(
    db: &DatabaseConnection,
    identity: &VerifiedIdentity,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    let link = auth_identities::Entity::find()
        .filter(auth_identities::Column::Provider.eq(identity.provider.as_str()))
        .filter(auth_identities::Column::ProviderUserId.eq(identity.subject.as_str()))
        .one(db)
        .await?;
    match link {
        Some(link) => users::Entity::find_by_id(link.user_id).one(db).await,
        None => Ok(None),
    }
}

fn identity_row(user_id: Uuid, identity: &VerifiedIdentity) -> auth_identities::Model {
    let at = now();
    auth_identities::Model {
        id: Uuid::now_v7(),
        user_id,
        provider: identity.provider.as_str().to_owned(),
        provider_user_id: identity.subject.clone(),
        email: identity.email.as_ref().map(|e| e.trim().to_lowercase()),
        email_verified: identity.email_verified,
        created_at: at,
        updated_at: at,
    }
}

/// The identity's email when the provider vouches for it. Only Google and Apple do (`email_verified`);
/// Facebook has no such flag, so its emails never count, whatever the verifier says.
fn verified_email(identity: &VerifiedIdentity) -> Option<Email> {
    identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified && identity.provider != OAuthProvider::Facebook)
        .and_then(|email| Email::parse(email).ok())
}

/// Signs in with a provider: the account linked to this provider identity; else the account with the
/// same *verified* email (which gets linked); else a new account keyed on the identity.
///
/// A Facebook sign-in whose (unverified) email belongs to an existing account is refused with
/// `ProviderLinkRequired` rather than linked, or split off into a second account the user did not mean
/// to create: the owner signs in their usual way and links Facebook with `linkOAuth`.
pub async fn sign_in_with_oauth(
    state: &AppState,
    provider: OAuthProvider,
    credential: OAuthCredential,
    nonce: Option<&str>,
    meta: &RequestMeta,
) -> Result<SignedIn, IdentityError> {
    ensure_nonce(state, provider, &credential, nonce)?;
    if provider == OAuthProvider::Facebook
        && let Some(ip) = meta.ip
    {
        otp::throttle_ip(&*state.cache, "facebook", ip).await?;
    }
    let identity = state.oauth.verify(provider, credential, nonce).await?;
    let (user, is_new_user) = oauth_account(&state.db, &identity).await?;
    let tokens =
        sessions::start(&state.db, state.auth.keys(), &state.settings, &user, meta).await?;
    Ok(SignedIn {
        tokens,
        user,
        is_new_user,
        dust_granted: if is_new_user { WELCOME_BONUS } else { 0 },
    })
}

/// An ID token without a nonce could have been issued to any sign-in of our app (or leaked from one),
/// so it proves nothing about this request. Authorization codes are bound by PKCE instead.
fn ensure_nonce(
    state: &AppState,
    provider: OAuthProvider,
    credential: &OAuthCredential,
    nonce: Option<&str>,
) -> Result<(), IdentityError> {
    let missing = nonce.is_none_or(|nonce| nonce.trim().is_empty());
    if state.settings.oauth_require_nonce
        && missing
        && matches!(credential, OAuthCredential::IdToken(_))
    {
        return Err(OAuthError::Rejected {
            provider: provider.as_str(),
            reason: "an ID token needs the nonce the app sent to the provider (nonce)".to_owned(),
        }
        .into());
    }
    Ok(())
}

async fn oauth_account(
    db: &DatabaseConnection,
    identity: &VerifiedIdentity,
) -> Result<(users::Model, bool), IdentityError> {
    // Two passes at most: a concurrent first sign-in with the same identity may win the race.
    for _ in 0..2 {
        if let Some(user) = find_linked_user(db, identity).await? {
            return Ok((user, false));
        }
        let email = verified_email(identity);
        if email.is_none() && identity.provider == OAuthProvider::Facebook {
            ensure_no_account_claims_email(db, identity).await?;
        }
        if let Some(email) = &email
            && let Some(user) =
                accounts::find_by_identifier(db, &Identifier::Email(email.clone())).await?
        {
            match auth_identities::Entity::insert(
                identity_row(user.id, identity).into_active_model(),
            )
            .exec_without_returning(db)
            .await
            {
                Ok(_) => return Ok((user, false)),
                Err(error) if violates_unique(&error, UNIQUE_IDENTITY) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        let txn = db.begin().await?;
        let account = NewAccount {
            email,
            ..NewAccount::default()
        };
        let user = match accounts::create_account_in(&txn, &account).await {
            Ok(user) => user,
            Err(IdentityError::ContactTaken) => continue,
            Err(error) => return Err(error),
        };
        match auth_identities::Entity::insert(identity_row(user.id, identity).into_active_model())
            .exec_without_returning(&txn)
            .await
        {
            Ok(_) => {
                txn.commit().await?;
                return Ok((user, true));
            }
            Err(error) if violates_unique(&error, UNIQUE_IDENTITY) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    find_linked_user(db, identity)
        .await?
        .map(|user| (user, false))
        .ok_or(IdentityError::UserNotFound)
}

async fn ensure_no_account_claims_email(
    db: &DatabaseConnection,
    identity: &VerifiedIdentity,
) -> Result<(), IdentityError> {
    let Some(email) = identity.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        return Ok(());
    };
    match accounts::find_by_identifier(db, &Identifier::Email(email)).await? {
        Some(_) => Err(IdentityError::ProviderLinkRequired(
            identity.provider.as_str(),
        )),
        None => Ok(()),
    }
}

/// Adds a provider to the signed-in user's account.
pub async fn link(
    state: &AppState,
    user_id: Uuid,
    provider: OAuthProvider,
    credential: OAuthCredential,
    nonce: Option<&str>,
) -> Result<(), IdentityError> {
    ensure_nonce(state, provider, &credential, nonce)?;
    let identity = state.oauth.verify(provider, credential, nonce).await?;
    if let Some(owner) = find_linked_user(&state.db, &identity).await? {
        return if owner.id == user_id {
            Ok(())
        } else {
            Err(IdentityError::IdentityLinkedElsewhere(provider.as_str()))
        };
    }
    match auth_identities::Entity::insert(identity_row(user_id, &identity).into_active_model())
        .exec_without_returning(&state.db)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) if violates_unique(&error, UNIQUE_IDENTITY) => {
            Err(IdentityError::IdentityLinkedElsewhere(provider.as_str()))
        }
        Err(error) => Err(error.into()),
    }
}

/// Removes a provider, unless it is the account's last way in.
pub async fn unlink(
    db: &DatabaseConnection,
    user_id: Uuid,
    provider: OAuthProvider,
) -> Result<(), IdentityError> {
    let txn = db.begin().await?;
    let user = users::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(IdentityError::UserNotFound)?;
    let identities = auth_identities::Entity::find()
        .filter(auth_identities::Column::UserId.eq(user_id))
        .count(&txn)
        .await?;
    let linked = auth_identities::Entity::find()
        .filter(auth_identities::Column::UserId.eq(user_id))
        .filter(auth_identities::Column::Provider.eq(provider.as_str()))
        .count(&txn)
        .await?;
    if linked == 0 {
        return Err(IdentityError::NotFound("Linked provider"));
    }
    let other_ways_in =
        u64::from(user.email.is_some()) + u64::from(user.phone.is_some()) + (identities - linked);
    if other_ways_in == 0 {
        return Err(IdentityError::LastWayIn);
    }
    auth_identities::Entity::delete_many()
        .filter(auth_identities::Column::UserId.eq(user_id))
        .filter(auth_identities::Column::Provider.eq(provider.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn linked_providers(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<Vec<OAuthProvider>, IdentityError> {
    Ok(auth_identities::Entity::find()
        .filter(auth_identities::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| OAuthProvider::parse(&row.provider))
        .collect())
}
