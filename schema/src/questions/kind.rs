use async_graphql::Enum;

/// How a question is answered. Stored as snake_case text in `profiling_questions.question_type`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionType {
    /// One of the options' values.
    SingleChoice,
    /// A non-empty list of distinct option values.
    MultiSelect,
    /// An integer within the options' `min..max`.
    Scale,
    /// Free text of 1–1000 characters.
    Text,
}

impl QuestionType {
    pub const ALL: [QuestionType; 4] = [
        QuestionType::SingleChoice,
        QuestionType::MultiSelect,
        QuestionType::Scale,
        QuestionType::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultiSelect => "multi_select",
            QuestionType::Scale => "scale",
            QuestionType::Text => "text",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == stored)
    }
}
