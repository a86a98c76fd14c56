//! Relay connections with keyset pagination on `(created_at, id)`, newest first.
//!
//! Cursors are opaque to clients (base64 of the sort key), so the sort key can change without breaking
//! them. `first` is clamped to 1–100; list fields declare `first × child` complexity.

use async_graphql::SimpleObject;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::ApiError;

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// Page size asked for, validated: absent → 20; 1–100 accepted; anything else is a clear error rather
/// than a silent clamp, so a client asking for 1 000 learns the limit.
pub fn page_size(first: Option<i32>) -> Result<u64, ApiError> {
    match first.unwrap_or(DEFAULT_PAGE_SIZE) {
        n @ 1..=MAX_PAGE_SIZE => Ok(n as u64),
        n => Err(ApiError::bad_input(format!(
            "first must be between 1 and {MAX_PAGE_SIZE}, got {n}"
        ))),
    }
}

/// The position of a row in a newest-first list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}|{}",
            self.created_at.timestamp_micros(),
            self.id
        ))
    }

    pub fn decode(raw: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::bad_input("after is not a cursor from this list");
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?)
            .map_err(|_| invalid())?;
        let (micros, id) = text.split_once('|').ok_or_else(invalid)?;
        let created_at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| invalid())?)
            .ok_or_else(invalid)?;
        Ok(Self {
            created_at,
            id: id.parse().map_err(|_| invalid())?,
        })
    }

    pub fn parse_after(after: Option<&str>) -> Result<Option<Self>, ApiError> {
        after.map(Self::decode).transpose()
    }

    /// The rows past this cursor in a list ordered by (`created_at`, `id`): older ones when newest
    /// come first, newer ones otherwise.
    pub fn beyond<C: ColumnTrait>(&self, created_at: C, id: C, newest_first: bool) -> Condition {
        let (strictly, ties) = if newest_first {
            (created_at.lt(self.created_at), id.lt(self.id))
        } else {
            (created_at.gt(self.created_at), id.gt(self.id))
        };
        Condition::any().add(strictly).add(
            Condition::all()
                .add(created_at.eq(self.created_at))
                .add(ties),
        )
    }
}

/// Which way a keyset list runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    NewestFirst,
    OldestFirst,
}

/// A page of `filtered` ordered by (`created_at`, `id`): up to `limit` rows past `after`, and, when
/// `with_total`, how many rows the filters match across all pages (0 otherwise, to spare the count).
/// Every list of the API pages through here, so the cursor rule lives in one place.
pub async fn keyset_page<E, C>(
    db: &C,
    filtered: Select<E>,
    (created_at, id): (E::Column, E::Column),
    order: Order,
    after: Option<Cursor>,
    limit: u64,
    with_total: bool,
) -> Result<(Vec<E::Model>, i64), DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let total = if with_total {
        filtered.clone().count(db).await? as i64
    } else {
        0
    };
    let rows = keyset_query(filtered, (created_at, id), order, after)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// `filtered` narrowed to the rows past `after` and sorted for keyset paging, for callers that
/// fetch the page themselves (e.g. within a byte budget).
pub fn keyset_query<E: EntityTrait>(
    filtered: Select<E>,
    (created_at, id): (E::Column, E::Column),
    order: Order,
    after: Option<Cursor>,
) -> Select<E> {
    let newest_first = order == Order::NewestFirst;
    let mut query = filtered;
    if let Some(cursor) = after {
        query = query.filter(cursor.beyond(created_at, id, newest_first));
    }
    if newest_first {
        query.order_by_desc(created_at).order_by_desc(id)
    } else {
        query.order_by_asc(created_at).order_by_asc(id)
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// Defines `$connection` and `$edge` for node type `$node` (GraphQL has no generics, so each list gets
/// its own concrete pair). Build pages with `$connection::from_rows`.
#[macro_export]
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub nodes: Vec<$node>,
            pub page_info: $crate::pagination::PageInfo,
            /// All items matching the filters, across pages.
            pub total_count: i64,
        }

        impl $connection {
            /// A page from up to `size + 1` rows fetched after the cursor; the extra row only tells
            /// whether there is a next page.
            pub fn from_rows(
                mut rows: Vec<($crate::pagination::Cursor, $node)>,
                size: u64,
                had_cursor: bool,
                total_count: i64,
            ) -> Self {
                let has_next_page = rows.len() as u64 > size;
                rows.truncate(size as usize);
                let edges: Vec<$edge> = rows
                    .into_iter()
                    .map(|(cursor, node)| $edge {
                        cursor: cursor.encode(),
                        node,
                    })
                    .collect();
                Self {
                    page_info: $crate::pagination::PageInfo {
                        has_next_page,
                        has_previous_page: had_cursor,
                        start_cursor: edges.first().map(|e| e.cursor.clone()),
                        end_cursor: edges.last().map(|e| e.cursor.clone()),
                    },
                    nodes: edges.iter().map(|e| e.node.clone()).collect(),
                    edges,
                    total_count,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            created_at: DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::decode("garbage!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("12|not-a-uuid")).is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size(None).unwrap(), 20);
        assert_eq!(page_size(Some(100)).unwrap(), 100);
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-5)).is_err());
    }
}
