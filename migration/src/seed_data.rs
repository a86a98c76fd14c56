//! The data the seed migration inserts once (ARCHITECTURE §8).

use serde_json::{Value, json};
use uuid::Uuid;

pub use fairydust_entities::seeded::{INSPIRE_APP_ID, RECIPE_APP_ID, STORY_APP_ID, SYSTEM_USER_ID};

pub struct FirstPartyApp {
    pub id: Uuid,
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub category: &'static str,
}

pub const FIRST_PARTY_APPS: [FirstPartyApp; 3] = [
    FirstPartyApp {
        id: RECIPE_APP_ID,
        slug: "fairydust-recipe",
        name: "Recipes",
        description: "Personalised recipes for what is in your kitchen.",
        category: "lifestyle",
    },
    FirstPartyApp {
        id: STORY_APP_ID,
        slug: "fairydust-story",
        name: "Stories",
        description: "Personalised stories starring the people in your life.",
        category: "entertainment",
    },
    FirstPartyApp {
        id: INSPIRE_APP_ID,
        slug: "fairydust-inspire",
        name: "Inspire",
        description: "Activity ideas that fit your mood and your day.",
        category: "lifestyle",
    },
];

/// (provider, model, USD per 1M input tokens, USD per 1M output tokens)
pub const LLM_PRICES: [(&str, &str, &str, &str); 12] = [
    ("anthropic", "claude-opus-4", "15", "75"),
    ("anthropic", "claude-sonnet-4", "3", "15"),
    ("anthropic", "claude-3-5-sonnet-20241022", "3", "15"),
    ("anthropic", "claude-3-5-haiku-20241022", "0.8", "4"),
    ("anthropic", "claude-3-opus-20240229", "15", "75"),
    ("anthropic", "claude-3-sonnet-20240229", "3", "15"),
    ("anthropic", "claude-3-haiku-20240307", "0.25", "1.25"),
    ("openai", "gpt-4o", "5", "15"),
    ("openai", "gpt-4o-mini", "0.15", "0.60"),
    ("openai", "gpt-4", "30", "60"),
    ("openai", "gpt-4-turbo", "10", "30"),
    ("openai", "gpt-3.5-turbo", "0.50", "1.50"),
];

/// The story app's price list: action → DUST.
pub const STORY_ACTIONS: [(&str, i32, &str); 3] = [
    ("story_short", 2, "A short story (300–500 words)"),
    ("story_medium", 4, "A medium story (600–1000 words)"),
    ("story_long", 6, "A long story (1000–1500 words)"),
];

pub struct SeedModelConfig {
    pub app_id: Uuid,
    pub provider: &'static str,
    pub model: &'static str,
    pub parameters: Value,
    pub fallbacks: Value,
    pub cost_limits: Value,
}

fn parameters(temperature: f64, max_tokens: i64, top_p: f64) -> Value {
    json!({ "temperature": temperature, "max_tokens": max_tokens, "top_p": top_p })
}

fn fallback(provider: &str, model: &str, trigger: &str, params: &Value) -> Value {
    json!({ "provider": provider, "model": model, "trigger": trigger, "parameters": params })
}

fn cost_limits(per_request: &str, daily: &str, monthly: &str) -> Value {
    json!({ "per_request_max": per_request, "daily_max": daily, "monthly_max": monthly })
}

pub fn feature_flags() -> Value {
    json!({ "streaming_enabled": false, "cache_responses": false, "log_prompts": false })
}

pub fn model_configs() -> Vec<SeedModelConfig> {
    let inspire = parameters(0.8, 150, 0.9);
    let recipe = parameters(0.7, 1000, 0.9);
    let story = parameters(0.8, 2000, 0.9);
    vec![
        SeedModelConfig {
            app_id: INSPIRE_APP_ID,
            provider: "anthropic",
            model: "claude-3-5-haiku-20241022",
            fallbacks: json!([fallback(
                "openai",
                "gpt-4o-mini",
                "provider_error",
                &inspire
            )]),
            parameters: inspire,
            cost_limits: cost_limits("0.05", "10", "100"),
        },
        SeedModelConfig {
            app_id: RECIPE_APP_ID,
            provider: "anthropic",
            model: "claude-3-5-sonnet-20241022",
            fallbacks: json!([
                fallback("openai", "gpt-4o", "provider_error", &recipe),
                fallback("openai", "gpt-4o-mini", "cost_threshold_exceeded", &recipe),
            ]),
            parameters: recipe,
            cost_limits: cost_limits("0.15", "25", "200"),
        },
        SeedModelConfig {
            app_id: STORY_APP_ID,
            provider: "anthropic",
            model: "claude-3-5-sonnet-20241022",
            fallbacks: json!([fallback("openai", "gpt-4o-mini", "provider_error", &story)]),
            parameters: story,
            // The seeds name no limits for the story app; these match the recipe app, the other long-form one.
            cost_limits: cost_limits("0.15", "25", "200"),
        },
    ]
}

pub struct SeedQuestion {
    pub id: &'static str,
    pub category: &'static str,
    pub text: &'static str,
    pub kind: &'static str,
    pub profile_field: &'static str,
    pub priority: i32,
    pub apps: &'static [&'static str],
    pub options: Value,
}

fn choices(values: &[(&str, &str)]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|(value, label)| json!({ "value": value, "label": label }))
            .collect(),
    )
}

fn scale(labels: [(&str, &str); 3]) -> Value {
    let labels: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(point, label)| ((*point).to_owned(), json!(label)))
        .collect();
    json!({ "min": 1, "max": 5, "labels": labels })
}

/// Every starter question pays this much DUST for its first answer.
pub const STARTER_QUESTION_REWARD: i32 = 2;

pub fn starter_questions() -> Vec<SeedQuestion> {
    vec![
        SeedQuestion {
            id: "interests_hobbies",
            category: "interests",
            text: "What do you enjoy doing in your free time?",
            kind: "multi_select",
            profile_field: "interests",
            priority: 10,
            apps: &["fairydust-inspire"],
            options: choices(&[
                ("cooking", "Cooking"),
                ("fitness", "Fitness"),
                ("music", "Music"),
                ("reading", "Reading"),
                ("gaming", "Gaming"),
                ("art", "Art"),
                ("outdoor", "Outdoor activities"),
                ("travel", "Travel"),
            ]),
        },
        SeedQuestion {
            id: "adventure_level",
            category: "personality",
            text: "How adventurous are you when trying new things?",
            kind: "scale",
            profile_field: "adventure_level",
            priority: 8,
            apps: &["fairydust-inspire"],
            options: scale([
                ("1", "Prefer familiar"),
                ("3", "Sometimes try new things"),
                ("5", "Always seeking adventure"),
            ]),
        },
        SeedQuestion {
            id: "creativity_level",
            category: "personality",
            text: "How would you describe your creative side?",
            kind: "scale",
            profile_field: "creativity_level",
            priority: 7,
            apps: &["fairydust-inspire", "fairydust-recipe"],
            options: scale([
                ("1", "Practical"),
                ("3", "Somewhat creative"),
                ("5", "Very creative"),
            ]),
        },
        SeedQuestion {
            id: "dietary_preferences",
            category: "cooking",
            text: "Do you follow any dietary preferences?",
            kind: "multi_select",
            profile_field: "dietary_preferences",
            priority: 9,
            apps: &["fairydust-recipe"],
            options: choices(&[
                ("none", "None"),
                ("vegetarian", "Vegetarian"),
                ("vegan", "Vegan"),
                ("gluten_free", "Gluten-free"),
                ("dairy_free", "Dairy-free"),
                ("keto", "Keto"),
                ("paleo", "Paleo"),
                ("low_carb", "Low carb"),
            ]),
        },
        SeedQuestion {
            id: "cooking_skill_level",
            category: "cooking",
            text: "How comfortable are you in the kitchen?",
            kind: "single_choice",
            profile_field: "cooking_skill_level",
            priority: 6,
            apps: &["fairydust-recipe"],
            options: choices(&[
                ("beginner", "Beginner"),
                ("intermediate", "Intermediate"),
                ("advanced", "Advanced"),
                ("expert", "Expert"),
            ]),
        },
        SeedQuestion {
            id: "lifestyle_goals",
            category: "goals",
            text: "What are you focusing on in life right now?",
            kind: "multi_select",
            profile_field: "lifestyle_goals",
            priority: 8,
            apps: &["fairydust-inspire"],
            options: choices(&[
                ("health", "Health"),
                ("relationships", "Relationships"),
                ("career", "Career"),
                ("learning", "Learning"),
                ("creativity", "Creativity"),
                ("adventure", "Adventure"),
                ("family", "Family"),
                ("relaxation", "Relaxation"),
            ]),
        },
        SeedQuestion {
            id: "social_preference",
            category: "personality",
            text: "Who do you like to spend your free time with?",
            kind: "single_choice",
            profile_field: "social_preference",
            priority: 5,
            apps: &["fairydust-inspire"],
            options: choices(&[
                ("solo", "On my own"),
                ("small_group", "A small group"),
                ("large_group", "A large group"),
                ("varies", "It varies"),
            ]),
        },
        SeedQuestion {
            id: "cooking_frequency",
            category: "cooking",
            text: "How often do you cook at home?",
            kind: "single_choice",
            profile_field: "cooking_frequency",
            priority: 5,
            apps: &["fairydust-recipe"],
            options: choices(&[
                ("never", "Never"),
                ("rarely", "Rarely"),
                ("sometimes", "Sometimes"),
                ("often", "Often"),
                ("daily", "Daily"),
            ]),
        },
    ]
}
