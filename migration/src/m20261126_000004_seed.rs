//! Seeds applied once: the system account, first-party apps and their configs, prices, starter questions.

use chrono::SubsecRound;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;
use uuid::Uuid;

use crate::seed_data::{
    FIRST_PARTY_APPS, LLM_PRICES, STARTER_QUESTION_REWARD, STORY_ACTIONS, STORY_APP_ID,
    SYSTEM_USER_ID, feature_flags, model_configs, starter_questions,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A decimal literal bound the way the column stores it: NUMERIC on PostgreSQL, TEXT on SQLite.
fn usd_value(backend: DbBackend, literal: &str) -> SimpleExpr {
    match backend {
        DbBackend::Sqlite => Expr::val(literal.to_owned()),
        _ => Expr::cust(format!("CAST('{literal}' AS NUMERIC(12, 6))")),
    }
}

/// Seed rows that are there already stay as they are: a rollback keeps what users' data refers to (see
/// `down`), and applying the seed again must not fail on it nor undo an admin's edits.
fn kept<const N: usize>(columns: [&'static str; N]) -> OnConflict {
    OnConflict::columns(columns).do_nothing().to_owned()
}

/// Rows of users' data that refer to an app; a seeded app with any of them is kept by `down`.
const APP_REFERENCES: [&str; 3] = ["dust_transactions", "user_recipes", "llm_usage_logs"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let now = chrono::Utc::now().trunc_subsecs(6);

        manager
            .exec_stmt(
                Query::insert()
                    .into_table("users")
                    .columns([
                        "id",
                        "fairyname",
                        "is_system",
                        "is_active",
                        "created_at",
                        "updated_at",
                    ])
                    .values_panic([
                        SYSTEM_USER_ID.into(),
                        "fairydust_system".into(),
                        true.into(),
                        true.into(),
                        now.into(),
                        now.into(),
                    ])
                    .on_conflict(kept(["id"]))
                    .take(),
            )
            .await?;

        let mut apps = Query::insert()
            .into_table("apps")
            .columns([
                "id",
                "builder_id",
                "name",
                "slug",
                "description",
                "category",
                "status",
                "is_active",
                "created_at",
                "updated_at",
            ])
            .take();
        for app in &FIRST_PARTY_APPS {
            apps.values_panic([
                app.id.into(),
                SYSTEM_USER_ID.into(),
                app.name.into(),
                app.slug.into(),
                app.description.into(),
                app.category.into(),
                "approved".into(),
                true.into(),
                now.into(),
                now.into(),
            ]);
        }
        apps.on_conflict(kept(["id"]));
        manager.exec_stmt(apps).await?;

        let mut actions = Query::insert()
            .into_table("app_actions")
            .columns([
                "id",
                "app_id",
                "action",
                "dust_cost",
                "description",
                "created_at",
                "updated_at",
            ])
            .take();
        for (action, cost, description) in STORY_ACTIONS {
            actions.values_panic([
                Uuid::now_v7().into(),
                STORY_APP_ID.into(),
                action.into(),
                cost.into(),
                description.into(),
                now.into(),
                now.into(),
            ]);
        }
        actions.on_conflict(kept(["app_id", "action"]));
        manager.exec_stmt(actions).await?;

        let mut models = Query::insert()
            .into_table("llm_models")
            .columns([
                "id",
                "provider",
                "model_id",
                "input_usd_per_million",
                "output_usd_per_million",
                "is_active",
                "created_at",
                "updated_at",
            ])
            .take();
        for (provider, model, input, output) in LLM_PRICES {
            models.values_panic([
                Uuid::now_v7().into(),
                provider.into(),
                model.into(),
                usd_value(backend, input),
                usd_value(backend, output),
                true.into(),
                now.into(),
                now.into(),
            ]);
        }
        models.on_conflict(kept(["model_id"]));
        manager.exec_stmt(models).await?;

        let mut configs = Query::insert()
            .into_table("app_model_configs")
            .columns([
                "id",
                "app_id",
                "primary_provider",
                "primary_model",
                "primary_parameters",
                "fallback_models",
                "cost_limits",
                "feature_flags",
                "created_at",
                "updated_at",
            ])
            .take();
        for config in model_configs() {
            configs.values_panic([
                Uuid::now_v7().into(),
                config.app_id.into(),
                config.provider.into(),
                config.model.into(),
                config.parameters.into(),
                config.fallbacks.into(),
                config.cost_limits.into(),
                feature_flags().into(),
                now.into(),
                now.into(),
            ]);
        }
        configs.on_conflict(kept(["app_id"]));
        manager.exec_stmt(configs).await?;

        let mut questions = Query::insert()
            .into_table("profiling_questions")
            .columns([
                "id",
                "category",
                "question_text",
                "question_type",
                "profile_field",
                "priority",
                "options",
                "app_context",
                "min_app_uses",
                "dust_reward",
                "is_active",
                "created_at",
                "updated_at",
            ])
            .take();
        for question in starter_questions() {
            questions.values_panic([
                question.id.into(),
                question.category.into(),
                question.text.into(),
                question.kind.into(),
                question.profile_field.into(),
                question.priority.into(),
                question.options.into(),
                serde_json::json!(question.apps).into(),
                0.into(),
                STARTER_QUESTION_REWARD.into(),
                true.into(),
                now.into(),
                now.into(),
            ]);
        }
        questions.on_conflict(kept(["id"]));
        manager.exec_stmt(questions).await?;
        Ok(())
    }

    /// Removes the seed rows nothing refers to. What users' data refers to — an answered question, a
    /// first-party app with transactions or recipes — stays: deleting it would delete or orphan their
    /// data. Re-applying the seed skips what stayed.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ids: Vec<String> = starter_questions()
            .iter()
            .map(|q| q.id.to_owned())
            .collect();
        manager
            .exec_stmt(
                Query::delete()
                    .from_table("profiling_questions")
                    .and_where(Expr::col("id").is_in(ids))
                    .and_where(
                        Expr::col("id").not_in_subquery(
                            Query::select()
                                .column("question_id")
                                .from("question_responses")
                                .take(),
                        ),
                    )
                    .take(),
            )
            .await?;
        manager
            .exec_stmt(Query::delete().from_table("llm_models").take())
            .await?;
        // An unreferenced system app goes with its actions and model config (they cascade).
        let mut unreferenced = Query::delete()
            .from_table("apps")
            .and_where(Expr::col("builder_id").eq(SYSTEM_USER_ID))
            .take();
        for table in APP_REFERENCES {
            unreferenced.and_where(
                Expr::col("id").not_in_subquery(
                    Query::select()
                        .column("app_id")
                        .from(table)
                        .and_where(Expr::col("app_id").is_not_null())
                        .take(),
                ),
            );
        }
        manager.exec_stmt(unreferenced).await?;
        // The system account goes once none of its apps is left.
        manager
            .exec_stmt(
                Query::delete()
                    .from_table("users")
                    .and_where(Expr::col("id").eq(SYSTEM_USER_ID))
                    .and_where(
                        Expr::col("id").not_in_subquery(
                            Query::select().column("builder_id").from("apps").take(),
                        ),
                    )
                    .take(),
            )
            .await?;
        Ok(())
    }
}
