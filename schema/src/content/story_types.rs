//! The vocabulary of stories: genre, length and audience (with their stored names), characters as
//! requested and as stored, a generation request and its outcome. Re-exported from
//! `content::stories`, which holds the generation flow.

use async_graphql::Enum;
use fairydust_entities::user_stories;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::llm::calls::ModelAnswer;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Genre {
    Adventure,
    Fantasy,
    Romance,
    Comedy,
    Mystery,
    Family,
    Bedtime,
}

impl Genre {
    pub const ALL: [Genre; 7] = [
        Genre::Adventure,
        Genre::Fantasy,
        Genre::Romance,
        Genre::Comedy,
        Genre::Mystery,
        Genre::Family,
        Genre::Bedtime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Genre::Adventure => "adventure",
            Genre::Fantasy => "fantasy",
            Genre::Romance => "romance",
            Genre::Comedy => "comedy",
            Genre::Mystery => "mystery",
            Genre::Family => "family",
            Genre::Bedtime => "bedtime",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|genre| genre.as_str() == stored)
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoryLength {
    Short,
    Medium,
    Long,
}

impl StoryLength {
    pub fn as_str(self) -> &'static str {
        match self {
            StoryLength::Short => "short",
            StoryLength::Medium => "medium",
            StoryLength::Long => "long",
        }
    }

    pub fn parse(stored: &str) -> Self {
        match stored {
            "medium" => StoryLength::Medium,
            "long" => StoryLength::Long,
            _ => StoryLength::Short,
        }
    }

    /// The story app's action, whose price (2, 4, 6 DUST by seed) is charged.
    pub fn action(self) -> String {
        format!("story_{}", self.as_str())
    }

    pub fn words(self) -> (u32, u32) {
        match self {
            StoryLength::Short => (300, 500),
            StoryLength::Medium => (600, 1000),
            StoryLength::Long => (1000, 1500),
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Child,
    Family,
    Adult,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Child => "child",
            Audience::Family => "family",
            Audience::Adult => "adult",
        }
    }

    pub fn parse(stored: &str) -> Self {
        match stored {
            "child" => Audience::Child,
            "adult" => Audience::Adult,
            _ => Audience::Family,
        }
    }
}

/// A character as stored with the story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Character {
    pub person_id: Option<Uuid>,
    pub name: String,
    pub relationship: Option<String>,
    pub age: Option<i32>,
    pub traits: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum CharacterRequest {
    /// Someone from the user's People in My Life.
    Person(Uuid),
    AdHoc(Character),
}

#[derive(Clone, Debug)]
pub struct StoryRequest {
    pub user_id: Uuid,
    pub genre: Genre,
    pub length: StoryLength,
    pub audience: Audience,
    pub characters: Vec<CharacterRequest>,
    pub setting: Option<String>,
    pub theme: Option<String>,
    pub custom_prompt: Option<String>,
    pub idempotency_key: String,
}

#[derive(Clone, Debug)]
pub struct GeneratedStory {
    pub story: user_stories::Model,
    pub answer: Option<ModelAnswer>,
    pub dust_charged: i32,
    pub replayed: bool,
}
