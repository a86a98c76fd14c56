//! What the builder console reads about an app over GraphQL: `App.stats` (per UTC day and in total),
//! `App.transactions` (the DUST moved in the app, with the user's public profile only) and
//! `slugAvailable`.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::dust_transactions;
use rust_decimal::Decimal;

use crate::apps::slug_check::Availability;
use crate::apps::stats::{AppNumbers, AppStats as Stats};
use crate::auth::ContextExt;
use crate::error::ApiResult;
use crate::identity::graphql::PublicUser;
use crate::ledger::ApiTransactionKind;
use crate::llm::pricing;
use crate::loaders::load_error;

fn fallback_rate(numbers: &AppNumbers) -> f64 {
    if numbers.requests == 0 {
        0.0
    } else {
        numbers.fallbacks as f64 / numbers.requests as f64
    }
}

/// One UTC day of an app: model calls and DUST earned.
#[derive(SimpleObject, Clone)]
pub struct AppStatsDay {
    pub date: NaiveDate,
    /// Model calls, each attempt counted (a fallback is a second call).
    pub requests: i64,
    pub fallbacks: i64,
    /// Share of calls answered by a fallback model, 0–1.
    pub fallback_rate: f64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// What the calls cost the platform, from the price table.
    pub llm_cost_usd: Decimal,
    /// DUST users paid for the app's actions, net of refunds.
    pub dust_earned: i64,
    /// Charged uses (consume transactions).
    pub charges: i64,
    /// People who called the model or paid DUST in the app.
    pub unique_users: i64,
}

impl AppStatsDay {
    fn new(date: NaiveDate, numbers: &AppNumbers) -> Self {
        Self {
            date,
            requests: numbers.requests,
            fallbacks: numbers.fallbacks,
            fallback_rate: fallback_rate(numbers),
            prompt_tokens: numbers.prompt_tokens,
            completion_tokens: numbers.completion_tokens,
            llm_cost_usd: pricing::from_micros(numbers.cost_micros),
            dust_earned: numbers.dust_earned,
            charges: numbers.consumes,
            unique_users: numbers.unique_users,
        }
    }
}

/// `App.stats`: the range's totals and every UTC day in it (zeros included).
#[derive(SimpleObject)]
pub struct AppStats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The whole range; `uniqueUsers` counts each person once, and `date` is the first day.
    pub totals: AppStatsDay,
    pub days: Vec<AppStatsDay>,
}

impl AppStats {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, stats: Stats) -> Self {
        Self {
            from,
            to,
            totals: AppStatsDay::new(from.date_naive(), &stats.totals),
            days: stats
                .days
                .iter()
                .map(|(date, numbers)| AppStatsDay::new(*date, numbers))
                .collect(),
        }
    }
}

/// DUST moved in an app, as its builder may see it: no balances, no contact data; the user as their
/// public profile.
#[derive(Clone, Debug)]
pub struct AppTransaction(pub dust_transactions::Model);

#[Object]
impl AppTransaction {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    #[graphql(name = "type")]
    async fn kind(&self) -> Option<ApiTransactionKind> {
        Some(self.0.kind.into())
    }

    async fn action(&self) -> Option<&str> {
        self.0.action.as_deref()
    }

    async fn quantity(&self) -> Option<i32> {
        self.0.quantity
    }

    /// Signed as the user's balance moved: a charge is negative (the app earned its absolute value).
    async fn amount(&self) -> i32 {
        self.0.amount
    }

    /// Who paid: the public profile (fairyname), never an email or phone.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<Option<PublicUser>> {
        let user = ctx
            .loaders()
            .users
            .load_one(self.0.user_id)
            .await
            .map_err(load_error)?;
        Ok(user.map(PublicUser))
    }
}

crate::connection!(AppTransactionConnection, AppTransactionEdge, AppTransaction);

/// `slugAvailable`: whether a slug can be had, for the live preview.
#[derive(SimpleObject)]
pub struct SlugAvailability {
    /// The slug asked about, trimmed.
    pub slug: String,
    /// Lower-case letters and digits in dash-separated words, at most 64 characters.
    pub valid: bool,
    /// Valid and not used by another app.
    pub available: bool,
    /// The first free one of `slug`, `slug-2`, `slug-3`, …, which `createApp` takes for a slug it
    /// derives from the name; for an invalid slug, built from its cleaned-up form.
    pub suggestion: Option<String>,
}

impl From<Availability> for SlugAvailability {
    fn from(a: Availability) -> Self {
        Self {
            slug: a.slug,
            valid: a.valid,
            available: a.available,
            suggestion: a.suggestion,
        }
    }
}
