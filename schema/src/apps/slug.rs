//! App slugs: `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 64 characters, derived from the name when not given.

pub const MAX_SLUG: usize = 64;

pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// "Mia's Recipe Box!" → "mia-s-recipe-box". Empty when the name has no letters or digits.
pub fn from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(MAX_SLUG).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// The `n`-th candidate for a derived slug: `base`, `base-2`, `base-3`, …, still at most 64 characters.
pub fn candidate(base: &str, n: usize) -> String {
    if n <= 1 {
        return base.to_owned();
    }
    let suffix = format!("-{n}");
    let stem: String = base.chars().take(MAX_SLUG - suffix.len()).collect();
    format!("{}{suffix}", stem.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_derived_from_names() {
        assert_eq!(from_name("Mia's Recipe Box!"), "mia-s-recipe-box");
        assert_eq!(from_name("  Story   Time  "), "story-time");
        assert_eq!(from_name("Ünïcode ✨"), "n-code");
        assert_eq!(from_name("!!!"), "");
        assert!(from_name(&"long name ".repeat(20)).len() <= MAX_SLUG);
        assert!(is_valid(&from_name(&"long name ".repeat(20))));
    }

    #[test]
    fn slugs_are_validated() {
        for good in ["a", "recipe-box", "app2", "a-b-c"] {
            assert!(is_valid(good), "{good}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", &"a".repeat(65)] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn candidates_stay_valid() {
        assert_eq!(candidate("box", 1), "box");
        assert_eq!(candidate("box", 3), "box-3");
        let long = "a".repeat(64);
        assert!(is_valid(&candidate(&long, 12)) && candidate(&long, 12).len() <= MAX_SLUG);
    }
}
