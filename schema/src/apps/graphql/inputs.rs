//! The inputs of `createApp` and `updateApp`.

use async_graphql::{InputObject, MaybeUndefined};

use super::AppCategory;

#[derive(InputObject)]
pub struct CreateAppInput {
    /// 1–100 characters.
    pub name: String,
    /// Lower-case words joined by dashes, ≤ 64; derived from the name when left out.
    pub slug: Option<String>,
    /// 1–2000 characters.
    pub description: String,
    pub category: AppCategory,
    pub icon_url: Option<String>,
    pub website_url: Option<String>,
    pub demo_url: Option<String>,
    pub callback_url: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional URL.
#[derive(InputObject)]
pub struct UpdateAppInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub category: Option<AppCategory>,
    pub icon_url: MaybeUndefined<String>,
    pub website_url: MaybeUndefined<String>,
    pub demo_url: MaybeUndefined<String>,
    pub callback_url: MaybeUndefined<String>,
    /// The builder's own switch to take the app off the marketplace.
    pub is_active: Option<bool>,
}
