//! Profiling questions and answers, recipes, stories and story generation logs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{check, drop_tables, fk, id, index, unique, with_timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("profiling_questions")
                        .col(string_len("id", 64).primary_key())
                        .col(string_len("category", 50))
                        .col(text("question_text"))
                        .col(string_len("question_type", 20))
                        .col(string_len("profile_field", 100))
                        .col(integer("priority"))
                        .col(json_binary("options"))
                        .col(json_binary("app_context"))
                        .col(integer("min_app_uses").default(0))
                        .col(integer("dust_reward").default(0))
                        .col(boolean("is_active").default(true))
                        .check(check(
                            "ck_profiling_questions_type",
                            "question_type IN ('single_choice', 'multi_select', 'scale', 'text')",
                        ))
                        .check(check(
                            "ck_profiling_questions_priority",
                            "priority BETWEEN 1 AND 10",
                        ))
                        .check(check(
                            "ck_profiling_questions_dust_reward",
                            "dust_reward >= 0",
                        ))
                        .check(check(
                            "ck_profiling_questions_min_app_uses",
                            "min_app_uses >= 0",
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "profiling_questions",
                "ix_profiling_questions_active_priority",
                &["is_active", "priority"],
            ))
            .await?;

        let mut question_fk = ForeignKey::create()
            .name("fk_question_responses_question_id")
            .from("question_responses", "question_id")
            .to("profiling_questions", "id")
            .on_delete(ForeignKeyAction::Restrict)
            .on_update(ForeignKeyAction::Cascade)
            .take();
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("question_responses")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(string_len("question_id", 64))
                        .col(json_binary("response_value"))
                        .col(integer("dust_reward").default(0))
                        .foreign_key(&mut fk(
                            "question_responses",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut question_fk),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "question_responses",
                "uq_question_responses_user_question",
                &["user_id", "question_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "question_responses",
                "ix_question_responses_question",
                &["question_id"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("user_recipes")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(uuid("app_id"))
                        .col(string_len_null("client_id", 128))
                        .col(string_len("title", 500))
                        .col(text("content"))
                        .col(string_len_null("category", 100))
                        .col(json_binary("metadata"))
                        .col(boolean("is_favorited").default(false))
                        .col(timestamp_with_time_zone_null("deleted_at"))
                        .col(timestamp_with_time_zone("client_updated_at"))
                        .foreign_key(&mut fk(
                            "user_recipes",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "user_recipes",
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
                "user_recipes",
                "uq_user_recipes_user_client",
                &["user_id", "client_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "user_recipes",
                "ix_user_recipes_user_created",
                &["user_id", "created_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "user_recipes",
                "ix_user_recipes_user_updated",
                &["user_id", "updated_at"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("user_stories")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(string_len("title", 500))
                        .col(text("content"))
                        .col(string_len("genre", 20))
                        .col(string_len("length", 10))
                        .col(string_len("target_audience", 10))
                        .col(json_binary("characters"))
                        .col(json_binary("metadata"))
                        .col(integer("dust_cost"))
                        .col(integer("word_count"))
                        .col(boolean("is_favorited").default(false))
                        .col(string_len_null("idempotency_key", 128))
                        .check(check(
                            "ck_user_stories_genre",
                            "genre IN ('adventure', 'fantasy', 'romance', 'comedy', 'mystery', 'family', 'bedtime')",
                        ))
                        .check(check("ck_user_stories_length", "length IN ('short', 'medium', 'long')"))
                        .check(check(
                            "ck_user_stories_audience",
                            "target_audience IN ('child', 'family', 'adult')",
                        ))
                        .foreign_key(&mut fk("user_stories", "user_id", "users", ForeignKeyAction::Cascade)),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "user_stories",
                "ix_user_stories_user_created",
                &["user_id", "created_at", "id"],
            ))
            .await?;
        manager
            .create_index(unique(
                "user_stories",
                "uq_user_stories_idempotency",
                &["user_id", "idempotency_key"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("story_generation_logs")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(uuid_null("story_id"))
                        .col(string_len_null("model", 100))
                        .col(integer("prompt_tokens").default(0))
                        .col(integer("completion_tokens").default(0))
                        .col(integer("latency_ms").default(0))
                        .col(boolean("success"))
                        .col(text_null("error"))
                        .foreign_key(&mut fk(
                            "story_generation_logs",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "story_generation_logs",
                            "story_id",
                            "user_stories",
                            ForeignKeyAction::SetNull,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "story_generation_logs",
                "ix_story_generation_logs_user_created",
                &["user_id", "created_at"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "story_generation_logs",
                "user_stories",
                "user_recipes",
                "question_responses",
                "profiling_questions",
            ],
        )
        .await
    }
}
