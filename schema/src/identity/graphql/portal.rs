//! The portals' variant of signing in, refreshing and signing out: the refresh token never reaches
//! script; the server sets and clears it as an `HttpOnly` cookie (see `identity::portal_session`).
//! Mobile apps keep `verifyOtp` / `refreshSession` / `signOut`.

use async_graphql::{Context, Object, SimpleObject};

use super::User;
use super::auth::{VerifyOtpInput, identifier, meta};
use crate::auth::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::identity::portal_session::{self, CSRF_HEADER, PortalCookie};
use crate::identity::sessions::{self, IssuedTokens};
use crate::identity::sign_in;

/// A signed-in portal: the access token for the `Authorization` header, kept in memory only.
#[derive(SimpleObject)]
pub struct PortalSession {
    pub access_token: String,
    /// Seconds until `accessToken` expires; refresh before then with `refreshPortalSession`.
    pub expires_in: i64,
    pub user: User,
}

fn cookie<'a>(ctx: &Context<'a>) -> ApiResult<&'a PortalCookie> {
    static NONE: std::sync::LazyLock<PortalCookie> = std::sync::LazyLock::new(Default::default);
    let cookie = ctx.data_opt::<PortalCookie>().unwrap_or(&NONE);
    if cookie.csrf_header {
        Ok(cookie)
    } else {
        Err(ApiError::forbidden(format!(
            "Portal session requests must carry the {CSRF_HEADER} header"
        )))
    }
}

fn secure(ctx: &Context<'_>) -> bool {
    ctx.state().settings.production
}

fn set_refresh_cookie(ctx: &Context<'_>, tokens: &IssuedTokens) {
    let value = portal_session::set_cookie(
        &tokens.refresh_token,
        ctx.state().settings.refresh_token_ttl,
        secure(ctx),
    );
    ctx.append_http_header("set-cookie", value);
}

fn clear_refresh_cookie(ctx: &Context<'_>) {
    ctx.append_http_header("set-cookie", portal_session::clear_cookie(secure(ctx)));
}

#[derive(Default)]
pub struct PortalSessionMutation;

#[Object]
impl PortalSessionMutation {
    /// `verifyOtp` for the admin and builder portals: the refresh token is set as an `HttpOnly`
    /// cookie instead of being returned. Requires the `X-Fairydust-Csrf` header.
    async fn verify_otp_for_portal(
        &self,
        ctx: &Context<'_>,
        input: VerifyOtpInput,
    ) -> ApiResult<PortalSession> {
        cookie(ctx)?;
        let identifier = identifier(input.email.as_deref(), input.phone.as_deref())?;
        let signed_in =
            sign_in::sign_in_with_code(ctx.state(), &identifier, &input.code, meta(ctx)).await?;
        set_refresh_cookie(ctx, &signed_in.tokens);
        Ok(PortalSession {
            access_token: signed_in.tokens.access_token,
            expires_in: signed_in.tokens.expires_in,
            user: User::from(signed_in.user),
        })
    }

    /// New access token from the portal's refresh cookie, which rotates. Restores the session after
    /// a reload or in a new tab. Requires the `X-Fairydust-Csrf` header; `UNAUTHENTICATED` (and the
    /// cookie cleared) when there is no valid session.
    async fn refresh_portal_session(&self, ctx: &Context<'_>) -> ApiResult<PortalSession> {
        let Some(refresh_token) = cookie(ctx)?.refresh_token.as_deref() else {
            return Err(ApiError::unauthenticated("Not signed in"));
        };
        let state = ctx.state();
        let refreshed = sessions::refresh(
            &state.db,
            &*state.cache,
            state.auth.keys(),
            &state.settings,
            refresh_token,
            meta(ctx),
        )
        .await;
        match refreshed {
            Ok((tokens, user)) => {
                set_refresh_cookie(ctx, &tokens);
                Ok(PortalSession {
                    access_token: tokens.access_token,
                    expires_in: tokens.expires_in,
                    user: User::from(user),
                })
            }
            Err(error) => {
                clear_refresh_cookie(ctx);
                Err(error.into())
            }
        }
    }

    /// Signs the portal's device session out (its access tokens stop working at once) and clears
    /// the cookie. Returns whether a live session ended. Requires the `X-Fairydust-Csrf` header.
    async fn sign_out_portal(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let cookie = cookie(ctx)?;
        clear_refresh_cookie(ctx);
        let Some(refresh_token) = cookie.refresh_token.as_deref() else {
            return Ok(false);
        };
        let state = ctx.state();
        Ok(portal_session::sign_out(&state.db, &*state.cache, refresh_token).await?)
    }
}
