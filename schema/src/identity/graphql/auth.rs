//! Signing in and out: one-time codes, OAuth, refresh, sessions.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::User;
use crate::auth::{ContextExt, RequireUser};
use crate::error::{ApiError, ApiResult};
use crate::identity::contact::{Email, Phone};
use crate::identity::delivery::Identifier;
use crate::identity::oauth::{OAuthCredential, OAuthProvider};
use crate::identity::otp::Purpose;
use crate::identity::sessions;
use crate::identity::sign_in::{self, CodeSent, SignedIn};
use crate::state::RequestMeta;

/// Exactly one of `email` or `phone` (E.164, e.g. +14155550123).
#[derive(InputObject)]
pub struct RequestOtpInput {
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(InputObject)]
pub struct VerifyOtpInput {
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The 6-digit code.
    pub code: String,
}

pub fn identifier(email: Option<&str>, phone: Option<&str>) -> ApiResult<Identifier> {
    match (email, phone) {
        (Some(email), None) => Ok(Identifier::Email(
            Email::parse(email).map_err(|e| ApiError::bad_input(e.to_string()))?,
        )),
        (None, Some(phone)) => Ok(Identifier::Phone(
            Phone::parse(phone).map_err(|e| ApiError::bad_input(e.to_string()))?,
        )),
        _ => Err(ApiError::bad_input("Give exactly one of email or phone")),
    }
}

#[derive(SimpleObject)]
pub struct OtpSent {
    /// Where the code went, masked (j***@example.com).
    pub sent_to: String,
    pub expires_at: DateTime<Utc>,
    /// The earliest moment another code can be requested.
    pub resend_after: DateTime<Utc>,
}

impl From<CodeSent> for OtpSent {
    fn from(sent: CodeSent) -> Self {
        Self {
            sent_to: sent.sent_to,
            expires_at: sent.expires_at,
            resend_after: sent.resend_after,
        }
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer …`; valid for `expiresIn` seconds.
    pub access_token: String,
    /// Exchange with `refreshSession` for new tokens; single use, valid 30 days.
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: User,
    pub is_new_user: bool,
    /// DUST granted by this sign-in (the welcome bonus for a new account).
    pub dust_granted: i32,
}

impl From<SignedIn> for AuthPayload {
    fn from(signed_in: SignedIn) -> Self {
        Self {
            access_token: signed_in.tokens.access_token,
            refresh_token: signed_in.tokens.refresh_token,
            expires_in: signed_in.tokens.expires_in,
            user: User::from(signed_in.user),
            is_new_user: signed_in.is_new_user,
            dust_granted: signed_in.dust_granted,
        }
    }
}

/// Google and Apple: `idToken`, or `code` + `codeVerifier` + `redirectUri` (PKCE). Facebook: `accessToken`.
#[derive(InputObject)]
#[graphql(name = "OAuthInput")]
pub struct OAuthInput {
    pub provider: OAuthProvider,
    pub id_token: Option<String>,
    pub access_token: Option<String>,
    pub code: Option<String>,
    pub code_verifier: Option<String>,
    pub redirect_uri: Option<String>,
    /// The nonce the app put in the provider request; checked against the ID token. Required with
    /// `idToken` unless the server allows nonce-less tokens (`OAUTH_REQUIRE_NONCE=false`).
    pub nonce: Option<String>,
}

impl OAuthInput {
    fn credential(&self) -> ApiResult<OAuthCredential> {
        let code_flow = (&self.code, &self.code_verifier, &self.redirect_uri);
        match (&self.id_token, &self.access_token, code_flow) {
            (Some(token), None, (None, None, None)) => Ok(OAuthCredential::IdToken(token.clone())),
            (None, Some(token), (None, None, None)) => {
                Ok(OAuthCredential::AccessToken(token.clone()))
            }
            (None, None, (Some(code), Some(verifier), Some(redirect))) => {
                Ok(OAuthCredential::AuthorizationCode {
                    code: code.clone(),
                    code_verifier: verifier.clone(),
                    redirect_uri: redirect.clone(),
                })
            }
            _ => Err(ApiError::bad_input(
                "Give exactly one of idToken, accessToken, or code with codeVerifier and redirectUri",
            )),
        }
    }
}

#[derive(SimpleObject)]
pub struct DeviceSession {
    pub id: ID,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session of the token making this request.
    pub current: bool,
}

pub(super) fn meta<'a>(ctx: &Context<'a>) -> &'a RequestMeta {
    static NONE: std::sync::LazyLock<RequestMeta> = std::sync::LazyLock::new(RequestMeta::default);
    ctx.data_opt::<RequestMeta>().unwrap_or(&NONE)
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The caller's signed-in devices.
    #[graphql(guard = "RequireUser")]
    async fn sessions(&self, ctx: &Context<'_>) -> ApiResult<Vec<DeviceSession>> {
        let principal = ctx.principal()?;
        let list = sessions::list(&ctx.state().db, principal.user_id).await?;
        Ok(list
            .into_iter()
            .map(|session| DeviceSession {
                id: ID(session.id.to_string()),
                current: session.id == principal.session_id,
                user_agent: session.user_agent,
                ip: session.ip,
                last_used_at: session.last_used_at,
                expires_at: session.expires_at,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Sends a 6-digit sign-in code by email or SMS. At most one per minute and five per hour per address.
    async fn request_otp(&self, ctx: &Context<'_>, input: RequestOtpInput) -> ApiResult<OtpSent> {
        let identifier = identifier(input.email.as_deref(), input.phone.as_deref())?;
        Ok(
            sign_in::send_code(ctx.state(), &Purpose::SignIn, &identifier, meta(ctx))
                .await?
                .into(),
        )
    }

    /// Signs in with a code from `requestOtp`; creates the account (with 25 DUST) on first sign-in.
    async fn verify_otp(&self, ctx: &Context<'_>, input: VerifyOtpInput) -> ApiResult<AuthPayload> {
        let identifier = identifier(input.email.as_deref(), input.phone.as_deref())?;
        Ok(
            sign_in::sign_in_with_code(ctx.state(), &identifier, &input.code, meta(ctx))
                .await?
                .into(),
        )
    }

    /// New tokens for a refresh token, which is used up. Using one twice signs that device out.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> ApiResult<AuthPayload> {
        let state = ctx.state();
        let (tokens, user) = sessions::refresh(
            &state.db,
            &*state.cache,
            state.auth.keys(),
            &state.settings,
            &refresh_token,
            meta(ctx),
        )
        .await?;
        Ok(AuthPayload {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_in: tokens.expires_in,
            user: User::from(user),
            is_new_user: false,
            dust_granted: 0,
        })
    }

    /// Signs this device out; its tokens stop working at once.
    #[graphql(guard = "RequireUser")]
    async fn sign_out(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let state = ctx.state();
        sessions::sign_out(&state.db, &*state.cache, ctx.principal()?).await?;
        Ok(true)
    }

    /// Signs every device out. Returns how many sessions ended.
    #[graphql(guard = "RequireUser")]
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let state = ctx.state();
        Ok(sessions::sign_out_everywhere(&state.db, &*state.cache, ctx.principal()?).await? as i32)
    }

    /// Signs one of the caller's devices out.
    #[graphql(guard = "RequireUser")]
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let state = ctx.state();
        let family = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("Session"))?;
        if sessions::revoke_family(&state.db, &*state.cache, ctx.principal()?.user_id, family)
            .await?
        {
            Ok(true)
        } else {
            Err(ApiError::not_found("Session"))
        }
    }

    /// Signs in with Google, Apple or Facebook; creates the account (with 25 DUST) on first sign-in.
    #[graphql(name = "signInWithOAuth")]
    async fn sign_in_with_oauth(
        &self,
        ctx: &Context<'_>,
        input: OAuthInput,
    ) -> ApiResult<AuthPayload> {
        let credential = input.credential()?;
        let signed_in = sign_in::sign_in_with_oauth(
            ctx.state(),
            input.provider,
            credential,
            input.nonce.as_deref(),
            meta(ctx),
        )
        .await?;
        Ok(signed_in.into())
    }

    /// Adds a provider to the caller's account. Returns the linked providers.
    #[graphql(guard = "RequireUser", name = "linkOAuth")]
    async fn link_o_auth(
        &self,
        ctx: &Context<'_>,
        input: OAuthInput,
    ) -> ApiResult<Vec<OAuthProvider>> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        sign_in::link(
            state,
            user_id,
            input.provider,
            input.credential()?,
            input.nonce.as_deref(),
        )
        .await?;
        Ok(sign_in::linked_providers(&state.db, user_id).await?)
    }

    /// Removes a provider, unless it is the last way to sign in. Returns the linked providers.
    #[graphql(guard = "RequireUser", name = "unlinkOAuth")]
    async fn unlink_o_auth(
        &self,
        ctx: &Context<'_>,
        provider: OAuthProvider,
    ) -> ApiResult<Vec<OAuthProvider>> {
        let state = ctx.state();
        let user_id = ctx.principal()?.user_id;
        sign_in::unlink(&state.db, user_id, provider).await?;
        Ok(sign_in::linked_providers(&state.db, user_id).await?)
    }
}
