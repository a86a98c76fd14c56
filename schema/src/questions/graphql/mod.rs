//! Profiling questions over GraphQL: users are asked and answer for themselves; admins keep the
//! catalogue. Unknown and inactive questions are NOT_FOUND to users.

mod types;

use async_graphql::{Context, ID, Object};

pub use self::types::{
    AnsweredQuestions, CreateQuestionInput, ProfilingQuestion, QuestionAnswer, QuestionAnswerInput,
    QuestionStat, UpdateQuestionInput,
};
use super::admin;
use super::answering::{self, Answer};
use super::{serving, stats};
use crate::apps::catalog::AppRef;
use crate::auth::{ContextExt, RequireAdmin, RequireUser};
use crate::error::ApiResult;

#[derive(Default)]
pub struct QuestionsQuery;

#[Object]
impl QuestionsQuery {
    /// The questions to ask the caller in this app now: active, not answered yet, meant for the app
    /// and unlocked by the caller's uses of it; highest priority first.
    #[graphql(guard = "RequireUser")]
    async fn profiling_questions(
        &self,
        ctx: &Context<'_>,
        app_id: ID,
    ) -> ApiResult<Vec<ProfilingQuestion>> {
        let user_id = ctx.principal()?.user_id;
        let questions =
            serving::unanswered_for_app(&ctx.state().db, user_id, &AppRef::parse(&app_id)).await?;
        Ok(questions.into_iter().map(ProfilingQuestion).collect())
    }

    /// The caller's answers, the latest first.
    #[graphql(guard = "RequireUser")]
    async fn my_answers(&self, ctx: &Context<'_>) -> ApiResult<Vec<QuestionAnswer>> {
        let user_id = ctx.principal()?.user_id;
        let answers = serving::answers_of(&ctx.state().db, user_id).await?;
        Ok(answers.into_iter().map(QuestionAnswer).collect())
    }

    /// Every question, active or not, with its answers and the DUST paid for them.
    #[graphql(guard = "RequireAdmin")]
    async fn question_stats(&self, ctx: &Context<'_>) -> ApiResult<Vec<QuestionStat>> {
        let stats = stats::per_question(&ctx.state().db).await?;
        Ok(stats
            .into_iter()
            .map(|stat| QuestionStat {
                question: ProfilingQuestion(stat.question),
                answers: stat.answers,
                dust_granted: stat.dust_granted,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct QuestionsMutation;

#[Object]
impl QuestionsMutation {
    /// Stores 1–20 answers at once, all or none. Each is saved to the profile; a question's DUST
    /// reward is paid the first time it is answered only.
    #[graphql(guard = "RequireUser")]
    async fn answer_questions(
        &self,
        ctx: &Context<'_>,
        answers: Vec<QuestionAnswerInput>,
    ) -> ApiResult<AnsweredQuestions> {
        let user_id = ctx.principal()?.user_id;
        let answers = answers
            .into_iter()
            .map(|answer| Answer {
                question_id: answer.question_id.0,
                value: answer.value.0,
            })
            .collect();
        let state = ctx.state();
        let limits = &state.settings.profile;
        let answered =
            answering::answer(&state.db, &*state.cache, limits, user_id, answers).await?;
        Ok(AnsweredQuestions {
            answers: answered.responses.into_iter().map(QuestionAnswer).collect(),
            dust_granted: answered.dust_granted,
            balance: answered.balance,
        })
    }

    /// Adds a question to the catalogue (admins); the id is taken once (CONFLICT).
    #[graphql(guard = "RequireAdmin")]
    async fn create_question(
        &self,
        ctx: &Context<'_>,
        input: CreateQuestionInput,
    ) -> ApiResult<ProfilingQuestion> {
        let admin_id = ctx.principal()?.user_id;
        let (id, fields) = input.into_parts();
        let question = admin::create(&ctx.state().db, admin_id, &id, fields).await?;
        Ok(ProfilingQuestion(question))
    }

    /// Changes the given fields of a question (admins); existing answers keep their values.
    #[graphql(guard = "RequireAdmin")]
    async fn update_question(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateQuestionInput,
    ) -> ApiResult<ProfilingQuestion> {
        let admin_id = ctx.principal()?.user_id;
        let question = admin::update(&ctx.state().db, admin_id, &id, input.into()).await?;
        Ok(ProfilingQuestion(question))
    }

    /// An inactive question is neither asked nor accepted; its answers stay.
    #[graphql(guard = "RequireAdmin")]
    async fn set_question_active(
        &self,
        ctx: &Context<'_>,
        id: ID,
        active: bool,
    ) -> ApiResult<ProfilingQuestion> {
        let admin_id = ctx.principal()?.user_id;
        let question = admin::set_active(&ctx.state().db, admin_id, &id, active).await?;
        Ok(ProfilingQuestion(question))
    }

    /// Only a question nobody answered can be deleted (else CONFLICT: deactivate it instead).
    /// `reason` (1–500 characters) is kept in the admin audit log.
    #[graphql(guard = "RequireAdmin")]
    async fn delete_question(&self, ctx: &Context<'_>, id: ID, reason: String) -> ApiResult<bool> {
        let admin_id = ctx.principal()?.user_id;
        admin::delete(&ctx.state().db, admin_id, &id, &reason).await?;
        Ok(true)
    }
}
