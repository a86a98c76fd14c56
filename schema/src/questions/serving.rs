//! What a user is asked, and what they answered.

use fairydust_entities::{dust_transactions, profiling_questions, question_responses};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use uuid::Uuid;

use super::QuestionsError;
use crate::apps::catalog::{self, AppRef};
use crate::ledger::TransactionKind;

/// The app slugs a question is asked in; empty means every app.
pub fn app_slugs(question: &profiling_questions::Model) -> Vec<String> {
    match &question.app_context {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn asked_in(question: &profiling_questions::Model, app_slug: &str) -> bool {
    let slugs = app_slugs(question);
    slugs.is_empty() || slugs.iter().any(|slug| slug == app_slug)
}

/// How often the user has used the app: their `consume` transactions in it.
async fn app_uses<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    app_id: Uuid,
) -> Result<u64, sea_orm::DbErr> {
    use dust_transactions::Column as C;
    dust_transactions::Entity::find()
        .filter(C::UserId.eq(user_id))
        .filter(C::AppId.eq(app_id))
        .filter(C::Kind.eq(TransactionKind::Consume))
        .count(conn)
        .await
}

/// The active questions the user has not answered yet that apply to the app and that the user has
/// used the app enough for, highest priority first.
pub async fn unanswered_for_app<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    app: &AppRef,
) -> Result<Vec<profiling_questions::Model>, QuestionsError> {
    let app = catalog::find_app(conn, app)
        .await?
        .ok_or(QuestionsError::NotFound("App"))?;
    let uses = i64::try_from(app_uses(conn, user_id, app.id).await?).unwrap_or(i64::MAX);
    let answered = Query::select()
        .column(question_responses::Column::QuestionId)
        .from(question_responses::Entity)
        .and_where(question_responses::Column::UserId.eq(user_id))
        .to_owned();
    use profiling_questions::Column as Q;
    let candidates = profiling_questions::Entity::find()
        .filter(Q::IsActive.eq(true))
        .filter(Q::MinAppUses.lte(uses))
        .filter(Q::Id.not_in_subquery(answered))
        .order_by_desc(Q::Priority)
        .order_by_asc(Q::Id)
        .all(conn)
        .await?;
    // The app list is a short JSON array; matching it here keeps one query that reads the same on
    // both backends, whose JSON operators differ.
    Ok(candidates
        .into_iter()
        .filter(|question| asked_in(question, &app.slug))
        .collect())
}

/// The user's answers, the latest first.
pub async fn answers_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> Result<Vec<question_responses::Model>, QuestionsError> {
    use question_responses::Column as R;
    Ok(question_responses::Entity::find()
        .filter(R::UserId.eq(user_id))
        .order_by_desc(R::UpdatedAt)
        .order_by_asc(R::QuestionId)
        .all(conn)
        .await?)
}
