use async_graphql::{Context, Guard};

use super::{Principal, Viewer};
use crate::error::ApiError;
use crate::loaders::{Loaders, RequestLoaders};
use crate::state::AppState;

/// What every resolver reads from its context: the viewer, the server's state and the request's
/// DataLoaders. The one place that knows how they are stored in the context.
pub trait ContextExt<'a> {
    fn viewer(&self) -> &'a Viewer;

    /// The signed-in user, or UNAUTHENTICATED.
    fn principal(&self) -> Result<&'a Principal, ApiError> {
        self.viewer()
            .principal()
            .ok_or_else(|| ApiError::unauthenticated("Sign in to do this"))
    }

    /// Database, cache, settings and clients shared by every request.
    fn state(&self) -> &'a AppState;

    /// The batch loaders of this request.
    fn loaders(&self) -> &'a Loaders;
}

impl<'a> ContextExt<'a> for Context<'a> {
    fn viewer(&self) -> &'a Viewer {
        static ANONYMOUS: Viewer = Viewer::Anonymous;
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }

    // `build_schema` always registers both, so a missing one is a wiring bug worth a loud failure.
    fn state(&self) -> &'a AppState {
        self.data_unchecked::<AppState>()
    }

    fn loaders(&self) -> &'a Loaders {
        self.data_unchecked::<RequestLoaders>().get()
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
