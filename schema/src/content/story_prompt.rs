//! What the story model is asked, and how its answer becomes a title and a text.

use super::stories::{Audience, Character, Genre, StoryLength};

pub struct StoryBrief<'a> {
    pub genre: Genre,
    pub length: StoryLength,
    pub audience: Audience,
    pub characters: &'a [Character],
    pub setting: Option<&'a str>,
    pub theme: Option<&'a str>,
    pub custom_prompt: Option<&'a str>,
}

pub fn system_prompt(audience: Audience) -> String {
    let tone = match audience {
        Audience::Child => {
            "for young children: gentle, kind, simple words, no violence or fear, a warm ending"
        }
        Audience::Family => "for the whole family: warm and funny, nothing frightening or crude",
        Audience::Adult => {
            "for adults: vivid and heartfelt, nothing explicit or gratuitously violent"
        }
    };
    format!(
        "You are the storyteller of the fairydust Stories app. You write original stories {tone}. \
             The people in the story are real people in the reader's life: portray them lovingly."
    )
}

pub fn user_prompt(brief: &StoryBrief<'_>) -> String {
    let (min, max) = brief.length.words();
    let mut lines = vec![format!(
        "Write a {} story of {min} to {max} words for {} readers.",
        brief.genre.as_str(),
        brief.audience.as_str()
    )];
    lines.push("Characters:".to_owned());
    for character in brief.characters {
        let mut line = format!("- {}", character.name);
        let detail: Vec<String> = [
            character.relationship.clone(),
            character.age.map(|a| format!("age {a}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !detail.is_empty() {
            line.push_str(&format!(" ({})", detail.join(", ")));
        }
        if !character.traits.is_empty() {
            line.push_str(&format!(": {}", character.traits.join("; ")));
        }
        lines.push(line);
    }
    if let Some(setting) = brief.setting {
        lines.push(format!("Setting: {setting}"));
    }
    if let Some(theme) = brief.theme {
        lines.push(format!("Theme: {theme}"));
    }
    if let Some(wishes) = brief.custom_prompt {
        lines.push(format!("The reader also asks: {wishes}"));
    }
    lines.push("Put the title on the first line as `# Title`, then the story.".to_owned());
    lines.join("\n")
}

/// Splits the model's answer into a title and the story text.
pub fn title_and_text(answer: &str, genre: Genre) -> (String, String) {
    let trimmed = answer.trim();
    let (first, rest) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
    let candidate = first.trim().trim_start_matches('#').trim();
    let candidate = candidate
        .strip_prefix("Title:")
        .unwrap_or(candidate)
        .trim()
        .trim_matches('*')
        .trim();
    if !candidate.is_empty() && candidate.chars().count() <= 200 && !rest.trim().is_empty() {
        (candidate.to_owned(), rest.trim().to_owned())
    } else {
        (format!("A {} story", genre.as_str()), trimmed.to_owned())
    }
}

pub fn word_count(text: &str) -> i32 {
    text.split_whitespace().count().min(i32::MAX as usize) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_the_first_line() {
        let (title, text) =
            title_and_text("# The Moon Kite\n\nOnce upon a time...", Genre::Bedtime);
        assert_eq!(
            (title.as_str(), text.as_str()),
            ("The Moon Kite", "Once upon a time...")
        );
        let (title, _) = title_and_text("Title: **Sea Glass**\nStory", Genre::Adventure);
        assert_eq!(title, "Sea Glass");
        let (title, text) = title_and_text("Just one paragraph.", Genre::Comedy);
        assert_eq!(
            (title.as_str(), text.as_str()),
            ("A comedy story", "Just one paragraph.")
        );
        assert_eq!(word_count("one  two\nthree"), 3);
    }
}
