//! The question types of the GraphQL surface and their inputs.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use fairydust_entities::{profiling_questions, question_responses};
use serde_json::Value;

use crate::auth::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::loaders::load_error;
use crate::questions::admin::QuestionFields;
use crate::questions::{ApiQuestionType, serving};

#[derive(Clone)]
pub struct ProfilingQuestion(pub profiling_questions::Model);

#[Object]
impl ProfilingQuestion {
    /// A readable slug, e.g. `cooking_skill_level`.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn category(&self) -> &str {
        &self.0.category
    }

    async fn text(&self) -> &str {
        &self.0.question_text
    }

    #[graphql(name = "type")]
    async fn kind(&self) -> ApiQuestionType {
        self.0.question_type.into()
    }

    /// The profile field an answer is stored in (`me { profileData }`, source QUESTION).
    async fn profile_field(&self) -> &str {
        &self.0.profile_field
    }

    /// 1–10; higher is asked first.
    async fn priority(&self) -> i32 {
        self.0.priority
    }

    /// Choices: `[{value, label}]`; scale: `{min, max, labels: {"<point>": label}}`; text: `{}`.
    async fn options(&self) -> Json<Value> {
        Json(self.0.options.clone())
    }

    /// Slugs of the apps that ask it; empty means every app.
    async fn app_context(&self) -> Vec<String> {
        serving::app_slugs(&self.0)
    }

    /// How many times the user must have used the app (DUST spent in it) before it is asked.
    async fn min_app_uses(&self) -> i32 {
        self.0.min_app_uses
    }

    /// DUST paid for the first answer.
    async fn dust_reward(&self) -> i32 {
        self.0.dust_reward
    }

    async fn is_active(&self) -> bool {
        self.0.is_active
    }
}

pub struct QuestionAnswer(pub question_responses::Model);

#[Object]
impl QuestionAnswer {
    async fn question(&self, ctx: &Context<'_>) -> ApiResult<ProfilingQuestion> {
        let question = ctx
            .loaders()
            .questions
            .load_one(self.0.question_id.clone())
            .await
            .map_err(load_error)?;
        question
            .map(ProfilingQuestion)
            .ok_or_else(|| ApiError::not_found("Question"))
    }

    async fn value(&self) -> Json<Value> {
        Json(self.0.response_value.clone())
    }

    /// DUST paid for this answer (only the first answer to a question is paid).
    async fn dust_reward(&self) -> i32 {
        self.0.dust_reward
    }

    /// When the current value was given.
    async fn answered_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct QuestionAnswerInput {
    pub question_id: ID,
    /// SINGLE_CHOICE: an option value; MULTI_SELECT: a list of distinct option values; SCALE: an
    /// integer within min..max; TEXT: 1–1000 characters.
    pub value: Json<Value>,
}

#[derive(SimpleObject)]
pub struct AnsweredQuestions {
    pub answers: Vec<QuestionAnswer>,
    /// DUST paid by this call: rewards of questions answered for the first time.
    pub dust_granted: i32,
    pub balance: i32,
}

#[derive(InputObject)]
pub struct CreateQuestionInput {
    /// 1–64 characters of a–z, 0–9 and _; unique.
    pub id: String,
    pub category: String,
    pub text: String,
    #[graphql(name = "type")]
    pub kind: ApiQuestionType,
    pub profile_field: String,
    /// 1–10.
    pub priority: i32,
    /// Choices: 2–20 `{value, label}` with distinct values; scale: `{min, max, labels?}`; text: none.
    pub options: Option<Json<Value>>,
    /// Existing app slugs; empty asks it in every app.
    #[graphql(default)]
    pub app_context: Vec<String>,
    #[graphql(default)]
    pub min_app_uses: i32,
    /// 0–100.
    #[graphql(default)]
    pub dust_reward: i32,
    #[graphql(default = true)]
    pub is_active: bool,
}

impl CreateQuestionInput {
    /// The id and the fields of the new question.
    pub fn into_parts(self) -> (String, QuestionFields) {
        let fields = QuestionFields {
            category: Some(self.category),
            text: Some(self.text),
            kind: Some(self.kind.into()),
            profile_field: Some(self.profile_field),
            priority: Some(self.priority),
            options: self.options.map(|json| json.0),
            app_context: Some(self.app_context),
            min_app_uses: Some(self.min_app_uses),
            dust_reward: Some(self.dust_reward),
            is_active: Some(self.is_active),
        };
        (self.id, fields)
    }
}

/// Fields left out stay as they are. A new type must suit the options (sent or kept).
#[derive(InputObject)]
pub struct UpdateQuestionInput {
    pub category: Option<String>,
    pub text: Option<String>,
    #[graphql(name = "type")]
    pub kind: Option<ApiQuestionType>,
    pub profile_field: Option<String>,
    pub priority: Option<i32>,
    pub options: Option<Json<Value>>,
    pub app_context: Option<Vec<String>>,
    pub min_app_uses: Option<i32>,
    pub dust_reward: Option<i32>,
    pub is_active: Option<bool>,
}

impl From<UpdateQuestionInput> for QuestionFields {
    fn from(input: UpdateQuestionInput) -> Self {
        QuestionFields {
            category: input.category,
            text: input.text,
            kind: input.kind.map(Into::into),
            profile_field: input.profile_field,
            priority: input.priority,
            options: input.options.map(|json| json.0),
            app_context: input.app_context,
            min_app_uses: input.min_app_uses,
            dust_reward: input.dust_reward,
            is_active: input.is_active,
        }
    }
}

#[derive(SimpleObject)]
pub struct QuestionStat {
    pub question: ProfilingQuestion,
    pub answers: i64,
    /// DUST paid for its answers.
    pub dust_granted: i64,
}
