//! The `App` type as the marketplace shows it.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};
use fairydust_entities::apps;

#[derive(SimpleObject, Clone, Debug)]
pub struct App {
    pub id: ID,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub category: String,
    pub icon_url: Option<String>,
    pub website_url: Option<String>,
    pub demo_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<apps::Model> for App {
    fn from(app: apps::Model) -> Self {
        Self {
            id: ID(app.id.to_string()),
            name: app.name,
            slug: app.slug,
            description: app.description,
            category: app.category,
            icon_url: app.icon_url,
            website_url: app.website_url,
            demo_url: app.demo_url,
            created_at: app.created_at,
        }
    }
}
