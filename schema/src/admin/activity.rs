//! When users last signed in, loaded for a page of users in one query.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Utc};
use fairydust_entities::auth_sessions::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// A sign-in starts a session family; refreshes add rows to it. So a user's last sign-in is the
/// latest start of one of their families.
pub struct LastSignInLoader(pub DatabaseConnection);

impl Loader<Uuid> for LastSignInLoader {
    type Value = Option<DateTime<Utc>>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let starts: Vec<(Uuid, DateTime<Utc>)> = auth_sessions::Entity::find()
            .select_only()
            .column(Column::UserId)
            .column_as(Expr::cust("MIN(created_at)"), "started_at")
            .filter(Column::UserId.is_in(keys.iter().copied()))
            .group_by(Column::UserId)
            .group_by(Column::FamilyId)
            .into_tuple()
            .all(&self.0)
            .await
            .map_err(Arc::new)?;
        let mut latest: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, None)).collect();
        for (user_id, started_at) in starts {
            let entry = latest.entry(user_id).or_default();
            if entry.is_none_or(|at| at < started_at) {
                *entry = Some(started_at);
            }
        }
        Ok(latest)
    }
}
