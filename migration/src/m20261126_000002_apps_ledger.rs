//! Apps and their prices, the DUST ledger, LLM models, configs and usage, and the admin audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{check, drop_tables, fk, id, index, unique, usd, with_timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("apps")
                        .col(id())
                        .col(uuid("builder_id"))
                        .col(string_len("name", 100))
                        .col(string_len("slug", 64))
                        .col(text("description"))
                        .col(string_len("category", 20))
                        .col(text_null("icon_url"))
                        .col(text_null("website_url"))
                        .col(text_null("demo_url"))
                        .col(text_null("callback_url"))
                        .col(string_len("status", 20).default("approved"))
                        .col(boolean("is_active").default(true))
                        .col(text_null("admin_notes"))
                        .check(check(
                            "ck_apps_category",
                            "category IN ('productivity', 'entertainment', 'education', 'business', 'creative', \
                             'utilities', 'games', 'lifestyle', 'other')",
                        ))
                        .check(check(
                            "ck_apps_status",
                            "status IN ('pending', 'approved', 'rejected', 'suspended')",
                        ))
                        .foreign_key(&mut fk("apps", "builder_id", "users", ForeignKeyAction::Cascade)),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique("apps", "uq_apps_slug", &["slug"]))
            .await?;
        manager
            .create_index(index("apps", "ix_apps_builder", &["builder_id"]))
            .await?;
        manager
            .create_index(index(
                "apps",
                "ix_apps_marketplace",
                &["status", "is_active", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("app_actions")
                        .col(id())
                        .col(uuid("app_id"))
                        .col(string_len("action", 64))
                        .col(integer("dust_cost"))
                        .col(text_null("description"))
                        .check(check("ck_app_actions_dust_cost_positive", "dust_cost > 0"))
                        .foreign_key(&mut fk(
                            "app_actions",
                            "app_id",
                            "apps",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "app_actions",
                "uq_app_actions_app_action",
                &["app_id", "action"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("dust_transactions")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(integer("amount"))
                        .col(integer("balance_after"))
                        .col(string_len("type", 20))
                        .col(string_len("status", 20).default("completed"))
                        .col(uuid_null("app_id"))
                        .col(string_len_null("action", 64))
                        .col(integer_null("quantity"))
                        .col(text_null("description"))
                        .col(string_len_null("idempotency_key", 128))
                        .col(string_len_null("request_hash", 64))
                        .col(uuid_null("reference_id"))
                        .col(string_len_null("payment_id", 128))
                        .col(integer_null("payment_amount_cents"))
                        .col(uuid_null("actor_id"))
                        .col(json_binary_null("metadata"))
                        .check(check("ck_dust_transactions_amount_non_zero", "amount <> 0"))
                        .check(check("ck_dust_transactions_balance_after_non_negative", "balance_after >= 0"))
                        .check(check(
                            "ck_dust_transactions_type",
                            "type IN ('grant', 'consume', 'purchase', 'refund', 'reward', 'adjustment')",
                        ))
                        .check(check(
                            "ck_dust_transactions_sign",
                            "(type IN ('consume') AND amount < 0) OR (type IN ('grant', 'purchase', 'refund', \
                             'reward') AND amount > 0) OR type = 'adjustment'",
                        ))
                        .foreign_key(&mut fk("dust_transactions", "user_id", "users", ForeignKeyAction::Cascade))
                        .foreign_key(&mut fk("dust_transactions", "app_id", "apps", ForeignKeyAction::SetNull))
                        .foreign_key(&mut fk(
                            "dust_transactions",
                            "reference_id",
                            "dust_transactions",
                            ForeignKeyAction::SetNull,
                        ))
                        .foreign_key(&mut fk("dust_transactions", "actor_id", "users", ForeignKeyAction::SetNull)),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "dust_transactions",
                "uq_dust_transactions_idempotency",
                &["user_id", "idempotency_key"],
            ))
            .await?;
        manager
            .create_index(index(
                "dust_transactions",
                "ix_dust_transactions_user_created",
                &["user_id", "created_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "dust_transactions",
                "ix_dust_transactions_app_created",
                &["app_id", "created_at"],
            ))
            .await?;
        // Partial unique indexes: the same statement is valid on PostgreSQL and SQLite.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_dust_transactions_refund_reference ON dust_transactions (reference_id) \
             WHERE type = 'refund'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_dust_transactions_payment ON dust_transactions (payment_id) \
             WHERE type = 'purchase'",
        )
        .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("llm_models")
                        .col(id())
                        .col(string_len("provider", 20))
                        .col(string_len("model_id", 100))
                        .col(usd("input_usd_per_million", 12, backend))
                        .col(usd("output_usd_per_million", 12, backend))
                        .col(boolean("is_active").default(true))
                        .check(check(
                            "ck_llm_models_provider",
                            "provider IN ('anthropic', 'openai')",
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "llm_models",
                "uq_llm_models_model_id",
                &["model_id"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("app_model_configs")
                        .col(id())
                        .col(uuid("app_id"))
                        .col(string_len("primary_provider", 20))
                        .col(string_len("primary_model", 100))
                        .col(json_binary("primary_parameters"))
                        .col(json_binary("fallback_models"))
                        .col(json_binary("cost_limits"))
                        .col(json_binary("feature_flags"))
                        .check(check(
                            "ck_app_model_configs_provider",
                            "primary_provider IN ('anthropic', 'openai')",
                        ))
                        .foreign_key(&mut fk(
                            "app_model_configs",
                            "app_id",
                            "apps",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "app_model_configs",
                "uq_app_model_configs_app",
                &["app_id"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("llm_usage_logs")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(uuid("app_id"))
                        .col(string_len("provider", 20))
                        .col(string_len("model", 100))
                        .col(integer("prompt_tokens"))
                        .col(integer("completion_tokens"))
                        .col(integer("total_tokens"))
                        .col(usd("cost_usd", 12, backend))
                        .col(integer("latency_ms"))
                        .col(string_len_null("finish_reason", 50))
                        .col(boolean("was_fallback").default(false))
                        .col(string_len_null("fallback_reason", 50))
                        .col(string_len_null("action", 64))
                        .col(boolean("success").default(true))
                        .col(text_null("error"))
                        .check(check(
                            "ck_llm_usage_logs_tokens",
                            "prompt_tokens >= 0 AND completion_tokens >= 0 AND \
                             total_tokens = prompt_tokens + completion_tokens",
                        ))
                        .foreign_key(&mut fk(
                            "llm_usage_logs",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "llm_usage_logs",
                            "app_id",
                            "apps",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "llm_usage_logs",
                "ix_llm_usage_logs_app_created",
                &["app_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "llm_usage_logs",
                "ix_llm_usage_logs_user_created",
                &["user_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "llm_usage_logs",
                "ix_llm_usage_logs_created",
                &["created_at"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("admin_audit_log")
                        .col(id())
                        .col(uuid_null("actor_id"))
                        .col(string_len("action", 64))
                        .col(string_len("target_type", 32))
                        .col(string_len("target_id", 64))
                        .col(json_binary_null("before"))
                        .col(json_binary_null("after"))
                        .col(text_null("reason"))
                        .foreign_key(&mut fk(
                            "admin_audit_log",
                            "actor_id",
                            "users",
                            ForeignKeyAction::SetNull,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "admin_audit_log",
                "ix_admin_audit_log_created",
                &["created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "admin_audit_log",
                "ix_admin_audit_log_target",
                &["target_type", "target_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "admin_audit_log",
                "llm_usage_logs",
                "app_model_configs",
                "llm_models",
                "dust_transactions",
                "app_actions",
                "apps",
            ],
        )
        .await
    }
}
