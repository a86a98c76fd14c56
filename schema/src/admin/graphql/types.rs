//! The admin API's GraphQL types: the user and audit-log connections, the role filter, app status
//! counts and the platform statistics.

use async_graphql::{ComplexObject, Context, Enum, ID, Json, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use fairydust_entities::admin_audit_log;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::admin::directory::Role;
use crate::admin::stats::Measures;
use crate::apps::graphql::{App, AppStatus};
use crate::auth::ContextExt;
use crate::error::ApiResult;
use crate::identity::graphql::{PublicUser, User};
use crate::llm::pricing;
use crate::loaders::load_error;

crate::connection!(UserConnection, UserEdge, User);

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserRole {
    /// Neither builder nor admin.
    User,
    Builder,
    Admin,
}

impl From<UserRole> for Role {
    fn from(role: UserRole) -> Self {
        match role {
            UserRole::User => Role::User,
            UserRole::Builder => Role::Builder,
            UserRole::Admin => Role::Admin,
        }
    }
}

#[derive(SimpleObject)]
pub struct AppStatusCount {
    pub status: AppStatus,
    pub count: i64,
}

/// One admin action: who did what to which object, with the state before and after.
#[derive(Clone)]
pub struct AdminAuditEntry(pub admin_audit_log::Model);

#[async_graphql::Object]
impl AdminAuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(|id| ID(id.to_string()))
    }

    /// The admin who acted; null if their account is gone.
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<PublicUser>> {
        let Some(actor) = self.0.actor_id else {
            return Ok(None);
        };
        let user = ctx
            .loaders()
            .users
            .load_one(actor)
            .await
            .map_err(load_error)?;
        Ok(user.map(PublicUser))
    }

    /// e.g. `ledger.grant`, `users.deactivate`, `apps.approve`, `export.csv`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// e.g. `user`, `app`, `llm_model`, `export`.
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    async fn target_id(&self) -> &str {
        &self.0.target_id
    }

    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }

    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }

    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

crate::connection!(
    AdminAuditEntryConnection,
    AdminAuditEntryEdge,
    AdminAuditEntry
);

/// Measures of one UTC day or of the whole range.
#[derive(SimpleObject)]
pub struct PlatformMeasures {
    pub new_users: i64,
    /// Users who signed in (or refreshed a session) or spent DUST.
    pub active_users: i64,
    pub dust_granted: i64,
    pub dust_consumed: i64,
    pub dust_purchased: i64,
    pub dust_refunded: i64,
    pub dust_rewarded: i64,
    /// Signed: admin corrections in both directions.
    pub dust_adjusted: i64,
    /// DUST held by all users at the end of the day (for the totals: of the range).
    pub dust_in_circulation: i64,
    pub llm_calls: i64,
    pub llm_cost_usd: Decimal,
    /// Share of LLM calls answered by a fallback model, 0–1.
    pub llm_fallback_rate: f64,
}

impl From<&Measures> for PlatformMeasures {
    fn from(m: &Measures) -> Self {
        Self {
            new_users: m.new_users,
            active_users: m.active_users,
            dust_granted: m.granted,
            dust_consumed: m.consumed,
            dust_purchased: m.purchased,
            dust_refunded: m.refunded,
            dust_rewarded: m.rewarded,
            dust_adjusted: m.adjusted,
            dust_in_circulation: m.circulation,
            llm_calls: m.llm_calls,
            llm_cost_usd: pricing::from_micros(m.llm_cost_micros),
            llm_fallback_rate: if m.llm_calls == 0 {
                0.0
            } else {
                m.llm_fallbacks as f64 / m.llm_calls as f64
            },
        }
    }
}

#[derive(SimpleObject)]
pub struct PlatformDay {
    pub date: NaiveDate,
    pub measures: PlatformMeasures,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TopApp {
    #[graphql(skip)]
    pub app_id: Uuid,
    /// DUST spent in the app, net of refunds (in `topAppsByDust`).
    pub dust_spent: i64,
    pub llm_calls: i64,
    pub llm_cost_usd: Decimal,
}

#[ComplexObject]
impl TopApp {
    async fn app(&self, ctx: &Context<'_>) -> ApiResult<Option<App>> {
        App::load(ctx, self.app_id).await
    }
}

#[derive(SimpleObject)]
pub struct PlatformStats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub totals: PlatformMeasures,
    /// Every UTC day the range touches, oldest first, zeros included.
    pub days: Vec<PlatformDay>,
    /// Apps now, per status (not limited to the range).
    pub apps_by_status: Vec<AppStatusCount>,
    /// Up to 10 apps by DUST spent in the range.
    pub top_apps_by_dust: Vec<TopApp>,
    /// Up to 10 apps by LLM cost in the range.
    pub top_apps_by_cost: Vec<TopApp>,
}
