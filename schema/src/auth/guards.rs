use async_graphql::{Context, Guard};

use super::{Principal, Viewer};
use crate::error::ApiError;

/// Access to the request's viewer from any resolver.
pub trait ContextExt {
    fn viewer(&self) -> &Viewer;

    /// The signed-in user, or UNAUTHENTICATED.
    fn principal(&self) -> Result<&Principal, ApiError> {
        self.viewer()
            .principal()
            .ok_or_else(|| ApiError::unauthenticated("Sign in to do this"))
    }
}

impl ContextExt for Context<'_> {
    fn viewer(&self) -> &Viewer {
        static ANONYMOUS: Viewer = Viewer::Anonymous;
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }
}

/// Any signed-in user.
pub struct RequireUser;

/// A signed-in user who opted in as a builder (admins pass too).
pub struct RequireBuilder;

/// A signed-in admin.
pub struct RequireAdmin;

impl Guard for RequireUser {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.principal()?;
        Ok(())
    }
}

impl Guard for RequireBuilder {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let roles = ctx.principal()?.roles;
        if roles.builder || roles.admin {
            Ok(())
        } else {
            Err(ApiError::forbidden("Only builders can do this; opt in with becomeBuilder").into())
        }
    }
}

impl Guard for RequireAdmin {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if ctx.principal()?.roles.admin {
            Ok(())
        } else {
            Err(ApiError::forbidden("Only admins can do this").into())
        }
    }
}
