//! sea-orm entities for every fairydust table (ARCHITECTURE §8).
//!
//! Timestamps are always written by the application through [`now`], never by database defaults, so both
//! backends hold them in one format and keyset pagination on `(created_at, id)` orders the same way.

pub mod admin_audit_log;
pub mod app_actions;
pub mod app_model_configs;
pub mod apps;
pub mod auth_identities;
pub mod auth_sessions;
pub mod dust_holds;
pub mod dust_transactions;
pub mod llm_models;
pub mod llm_usage_logs;
pub mod people_in_my_life;
pub mod person_profile_data;
pub mod profiling_questions;
pub mod question_responses;
pub mod report_days;
pub mod story_generation_logs;
pub mod user_profile_data;
pub mod user_recipes;
pub mod user_stories;
pub mod users;

mod usd;

pub use usd::Usd;

use chrono::{DateTime, SubsecRound, Utc};

/// Ids of the rows the seed migration inserts once.
pub mod seeded {
    use uuid::Uuid;

    /// The system account that owns the first-party apps; it has no way in.
    pub const SYSTEM_USER_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);
    pub const RECIPE_APP_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0101);
    pub const STORY_APP_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0102);
    pub const INSPIRE_APP_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0103);
    pub const RECIPE_APP_SLUG: &str = "fairydust-recipe";
    pub const STORY_APP_SLUG: &str = "fairydust-story";
    pub const INSPIRE_APP_SLUG: &str = "fairydust-inspire";
}

/// The current time at the precision both databases store (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub mod prelude {
    pub use super::admin_audit_log::Entity as AdminAuditLog;
    pub use super::app_actions::Entity as AppActions;
    pub use super::app_model_configs::Entity as AppModelConfigs;
    pub use super::apps::Entity as Apps;
    pub use super::auth_identities::Entity as AuthIdentities;
    pub use super::auth_sessions::Entity as AuthSessions;
    pub use super::dust_transactions::Entity as DustTransactions;
    pub use super::llm_models::Entity as LlmModels;
    pub use super::llm_usage_logs::Entity as LlmUsageLogs;
    pub use super::people_in_my_life::Entity as PeopleInMyLife;
    pub use super::person_profile_data::Entity as PersonProfileData;
    pub use super::profiling_questions::Entity as ProfilingQuestions;
    pub use super::question_responses::Entity as QuestionResponses;
    pub use super::story_generation_logs::Entity as StoryGenerationLogs;
    pub use super::user_profile_data::Entity as UserProfileData;
    pub use super::user_recipes::Entity as UserRecipes;
    pub use super::user_stories::Entity as UserStories;
    pub use super::users::Entity as Users;
}
