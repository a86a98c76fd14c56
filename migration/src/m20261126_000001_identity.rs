//! Users and everything that belongs to a person: ways in, sessions, profile data, people in their life.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{check, drop_tables, fk, id, index, unique, with_timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PROFILE_SOURCES: &str =
    "source IN ('user_input', 'inferred', 'question', 'migration', 'app')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("users")
                        .col(id())
                        .col(string_len("fairyname", 50))
                        .col(string_len_null("email", 320))
                        .col(string_len_null("phone", 20))
                        .col(boolean("is_builder").default(false))
                        .col(boolean("is_admin").default(false))
                        .col(boolean("is_active").default(true))
                        .col(boolean("is_system").default(false))
                        .col(integer("dust_balance").default(0))
                        .col(string_len_null("first_name", 100))
                        .col(date_null("birth_date"))
                        .col(string_len_null("age_range", 20))
                        .col(string_len_null("city", 100))
                        .col(string_len_null("country", 100))
                        .col(text_null("avatar_url"))
                        .col(integer("streak_days").default(0))
                        .col(date_null("last_daily_bonus_date"))
                        .col(timestamp_with_time_zone_null("last_daily_bonus_at"))
                        .col(integer("total_profiling_sessions").default(0))
                        .col(timestamp_with_time_zone_null("last_profiling_session_at"))
                        .check(check(
                            "ck_users_dust_balance_non_negative",
                            "dust_balance >= 0",
                        ))
                        .check(check(
                            "ck_users_streak_days_non_negative",
                            "streak_days >= 0",
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique("users", "uq_users_fairyname", &["fairyname"]))
            .await?;
        manager
            .create_index(unique("users", "uq_users_email", &["email"]))
            .await?;
        manager
            .create_index(unique("users", "uq_users_phone", &["phone"]))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("auth_identities")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(string_len("provider", 20))
                        .col(string_len("provider_user_id", 255))
                        .col(string_len_null("email", 320))
                        .col(boolean("email_verified").default(false))
                        .check(check(
                            "ck_auth_identities_provider",
                            "provider IN ('google', 'apple', 'facebook')",
                        ))
                        .foreign_key(&mut fk(
                            "auth_identities",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "auth_identities",
                "uq_auth_identities_provider_user",
                &["provider", "provider_user_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "auth_identities",
                "ix_auth_identities_user",
                &["user_id"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("auth_sessions")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(string_len("refresh_token_hash", 64))
                        .col(uuid("family_id"))
                        .col(timestamp_with_time_zone("expires_at"))
                        .col(timestamp_with_time_zone_null("rotated_at"))
                        .col(timestamp_with_time_zone_null("revoked_at"))
                        .col(timestamp_with_time_zone("last_used_at"))
                        .col(text_null("user_agent"))
                        .col(string_len_null("ip", 64))
                        .foreign_key(&mut fk(
                            "auth_sessions",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "auth_sessions",
                "uq_auth_sessions_refresh_token_hash",
                &["refresh_token_hash"],
            ))
            .await?;
        manager
            .create_index(index(
                "auth_sessions",
                "ix_auth_sessions_user",
                &["user_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "auth_sessions",
                "ix_auth_sessions_family",
                &["family_id"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("user_profile_data")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(string_len("category", 50))
                        .col(string_len("field_name", 100))
                        .col(json_binary("field_value"))
                        .col(double("confidence").default(1.0))
                        .col(string_len("source", 20))
                        .col(string_len_null("app_context", 64))
                        .check(check(
                            "ck_user_profile_data_confidence",
                            "confidence >= 0 AND confidence <= 1",
                        ))
                        .check(check("ck_user_profile_data_source", PROFILE_SOURCES))
                        .foreign_key(&mut fk(
                            "user_profile_data",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "user_profile_data",
                "uq_user_profile_data_user_field",
                &["user_id", "field_name"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("people_in_my_life")
                        .col(id())
                        .col(uuid("user_id"))
                        .col(string_len("name", 100))
                        .col(string_len_null("relationship", 50))
                        .col(date_null("birth_date"))
                        .col(string_len_null("age_range", 20))
                        .foreign_key(&mut fk(
                            "people_in_my_life",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "people_in_my_life",
                "ix_people_in_my_life_user",
                &["user_id", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                with_timestamps(
                    Table::create()
                        .table("person_profile_data")
                        .col(id())
                        .col(uuid("person_id"))
                        .col(uuid("user_id"))
                        .col(string_len("category", 50))
                        .col(string_len("field_name", 100))
                        .col(json_binary("field_value"))
                        .col(double("confidence").default(1.0))
                        .col(string_len("source", 20))
                        .check(check(
                            "ck_person_profile_data_confidence",
                            "confidence >= 0 AND confidence <= 1",
                        ))
                        .check(check("ck_person_profile_data_source", PROFILE_SOURCES))
                        .foreign_key(&mut fk(
                            "person_profile_data",
                            "person_id",
                            "people_in_my_life",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut fk(
                            "person_profile_data",
                            "user_id",
                            "users",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_index(unique(
                "person_profile_data",
                "uq_person_profile_data_person_field",
                &["person_id", "field_name"],
            ))
            .await?;
        manager
            .create_index(index(
                "person_profile_data",
                "ix_person_profile_data_user",
                &["user_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "person_profile_data",
                "people_in_my_life",
                "user_profile_data",
                "auth_sessions",
                "auth_identities",
                "users",
            ],
        )
        .await
    }
}
