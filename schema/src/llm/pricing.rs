//! What an LLM call costs: tokens / 1 000 000 × the model's USD rate, exact decimals, stored rounded
//! half-up to 6 places. Client-sent costs are never accepted.

use fairydust_entities::llm_models;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::cache::{Cache, CacheError, set_best_effort};

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The exact cost, not yet rounded.
pub fn exact_cost(
    prompt_tokens: u32,
    completion_tokens: u32,
    model: &llm_models::Model,
) -> Decimal {
    Decimal::from(prompt_tokens) * model.input_usd_per_million.0 / MILLION
        + Decimal::from(completion_tokens) * model.output_usd_per_million.0 / MILLION
}

/// As stored: rounded half-up to 6 decimal places.
pub fn stored_cost(exact: Decimal) -> Decimal {
    exact
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

pub fn cost(prompt_tokens: u32, completion_tokens: u32, model: &llm_models::Model) -> Decimal {
    stored_cost(exact_cost(prompt_tokens, completion_tokens, model))
}

/// Micro-dollars, the unit of the shared cost counters (exact for stored costs).
pub fn to_micros(usd: Decimal) -> i64 {
    (stored_cost(usd) * MILLION)
        .trunc()
        .try_into()
        .unwrap_or(i64::MAX)
}

pub fn from_micros(micros: i64) -> Decimal {
    (Decimal::from(micros) / MILLION).normalize()
}

pub async fn price_table<C: ConnectionTrait>(
    conn: &C,
) -> Result<Vec<llm_models::Model>, sea_orm::DbErr> {
    llm_models::Entity::find()
        .order_by_asc(llm_models::Column::Provider)
        .order_by_asc(llm_models::Column::ModelId)
        .all(conn)
        .await
}

/// The cache key of the whole price table (a dozen rows), which the gateway reads with its other cache
/// steps instead of a SELECT per call. Price changes delete it ([`forget_cached_table`]); like the app
/// cache, its TTL bounds staleness if a deletion is ever lost.
pub const TABLE_KEY: &str = "llm-prices";

/// The price table as read from the cache with a call's other cache steps, or from the database.
#[derive(Clone, Debug, Default)]
pub struct Prices(Option<Vec<llm_models::Model>>);

impl Prices {
    /// The table from `cached` (the value of [`TABLE_KEY`]), or read from the database and cached
    /// when it was absent or unreadable.
    pub async fn from_cached<C: ConnectionTrait>(
        conn: &C,
        cache: &dyn Cache,
        cached: Option<&str>,
    ) -> Result<Self, sea_orm::DbErr> {
        if let Some(table) = cached.and_then(|json| serde_json::from_str(json).ok()) {
            return Ok(Self(Some(table)));
        }
        let table = price_table(conn).await?;
        let json = serde_json::to_string(&table).expect("models serialise");
        set_best_effort(cache, TABLE_KEY, &json, crate::apps::catalog::APP_CACHE_TTL).await;
        Ok(Self(Some(table)))
    }

    /// A model's prices: from the table when it has them, else from the database (a model the table
    /// does not know may have been added since it was read).
    pub async fn of<C: ConnectionTrait>(
        &self,
        conn: &C,
        model: &str,
    ) -> Result<Option<llm_models::Model>, sea_orm::DbErr> {
        if let Some(found) = self
            .0
            .iter()
            .flatten()
            .find(|candidate| candidate.model_id == model)
        {
            return Ok(Some(found.clone()));
        }
        super::usage::priced_model(conn, model).await
    }
}

/// Call after any change to the price table.
pub async fn forget_cached_table(cache: &dyn Cache) -> Result<(), CacheError> {
    cache.delete(TABLE_KEY).await
}

#[cfg(test)]
mod tests {
    use fairydust_entities::Usd;
    use rust_decimal_macros::dec;

    use super::*;

    fn model(input: Decimal, output: Decimal) -> llm_models::Model {
        let now = chrono::Utc::now();
        llm_models::Model {
            id: uuid::Uuid::nil(),
            provider: "anthropic".into(),
            model_id: "m".into(),
            input_usd_per_million: Usd(input),
            output_usd_per_million: Usd(output),
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn the_worked_example_from_the_issue() {
        let haiku = model(dec!(0.8), dec!(4));
        let exact = exact_cost(1234, 567, &haiku);
        assert_eq!(exact, dec!(0.0009872) + dec!(0.002268));
        assert_eq!(exact, dec!(0.0032552));
        assert_eq!(stored_cost(exact), dec!(0.003255));
    }

    #[test]
    fn rounding_is_half_up_at_six_places() {
        assert_eq!(stored_cost(dec!(0.0000005)), dec!(0.000001));
        assert_eq!(stored_cost(dec!(0.00000049)), dec!(0));
        assert_eq!(stored_cost(dec!(1.2345675)), dec!(1.234568));
    }

    /// Every priced model of ARCHITECTURE §8, with 1 234 prompt and 567 completion tokens.
    #[test]
    fn every_model_in_the_price_table() {
        let table = [
            ("claude-opus-4", dec!(15), dec!(75), dec!(0.061035)),
            ("claude-sonnet-4", dec!(3), dec!(15), dec!(0.012207)),
            (
                "claude-3-5-sonnet-20241022",
                dec!(3),
                dec!(15),
                dec!(0.012207),
            ),
            (
                "claude-3-5-haiku-20241022",
                dec!(0.8),
                dec!(4),
                dec!(0.003255),
            ),
            ("claude-3-opus-20240229", dec!(15), dec!(75), dec!(0.061035)),
            (
                "claude-3-sonnet-20240229",
                dec!(3),
                dec!(15),
                dec!(0.012207),
            ),
            (
                "claude-3-haiku-20240307",
                dec!(0.25),
                dec!(1.25),
                dec!(0.001017),
            ),
            ("gpt-4o", dec!(5), dec!(15), dec!(0.014675)),
            ("gpt-4o-mini", dec!(0.15), dec!(0.60), dec!(0.000525)),
            ("gpt-4", dec!(30), dec!(60), dec!(0.07104)),
            ("gpt-4-turbo", dec!(10), dec!(30), dec!(0.02935)),
            ("gpt-3.5-turbo", dec!(0.50), dec!(1.50), dec!(0.001468)),
        ];
        let seeded: Vec<_> = fairydust_migration::LLM_PRICES
            .iter()
            .map(|(_, id, _, _)| *id)
            .collect();
        assert_eq!(seeded.len(), table.len());
        for (id, input, output, expected) in table {
            assert!(seeded.contains(&id), "{id} is seeded");
            assert_eq!(cost(1234, 567, &model(input, output)), expected, "{id}");
        }
    }

    #[test]
    fn micros_round_trip_stored_costs() {
        assert_eq!(to_micros(dec!(0.003255)), 3255);
        assert_eq!(from_micros(3255), dec!(0.003255));
    }
}
