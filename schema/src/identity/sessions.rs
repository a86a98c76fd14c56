//! Sessions: an access token (JWT, 1 h) plus an opaque refresh token (256 bits, 30 days) that rotates on
//! every use. A signed-in device is a *family* of refresh tokens; presenting a rotated token again means
//! it was stolen, so the whole family is revoked.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use fairydust_entities::{auth_sessions, now, users};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::IdentityError;
use crate::auth::viewer::cache_keys;
use crate::auth::{Principal, Roles, TokenKeys};
use crate::cache::Cache;
use crate::settings::Settings;
use crate::state::RequestMeta;

/// Tokens handed to a client.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub family_id: Uuid,
}

/// Refresh tokens are stored only as this hash, so a database leak does not leak sessions.
pub(crate) fn hash_refresh_token(refresh_token: &str) -> String {
    hex::encode(Sha256::digest(refresh_token.as_bytes()))
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).expect("token lifetimes fit")
}

pub fn roles_of(user: &users::Model) -> Roles {
    Roles {
        admin: user.is_admin,
        builder: user.is_builder,
    }
}

async fn insert_refresh_row<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    family_id: Uuid,
    settings: &Settings,
    meta: &RequestMeta,
) -> Result<String, sea_orm::DbErr> {
    let token = new_refresh_token();
    let at = now();
    let row = auth_sessions::Model {
        id: Uuid::now_v7(),
        user_id,
        refresh_token_hash: hash_refresh_token(&token),
        family_id,
        expires_at: at + chrono(settings.refresh_token_ttl),
        rotated_at: None,
        revoked_at: None,
        last_used_at: at,
        user_agent: meta.user_agent.clone(),
        ip: meta.ip.map(|ip| ip.to_string()),
        created_at: at,
        updated_at: at,
    };
    auth_sessions::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(token)
}

fn access_token(
    keys: &TokenKeys,
    settings: &Settings,
    user: &users::Model,
    family_id: Uuid,
) -> (String, i64) {
    let lifetime = chrono(settings.access_token_ttl);
    let (token, _) = keys.issue_access(
        user.id,
        family_id,
        roles_of(user).names(),
        Utc::now(),
        lifetime,
    );
    (token, lifetime.num_seconds())
}

/// Starts a new session (device) for a user who just proved who they are.
pub async fn start(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    settings: &Settings,
    user: &users::Model,
    meta: &RequestMeta,
) -> Result<IssuedTokens, IdentityError> {
    if !user.is_active || user.is_system {
        return Err(IdentityError::AccountDisabled);
    }
    let family_id = Uuid::now_v7();
    let refresh_token = insert_refresh_row(db, user.id, family_id, settings, meta).await?;
    let (access_token, expires_in) = access_token(keys, settings, user, family_id);
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        expires_in,
        family_id,
    })
}

/// Whether a token rotated at `rotated_at` may still be presented once more (see
/// `Settings::refresh_reuse_grace`): the other tab gets a sibling token in the same session.
fn within_grace(rotated_at: DateTime<Utc>, settings: &Settings) -> bool {
    let grace = chrono::Duration::from_std(settings.refresh_reuse_grace).unwrap_or_default();
    !grace.is_zero() && now() - rotated_at <= grace
}

/// Exchanges a refresh token for new tokens, rotating it. A token rotated within the reuse grace
/// gets a sibling in the same session; past it, presenting a rotated token revokes the session.
pub async fn refresh(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    keys: &TokenKeys,
    settings: &Settings,
    refresh_token: &str,
    meta: &RequestMeta,
) -> Result<(IssuedTokens, users::Model), IdentityError> {
    let presented = auth_sessions::Entity::find()
        .filter(auth_sessions::Column::RefreshTokenHash.eq(hash_refresh_token(refresh_token)))
        .one(db)
        .await?
        .ok_or(IdentityError::InvalidRefreshToken)?;
    if presented.revoked_at.is_some() || presented.expires_at <= now() {
        return Err(IdentityError::InvalidRefreshToken);
    }
    if let Some(rotated_at) = presented.rotated_at
        && !within_grace(rotated_at, settings)
    {
        revoke_family(db, cache, presented.user_id, presented.family_id).await?;
        tracing::warn!(user_id = %presented.user_id, family = %presented.family_id, "refresh token reused; session revoked");
        return Err(IdentityError::RefreshTokenReused);
    }
    let user = users::Entity::find_by_id(presented.user_id)
        .one(db)
        .await?
        .ok_or(IdentityError::InvalidRefreshToken)?;
    if !user.is_active {
        return Err(IdentityError::AccountDisabled);
    }

    let txn = db.begin().await?;
    let at = now();
    let rotated = auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RotatedAt, Expr::value(at))
        .col_expr(auth_sessions::Column::LastUsedAt, Expr::value(at))
        .col_expr(auth_sessions::Column::UpdatedAt, Expr::value(at))
        .filter(auth_sessions::Column::Id.eq(presented.id))
        .filter(auth_sessions::Column::RotatedAt.is_null())
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    // Zero rows: the token was rotated already — a moment ago by a concurrent request, or within the
    // grace window by an earlier one. Either way the grace decides; past it, the same token twice is
    // treated as theft.
    if rotated.rows_affected == 0 {
        let now_stored = auth_sessions::Entity::find_by_id(presented.id)
            .one(&txn)
            .await?
            .ok_or(IdentityError::InvalidRefreshToken)?;
        if now_stored.revoked_at.is_some() {
            return Err(IdentityError::InvalidRefreshToken);
        }
        if !within_grace(now_stored.rotated_at.unwrap_or(at), settings) {
            drop(txn);
            revoke_family(db, cache, presented.user_id, presented.family_id).await?;
            return Err(IdentityError::RefreshTokenReused);
        }
    }
    let refresh_token =
        insert_refresh_row(&txn, user.id, presented.family_id, settings, meta).await?;
    txn.commit().await?;
    let (access_token, expires_in) = access_token(keys, settings, &user, presented.family_id);
    Ok((
        IssuedTokens {
            access_token,
            refresh_token,
            expires_in,
            family_id: presented.family_id,
        },
        user,
    ))
}

/// Ends a device session: its refresh tokens stop working and its access tokens stop authenticating
/// at once (the cached principal is dropped). Returns whether a live session was found.
pub async fn revoke_family(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    user_id: Uuid,
    family_id: Uuid,
) -> Result<bool, IdentityError> {
    let at = now();
    let revoked = auth_sessions::Entity::update_many()
        .col_expr(auth_sessions::Column::RevokedAt, Expr::value(at))
        .col_expr(auth_sessions::Column::UpdatedAt, Expr::value(at))
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::FamilyId.eq(family_id))
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    // The database row is what every request checks once the cached principal is gone (at most
    // ROLE_CACHE_SECONDS later): dropping it early is a speed-up that a cache outage may skip.
    if let Err(error) = cache
        .delete(&cache_keys::principal(user_id, family_id))
        .await
    {
        tracing::warn!(%error, %user_id, "could not drop a cached principal; it lapses on its own");
    }
    crate::auth::announce_change(cache, user_id).await;
    Ok(revoked.rows_affected > 0)
}

/// Signs the caller out of this device, and denies the access token they used until it expires.
pub async fn sign_out(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    principal: &Principal,
) -> Result<(), IdentityError> {
    revoke_family(db, cache, principal.user_id, principal.session_id).await?;
    deny_access_token(cache, principal).await;
    Ok(())
}

/// Signs the caller out of every device.
pub async fn sign_out_everywhere(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    principal: &Principal,
) -> Result<u64, IdentityError> {
    let families: Vec<Uuid> = live_rows(db, principal.user_id)
        .await?
        .into_iter()
        .map(|row| row.family_id)
        .collect();
    for family in &families {
        revoke_family(db, cache, principal.user_id, *family).await?;
    }
    revoke_family(db, cache, principal.user_id, principal.session_id).await?;
    deny_access_token(cache, principal).await;
    Ok(families.len() as u64)
}

/// Denies the access token at once. Best effort: the session is revoked in the database already, which
/// every request sees once the cached principal lapses.
async fn deny_access_token(cache: &dyn Cache, principal: &Principal) {
    let remaining = (principal.token_expires_at - Utc::now().timestamp()).max(1) as u64;
    let denied = cache
        .set(
            &cache_keys::denied_token(principal.token_id),
            "1",
            Duration::from_secs(remaining),
        )
        .await;
    if let Err(error) = denied {
        tracing::warn!(%error, "could not deny a signed-out access token; its session is revoked");
    }
}

/// The current (unrotated, unrevoked, unexpired) token of each of the user's devices, newest first.
async fn live_rows(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<Vec<auth_sessions::Model>, sea_orm::DbErr> {
    auth_sessions::Entity::find()
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::RotatedAt.is_null())
        .filter(auth_sessions::Column::RevokedAt.is_null())
        .filter(auth_sessions::Column::ExpiresAt.gt(now()))
        .order_by_desc(auth_sessions::Column::LastUsedAt)
        .all(db)
        .await
}

/// A signed-in device, as `sessions` lists it.
#[derive(Clone, Debug)]
pub struct DeviceSession {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn list(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<Vec<DeviceSession>, IdentityError> {
    Ok(live_rows(db, user_id)
        .await?
        .into_iter()
        .map(|row| DeviceSession {
            id: row.family_id,
            user_agent: row.user_agent,
            ip: row.ip,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        })
        .collect())
}

/// Forgets the cached roles of every live session of the user, so a role change applies at once.
pub async fn forget_principals(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    user_id: Uuid,
) -> Result<(), IdentityError> {
    for row in live_rows(db, user_id).await? {
        cache
            .delete(&cache_keys::principal(user_id, row.family_id))
            .await?;
    }
    crate::auth::announce_change(cache, user_id).await;
    Ok(())
}

/// When the user proved who they are for this device: the first token of the family. Refreshing keeps
/// the family, so a device that has only been refreshing since is not a fresh sign-in.
pub async fn signed_in_at(
    db: &DatabaseConnection,
    user_id: Uuid,
    family_id: Uuid,
) -> Result<Option<DateTime<Utc>>, IdentityError> {
    Ok(auth_sessions::Entity::find()
        .filter(auth_sessions::Column::UserId.eq(user_id))
        .filter(auth_sessions::Column::FamilyId.eq(family_id))
        .order_by_asc(auth_sessions::Column::CreatedAt)
        .one(db)
        .await?
        .map(|row| row.created_at))
}

/// Signs the user out of every device but `keep`. Returns how many sessions ended.
pub async fn sign_out_others(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    user_id: Uuid,
    keep: Uuid,
) -> Result<u64, IdentityError> {
    let mut ended = 0;
    for row in live_rows(db, user_id).await? {
        if row.family_id != keep && revoke_family(db, cache, user_id, row.family_id).await? {
            ended += 1;
        }
    }
    Ok(ended)
}
