//! The slug the server derives from an app's name (`schema/src/apps/slug.rs`), for the live preview
//! before anything is sent: "Mia's Recipe Box!" → "mia-s-recipe-box".

const MAX_SLUG: usize = 64;

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

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_slugs_as_the_server() {
        assert_eq!(super::from_name("Mia's Recipe Box!"), "mia-s-recipe-box");
        assert_eq!(super::from_name("  Story   Time  "), "story-time");
        assert_eq!(super::from_name("!!!"), "");
    }
}
