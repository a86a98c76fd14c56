//! The story safety filter: whole words only ("Father" and "skilled" pass; "kill" does not), with a
//! stricter list for children's stories. Applied to everything the user sends and to the model's text.

use std::sync::LazyLock;

use regex::Regex;

use super::stories::Audience;

/// Refused for every audience.
const ALWAYS: &[&str] = &[
    "kill",
    "kills",
    "killed",
    "killing",
    "killer",
    "murder",
    "murders",
    "murdered",
    "murderer",
    "rape",
    "raped",
    "suicide",
    "torture",
    "tortured",
    "behead",
    "beheaded",
    "genocide",
    "massacre",
    "porn",
    "porno",
    "pornographic",
    "nazi",
    "terrorist",
    "terrorism",
    "bomb",
    "bombing",
    "incest",
    "pedophile",
    "molest",
    "molested",
];

/// Also refused in stories for children.
const CHILDREN: &[&str] = &[
    "blood",
    "bloody",
    "gun",
    "guns",
    "rifle",
    "knife",
    "knives",
    "sword",
    "weapon",
    "weapons",
    "stab",
    "stabbed",
    "shoot",
    "shooting",
    "shot",
    "dead",
    "death",
    "die",
    "dies",
    "died",
    "dying",
    "corpse",
    "grave",
    "drugs",
    "drug",
    "alcohol",
    "beer",
    "wine",
    "vodka",
    "drunk",
    "cigarette",
    "smoking",
    "sexy",
    "sex",
    "naked",
    "nude",
    "kiss",
    "kissing",
    "horror",
    "gore",
    "gory",
    "demon",
    "demons",
    "zombie",
    "zombies",
    "monster",
    "hell",
    "violence",
    "violent",
    "fight",
    "fighting",
    "war",
];

fn pattern(words: &[&str]) -> Regex {
    let alternatives: Vec<String> = words.iter().map(|word| regex::escape(word)).collect();
    Regex::new(&format!(r"(?i)\b(?:{})\b", alternatives.join("|"))).expect("a valid word list")
}

static ALWAYS_PATTERN: LazyLock<Regex> = LazyLock::new(|| pattern(ALWAYS));
static CHILDREN_PATTERN: LazyLock<Regex> = LazyLock::new(|| pattern(CHILDREN));

/// The first refused word in `text` for this audience, if any.
pub fn refused_word(text: &str, audience: Audience) -> Option<String> {
    if let Some(found) = ALWAYS_PATTERN.find(text) {
        return Some(found.as_str().to_lowercase());
    }
    if audience == Audience::Child {
        return CHILDREN_PATTERN
            .find(text)
            .map(|found| found.as_str().to_lowercase());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only() {
        for fine in [
            "Father",
            "skilled",
            "a skillet",
            "Fatima",
            "grapes",
            "bombastic",
            "assassin's creed? no: Killarney",
        ] {
            assert_eq!(refused_word(fine, Audience::Adult), None, "{fine}");
        }
        assert_eq!(
            refused_word("They wanted to KILL the dragon", Audience::Adult).as_deref(),
            Some("kill")
        );
        assert_eq!(
            refused_word("kill.", Audience::Family).as_deref(),
            Some("kill")
        );
    }

    #[test]
    fn children_get_a_stricter_list() {
        assert_eq!(refused_word("a pirate with a sword", Audience::Adult), None);
        assert_eq!(
            refused_word("a pirate with a sword", Audience::Child).as_deref(),
            Some("sword")
        );
        assert_eq!(
            refused_word("swordfish and wordplay", Audience::Child),
            None
        );
    }
}
