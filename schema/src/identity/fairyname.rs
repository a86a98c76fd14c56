//! Fairynames: `{adjective}_{noun}_{NNNN}`, e.g. `shimmering_moonbeam_0421`.

use rand::Rng;
use rand::seq::IndexedRandom;

pub const ADJECTIVES: [&str; 60] = [
    "amber",
    "ancient",
    "arcane",
    "autumn",
    "bold",
    "brave",
    "bright",
    "brisk",
    "bubbly",
    "calm",
    "cheerful",
    "clever",
    "cosmic",
    "cozy",
    "crimson",
    "crystal",
    "curious",
    "dancing",
    "dapper",
    "dreamy",
    "dusky",
    "earnest",
    "elfin",
    "emerald",
    "enchanted",
    "fabled",
    "feathered",
    "fierce",
    "fleet",
    "floral",
    "friendly",
    "gentle",
    "gilded",
    "glimmering",
    "glowing",
    "golden",
    "graceful",
    "happy",
    "hidden",
    "humble",
    "jolly",
    "kind",
    "lively",
    "lucky",
    "lunar",
    "merry",
    "misty",
    "mossy",
    "nimble",
    "noble",
    "playful",
    "quiet",
    "radiant",
    "shimmering",
    "silver",
    "sparkling",
    "starry",
    "sunny",
    "twinkling",
    "whimsical",
];

pub const NOUNS: [&str; 60] = [
    "acorn",
    "aurora",
    "badger",
    "blossom",
    "breeze",
    "brook",
    "butterfly",
    "candle",
    "clover",
    "comet",
    "cricket",
    "dewdrop",
    "dragonfly",
    "dream",
    "ember",
    "falcon",
    "feather",
    "fern",
    "firefly",
    "fox",
    "galaxy",
    "garden",
    "gem",
    "glade",
    "hare",
    "harp",
    "hazel",
    "heron",
    "honeybee",
    "island",
    "lantern",
    "lark",
    "leaf",
    "meadow",
    "meteor",
    "moonbeam",
    "moth",
    "nebula",
    "oak",
    "otter",
    "owl",
    "pebble",
    "petal",
    "pixie",
    "puddle",
    "quill",
    "rainbow",
    "raven",
    "river",
    "robin",
    "sapling",
    "snowflake",
    "sparrow",
    "sprite",
    "star",
    "thistle",
    "unicorn",
    "willow",
    "wisp",
    "wren",
];

pub fn generate() -> String {
    let mut rng = rand::rng();
    let adjective = ADJECTIVES.choose(&mut rng).copied().unwrap_or("merry");
    let noun = NOUNS.choose(&mut rng).copied().unwrap_or("sprite");
    format!("{adjective}_{noun}_{:04}", rng.random_range(0..10_000))
}

/// 3–50 characters of `[a-z0-9_]` (the rule for names users choose themselves).
pub fn is_valid(name: &str) -> bool {
    (3..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_follow_the_pattern_and_the_user_rule() {
        let pattern = regex::Regex::new(r"^[a-z]+_[a-z]+_\d{4}$").unwrap();
        for _ in 0..200 {
            let name = generate();
            assert!(pattern.is_match(&name), "{name}");
            assert!(is_valid(&name), "{name}");
        }
    }

    #[test]
    fn word_lists_are_long_enough_and_distinct() {
        let adjectives: std::collections::HashSet<_> = ADJECTIVES.iter().collect();
        let nouns: std::collections::HashSet<_> = NOUNS.iter().collect();
        assert!(adjectives.len() >= 50 && adjectives.len() == ADJECTIVES.len());
        assert!(nouns.len() >= 50 && nouns.len() == NOUNS.len());
    }

    #[test]
    fn user_chosen_names_are_validated() {
        assert!(is_valid("abc"));
        assert!(is_valid("fairy_dust_2024"));
        assert!(!is_valid("ab"));
        assert!(!is_valid("Fairy"));
        assert!(!is_valid("fairy-dust"));
        assert!(!is_valid(&"a".repeat(51)));
    }
}
