//! The admins' view of the catalogue: how often each question was answered and what it paid.

use std::collections::HashMap;

use fairydust_entities::{profiling_questions, question_responses};
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder, QuerySelect};

use super::QuestionsError;

#[derive(Clone, Debug)]
pub struct QuestionStats {
    pub question: profiling_questions::Model,
    pub answers: i64,
    pub dust_granted: i64,
}

/// Every question with its number of answers and the DUST paid for them, highest priority first:
/// the questions and one grouped count, whatever their number.
pub async fn per_question(db: &DatabaseConnection) -> Result<Vec<QuestionStats>, QuestionsError> {
    use profiling_questions::Column as Q;
    use question_responses::Column as R;
    let questions = profiling_questions::Entity::find()
        .order_by_desc(Q::Priority)
        .order_by_asc(Q::Id)
        .all(db)
        .await?;
    let totals: HashMap<String, (i64, Option<i64>)> = question_responses::Entity::find()
        .select_only()
        .column(R::QuestionId)
        .column_as(Expr::cust("COUNT(*)"), "answers")
        .column_as(Expr::cust("CAST(SUM(dust_reward) AS BIGINT)"), "granted")
        .group_by(R::QuestionId)
        .into_tuple::<(String, i64, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, answers, granted)| (id, (answers, granted)))
        .collect();
    Ok(questions
        .into_iter()
        .map(|question| {
            let (answers, granted) = totals.get(&question.id).copied().unwrap_or_default();
            QuestionStats {
                question,
                answers,
                dust_granted: granted.unwrap_or(0),
            }
        })
        .collect())
}
