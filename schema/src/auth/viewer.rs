use std::sync::Arc;
use std::time::Duration;

use fairydust_entities::{auth_sessions, now, users};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AuthError, TokenKeys};
use crate::cache::{Cache, set_best_effort};

/// The longest that role and session state read from the database is trusted (ARCHITECTURE §2: ≤ 30 s).
/// Revoking admin or builder rights in the database takes effect within this time without a new sign-in.
pub const MAX_PRINCIPAL_CACHE_TTL: Duration = Duration::from_secs(30);

/// Who is making the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    User(Principal),
}

impl Viewer {
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Viewer::Anonymous => None,
            Viewer::User(principal) => Some(principal),
        }
    }
}

/// A signed-in user, as established by a verified access token and current database state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub token_id: Uuid,
    /// Unix seconds.
    pub token_expires_at: i64,
    pub roles: Roles,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles {
    pub admin: bool,
    pub builder: bool,
}

impl Roles {
    pub fn names(self) -> Vec<String> {
        let mut names = Vec::new();
        if self.admin {
            names.push("admin".to_owned());
        }
        if self.builder {
            names.push("builder".to_owned());
        }
        names
    }
}

#[derive(Serialize, Deserialize)]
struct CachedPrincipal {
    roles: Roles,
    active: bool,
}

pub mod cache_keys {
    use uuid::Uuid;

    pub fn denied_token(jti: Uuid) -> String {
        format!("auth:denied:{jti}")
    }

    pub fn principal(user_id: Uuid, session_id: Uuid) -> String {
        format!("auth:principal:{user_id}:{session_id}")
    }
}

/// The single path from an `Authorization` header to a [`Viewer`], used by HTTP and WebSocket requests.
#[derive(Clone)]
pub struct Authenticator {
    keys: TokenKeys,
    db: DatabaseConnection,
    cache: Arc<dyn Cache>,
    principal_ttl: Duration,
}

impl Authenticator {
    /// `principal_ttl` is capped at [`MAX_PRINCIPAL_CACHE_TTL`].
    pub fn new(
        keys: TokenKeys,
        db: DatabaseConnection,
        cache: Arc<dyn Cache>,
        principal_ttl: Duration,
    ) -> Self {
        Self {
            keys,
            db,
            cache,
            principal_ttl: principal_ttl.min(MAX_PRINCIPAL_CACHE_TTL),
        }
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// No header is an anonymous viewer; a header that does not hold a valid, live access token is an
    /// error — never silently anonymous, so a client learns it must refresh.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Viewer, AuthError> {
        let Some(header) = authorization else {
            return Ok(Viewer::Anonymous);
        };
        let token = bearer_token(header).ok_or(AuthError::InvalidToken)?;
        let claims = self.keys.verify_access(token)?;

        let denied_key = cache_keys::denied_token(claims.jti);
        let principal_key = cache_keys::principal(claims.sub, claims.sid);
        // Without the cache, the database answers: the session row says whether it was revoked (a
        // denied token id is only a faster path to the same answer), so sign-outs hold during an
        // outage too.
        let (denied, cached) = match self.cache.get_many(&[&denied_key, &principal_key]).await {
            Ok(found) => {
                let mut found = found.into_iter();
                (found.next().flatten(), found.next().flatten())
            }
            Err(error) => {
                tracing::warn!(%error, "cache read failed; authenticating from the database");
                (None, None)
            }
        };
        if denied.is_some() {
            return Err(AuthError::Revoked);
        }
        let state =
            match cached.and_then(|json| serde_json::from_str::<CachedPrincipal>(&json).ok()) {
                Some(state) => state,
                None => {
                    let state = self.load_principal(claims.sub, claims.sid).await?;
                    let json = serde_json::to_string(&state).expect("plain struct serialises");
                    set_best_effort(&*self.cache, &principal_key, &json, self.principal_ttl).await;
                    state
                }
            };
        if !state.active {
            return Err(AuthError::Revoked);
        }
        Ok(Viewer::User(Principal {
            user_id: claims.sub,
            session_id: claims.sid,
            token_id: claims.jti,
            token_expires_at: claims.exp,
            roles: state.roles,
        }))
    }

    async fn load_principal(
        &self,
        user_id: Uuid,
        session_id: Uuid,
    ) -> Result<CachedPrincipal, AuthError> {
        let user = users::Entity::find_by_id(user_id)
            .select_only()
            .columns([
                users::Column::IsAdmin,
                users::Column::IsBuilder,
                users::Column::IsActive,
            ])
            .into_tuple::<(bool, bool, bool)>()
            .one(&self.db)
            .await?;
        let Some((admin, builder, user_active)) = user else {
            return Ok(CachedPrincipal {
                roles: Roles::default(),
                active: false,
            });
        };
        let live_sessions = auth_sessions::Entity::find()
            .filter(auth_sessions::Column::FamilyId.eq(session_id))
            .filter(auth_sessions::Column::UserId.eq(user_id))
            .filter(auth_sessions::Column::RevokedAt.is_null())
            .filter(auth_sessions::Column::ExpiresAt.gt(now()))
            .count(&self.db)
            .await?;
        Ok(CachedPrincipal {
            roles: Roles { admin, builder },
            active: user_active && live_sessions > 0,
        })
    }
}

fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
