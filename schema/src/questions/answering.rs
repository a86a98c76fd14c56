//! Answering questions: each answer is stored, copied into the profile, and paid for once.

use std::collections::{HashMap, HashSet};

use fairydust_entities::{dust_transactions, now, profiling_questions, question_responses, users};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use super::QuestionsError;
use super::options::QuestionOptions;
use crate::cache::Cache;
use crate::db_errors::violates_unique;
use crate::ledger::consume::UNIQUE_IDEMPOTENCY_KEY;
use crate::ledger::{self, Entry, LedgerError, TransactionKind, events};
use crate::profile::context;
use crate::profile::data::{self, Fact};

pub const MAX_ANSWERS_PER_CALL: usize = 20;

#[derive(Clone, Debug)]
pub struct Answer {
    pub question_id: String,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub struct Answered {
    /// The stored answers, in the order they were given.
    pub responses: Vec<question_responses::Model>,
    pub dust_granted: i32,
    pub balance: i32,
}

/// The ledger key that makes a question's reward once-only per user.
fn reward_key(question_id: &str) -> String {
    format!("question:{question_id}")
}

/// Stores the answers and their profile facts and pays each question's reward the first time it is
/// answered, all in one database transaction. Answering again replaces the value and pays nothing.
pub async fn answer(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    limits: &crate::settings::ProfileLimits,
    user_id: Uuid,
    answers: Vec<Answer>,
) -> Result<Answered, QuestionsError> {
    let checked = check(db, answers).await?;
    let ids: Vec<String> = checked.iter().map(|(q, _)| q.id.clone()).collect();

    let txn = db.begin().await?;
    // Write first: the user's row lock (SQLite's write lock) orders this user's concurrent calls, so
    // the next read sees what an earlier call committed.
    let balance_before = start_profiling_session(&txn, user_id).await?;
    let answered_before: HashSet<String> = question_responses::Entity::find()
        .filter(question_responses::Column::UserId.eq(user_id))
        .filter(question_responses::Column::QuestionId.is_in(ids.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|response| response.question_id)
        .collect();

    let mut rewards = Vec::new();
    let mut granted: HashMap<&str, i32> = HashMap::new();
    for (question, _) in &checked {
        if question.dust_reward > 0
            && !answered_before.contains(&question.id)
            && let Some(row) = reward_once(&txn, user_id, question).await?
        {
            granted.insert(&question.id, row.amount);
            rewards.push(row);
        }
    }

    store_responses(&txn, user_id, &checked, &granted).await?;
    data::lock_user(&txn, user_id).await?;
    data::upsert_for_user(&txn, limits, user_id, &profile_facts(&checked)).await?;
    let mut responses = question_responses::Entity::find()
        .filter(question_responses::Column::UserId.eq(user_id))
        .filter(question_responses::Column::QuestionId.is_in(ids.clone()))
        .all(&txn)
        .await?;
    txn.commit().await?;

    for row in &rewards {
        events::publish(cache, row).await;
    }
    context::invalidate(cache, user_id).await?;
    responses.sort_by_key(|response| ids.iter().position(|id| *id == response.question_id));
    Ok(Answered {
        responses,
        dust_granted: granted.values().sum(),
        balance: rewards
            .last()
            .map_or(balance_before, |row| row.balance_after),
    })
}

/// Each answer's question (active, else NOT_FOUND) and its value as it will be stored.
async fn check(
    db: &DatabaseConnection,
    answers: Vec<Answer>,
) -> Result<Vec<(profiling_questions::Model, Value)>, QuestionsError> {
    if !(1..=MAX_ANSWERS_PER_CALL).contains(&answers.len()) {
        return Err(QuestionsError::InvalidInput(format!(
            "send 1–{MAX_ANSWERS_PER_CALL} answers at a time"
        )));
    }
    let mut ids = HashSet::new();
    if let Some(twice) = answers.iter().find(|a| !ids.insert(a.question_id.as_str())) {
        return Err(QuestionsError::InvalidInput(format!(
            "question {:?} is answered twice in one call",
            twice.question_id
        )));
    }
    let mut questions: HashMap<String, profiling_questions::Model> =
        profiling_questions::Entity::find()
            .filter(profiling_questions::Column::Id.is_in(ids))
            .filter(profiling_questions::Column::IsActive.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|question| (question.id.clone(), question))
            .collect();
    answers
        .into_iter()
        .map(|answer| {
            let question = questions
                .remove(&answer.question_id)
                .ok_or_else(|| QuestionsError::QuestionNotFound(answer.question_id.clone()))?;
            let value = stored_options(&question)?
                .check_answer(&answer.value)
                .map_err(|why| {
                    QuestionsError::InvalidInput(format!("the answer to {:?} {why}", question.id))
                })?;
            Ok((question, value))
        })
        .collect()
}

/// Options were validated when the question was written; unreadable ones are a server fault.
fn stored_options(
    question: &profiling_questions::Model,
) -> Result<QuestionOptions, QuestionsError> {
    QuestionOptions::parse(question.question_type, &question.options).map_err(|why| {
        QuestionsError::Database(sea_orm::DbErr::Json(format!(
            "profiling question {:?}: {why}",
            question.id
        )))
    })
}

/// Counts a profiling session and returns the balance before any reward.
async fn start_profiling_session(
    txn: &DatabaseTransaction,
    user_id: Uuid,
) -> Result<i32, QuestionsError> {
    let at = now();
    let updated = users::Entity::update_many()
        .col_expr(
            users::Column::TotalProfilingSessions,
            Expr::col(users::Column::TotalProfilingSessions).add(1),
        )
        .col_expr(users::Column::LastProfilingSessionAt, Expr::value(at))
        .col_expr(users::Column::UpdatedAt, Expr::value(at))
        .filter(users::Column::Id.eq(user_id))
        .exec_with_returning(txn)
        .await?;
    updated
        .first()
        .map(|user| user.dust_balance)
        .ok_or(QuestionsError::NotFound("User"))
}

/// Pays a question's reward unless the ledger already holds it. The idempotency key makes it
/// once-only even against a concurrent call; the savepoint keeps the transaction usable after the
/// duplicate is refused (PostgreSQL aborts a transaction on a failed statement).
async fn reward_once(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    question: &profiling_questions::Model,
) -> Result<Option<dust_transactions::Model>, QuestionsError> {
    let entry = Entry {
        idempotency_key: Some(reward_key(&question.id)),
        ..Entry::new(user_id, question.dust_reward, TransactionKind::Reward)
            .described(format!("Answered: {}", question.id))
    };
    let savepoint = txn.begin().await?;
    match ledger::post(&savepoint, entry).await {
        Ok(row) => {
            savepoint.commit().await?;
            Ok(Some(row))
        }
        Err(LedgerError::Database(error)) if violates_unique(&error, UNIQUE_IDEMPOTENCY_KEY) => {
            savepoint.rollback().await?;
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// Inserts first answers with the DUST they earned; an answer given again only replaces the value.
async fn store_responses(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    checked: &[(profiling_questions::Model, Value)],
    granted: &HashMap<&str, i32>,
) -> Result<(), QuestionsError> {
    let at = now();
    let rows = checked
        .iter()
        .map(|(question, value)| question_responses::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            question_id: Set(question.id.clone()),
            response_value: Set(value.clone()),
            dust_reward: Set(granted.get(question.id.as_str()).copied().unwrap_or(0)),
            created_at: Set(at),
            updated_at: Set(at),
        });
    use question_responses::Column as R;
    question_responses::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([R::UserId, R::QuestionId])
                .update_columns([R::ResponseValue, R::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// One fact per profile field; when two questions map to the same field, the later answer wins.
fn profile_facts(checked: &[(profiling_questions::Model, Value)]) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    for (question, value) in checked {
        facts.retain(|fact| fact.field_name != question.profile_field);
        facts.push(Fact {
            category: question.category.clone(),
            field_name: question.profile_field.clone(),
            value: value.clone(),
            confidence: 1.0,
            source: "question".to_owned(),
            app_context: None,
        });
    }
    facts
}
