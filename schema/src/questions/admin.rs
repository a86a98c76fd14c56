//! Admins write the question catalogue. Every change is validated as a whole question and leaves an
//! audit row in the same database transaction.

use std::collections::HashSet;

use fairydust_entities::{apps, now, profiling_questions, question_responses};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::options::QuestionOptions;
use super::{QuestionType, QuestionsError};
use crate::admin::audit::{self, AuditEntry};
use crate::db_errors::{UniqueKey, is_foreign_key_violation, violates_unique};
use crate::validation;

const UNIQUE_ID: UniqueKey = UniqueKey::new("profiling_questions_pkey", "profiling_questions.id");
const PRIORITIES: std::ops::RangeInclusive<i32> = 1..=10;
const MAX_DUST_REWARD: i32 = 100;
const MAX_APPS: usize = 50;

/// A question's editable fields; on update `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct QuestionFields {
    pub category: Option<String>,
    pub text: Option<String>,
    pub kind: Option<QuestionType>,
    pub profile_field: Option<String>,
    pub priority: Option<i32>,
    pub options: Option<Value>,
    pub app_context: Option<Vec<String>>,
    pub min_app_uses: Option<i32>,
    pub dust_reward: Option<i32>,
    pub is_active: Option<bool>,
}

fn invalid(message: impl Into<String>) -> QuestionsError {
    QuestionsError::InvalidInput(message.into())
}

/// `fields` laid over `base` (or over nothing, for a new question), checked as a whole: a new type
/// must suit the options the question keeps.
fn merge(
    id: &str,
    base: Option<&profiling_questions::Model>,
    fields: QuestionFields,
) -> Result<profiling_questions::Model, QuestionsError> {
    let required = |name: &str| invalid(format!("{name} is required"));
    let category = fields
        .category
        .or_else(|| base.map(|q| q.category.clone()))
        .ok_or_else(|| required("category"))?;
    validation::snake_slug("category", &category, 50).map_err(invalid)?;
    let profile_field = fields
        .profile_field
        .or_else(|| base.map(|q| q.profile_field.clone()))
        .ok_or_else(|| required("profileField"))?;
    validation::snake_slug("profileField", &profile_field, 100).map_err(invalid)?;
    let text = match (fields.text, base) {
        (Some(text), _) => validation::text("text", &text, 500).map_err(invalid)?,
        (None, Some(q)) => q.question_text.clone(),
        (None, None) => return Err(required("text")),
    };
    let kind = match (fields.kind, base) {
        (Some(kind), _) => kind,
        (None, Some(q)) => q.question_type,
        (None, None) => return Err(required("type")),
    };
    let raw_options = fields
        .options
        .or_else(|| base.map(|q| q.options.clone()))
        .unwrap_or(Value::Null);
    let options = QuestionOptions::parse(kind, &raw_options).map_err(invalid)?;
    let priority = fields
        .priority
        .or(base.map(|q| q.priority))
        .ok_or_else(|| required("priority"))?;
    if !PRIORITIES.contains(&priority) {
        return Err(invalid(format!(
            "priority must be from {} to {}",
            PRIORITIES.start(),
            PRIORITIES.end()
        )));
    }
    let min_app_uses = fields.min_app_uses.or(base.map(|q| q.min_app_uses));
    let min_app_uses = min_app_uses.unwrap_or(0);
    if min_app_uses < 0 {
        return Err(invalid("minAppUses cannot be negative"));
    }
    let dust_reward = fields.dust_reward.or(base.map(|q| q.dust_reward));
    let dust_reward = dust_reward.unwrap_or(0);
    if !(0..=MAX_DUST_REWARD).contains(&dust_reward) {
        return Err(invalid(format!(
            "dustReward must be from 0 to {MAX_DUST_REWARD}"
        )));
    }
    let app_context = match (fields.app_context, base) {
        (Some(slugs), _) => json!(slugs),
        (None, Some(q)) => q.app_context.clone(),
        (None, None) => json!([]),
    };
    let at = now();
    Ok(profiling_questions::Model {
        id: id.to_owned(),
        category,
        question_text: text,
        question_type: kind,
        profile_field,
        priority,
        options: options.to_json(),
        app_context,
        min_app_uses,
        dust_reward,
        is_active: fields
            .is_active
            .or(base.map(|q| q.is_active))
            .unwrap_or(true),
        created_at: base.map_or(at, |q| q.created_at),
        updated_at: at,
    })
}

/// Every slug must name an existing app, once.
async fn check_app_slugs<C: ConnectionTrait>(
    conn: &C,
    slugs: &[String],
) -> Result<(), QuestionsError> {
    if slugs.len() > MAX_APPS {
        return Err(invalid(format!("appContext lists at most {MAX_APPS} apps")));
    }
    if slugs.is_empty() {
        return Ok(());
    }
    let mut listed = HashSet::new();
    if let Some(twice) = slugs.iter().find(|slug| !listed.insert(slug.as_str())) {
        return Err(invalid(format!(
            "app {twice:?} appears twice in appContext"
        )));
    }
    let known: HashSet<String> = apps::Entity::find()
        .select_only()
        .column(apps::Column::Slug)
        .filter(apps::Column::Slug.is_in(slugs.iter().cloned()))
        .into_tuple::<String>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    match slugs.iter().find(|slug| !known.contains(*slug)) {
        Some(unknown) => Err(invalid(format!(
            "appContext: no app has the slug {unknown:?}"
        ))),
        None => Ok(()),
    }
}

fn snapshot(question: &profiling_questions::Model) -> Option<Value> {
    serde_json::to_value(question).ok()
}

pub async fn create(
    db: &DatabaseConnection,
    admin_id: Uuid,
    id: &str,
    fields: QuestionFields,
) -> Result<profiling_questions::Model, QuestionsError> {
    validation::snake_slug("id", id, 64).map_err(invalid)?;
    check_app_slugs(db, fields.app_context.as_deref().unwrap_or_default()).await?;
    let question = merge(id, None, fields)?;
    let txn = db.begin().await?;
    match profiling_questions::Entity::insert(question.clone().into_active_model())
        .exec_without_returning(&txn)
        .await
    {
        Ok(_) => {}
        Err(error) if violates_unique(&error, UNIQUE_ID) => {
            return Err(QuestionsError::QuestionIdTaken(id.to_owned()));
        }
        Err(error) => return Err(error.into()),
    }
    record(
        &txn,
        admin_id,
        "questions.create",
        id,
        None,
        Some(&question),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(question)
}

pub async fn update(
    db: &DatabaseConnection,
    admin_id: Uuid,
    id: &str,
    fields: QuestionFields,
) -> Result<profiling_questions::Model, QuestionsError> {
    change(db, admin_id, id, fields, "questions.update").await
}

/// Deactivated questions are no longer asked nor accepted as answers; their answers stay.
pub async fn set_active(
    db: &DatabaseConnection,
    admin_id: Uuid,
    id: &str,
    active: bool,
) -> Result<profiling_questions::Model, QuestionsError> {
    let fields = QuestionFields {
        is_active: Some(active),
        ..QuestionFields::default()
    };
    change(db, admin_id, id, fields, "questions.set_active").await
}

/// Applies `fields`; `action` names the change in the audit log.
async fn change(
    db: &DatabaseConnection,
    admin_id: Uuid,
    id: &str,
    fields: QuestionFields,
    action: &str,
) -> Result<profiling_questions::Model, QuestionsError> {
    check_app_slugs(db, fields.app_context.as_deref().unwrap_or_default()).await?;
    let txn = db.begin().await?;
    let before = profiling_questions::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| QuestionsError::QuestionNotFound(id.to_owned()))?;
    let after = merge(id, Some(&before), fields)?
        .into_active_model()
        .reset_all()
        .update(&txn)
        .await?;
    record(
        &txn,
        admin_id,
        action,
        id,
        Some(&before),
        Some(&after),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a question nobody has answered; one with answers stays (deactivate it instead). The
/// foreign key (ON DELETE RESTRICT) also refuses an answer that arrives between the check and the
/// delete.
pub async fn delete(
    db: &DatabaseConnection,
    admin_id: Uuid,
    id: &str,
    reason: &str,
) -> Result<(), QuestionsError> {
    let reason =
        crate::validation::text("reason", reason, 500).map_err(QuestionsError::InvalidInput)?;
    let has_answers = || QuestionsError::QuestionHasAnswers(id.to_owned());
    let txn = db.begin().await?;
    let question = profiling_questions::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| QuestionsError::QuestionNotFound(id.to_owned()))?;
    let answers = question_responses::Entity::find()
        .filter(question_responses::Column::QuestionId.eq(id))
        .count(&txn)
        .await?;
    if answers > 0 {
        return Err(has_answers());
    }
    match profiling_questions::Entity::delete_by_id(id)
        .exec(&txn)
        .await
    {
        Ok(_) => {}
        Err(error) if is_foreign_key_violation(&error) => return Err(has_answers()),
        Err(error) => return Err(error.into()),
    }
    record(
        &txn,
        admin_id,
        "questions.delete",
        id,
        Some(&question),
        None,
        Some(reason),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn record<C: ConnectionTrait>(
    conn: &C,
    admin_id: Uuid,
    action: &str,
    id: &str,
    before: Option<&profiling_questions::Model>,
    after: Option<&profiling_questions::Model>,
    reason: Option<String>,
) -> Result<(), QuestionsError> {
    let entry = AuditEntry {
        actor_id: admin_id,
        action,
        target_type: "profiling_question",
        target_id: id.to_owned(),
        before: before.and_then(snapshot),
        after: after.and_then(snapshot),
        reason,
    };
    Ok(audit::record(conn, entry).await?)
}
