//! What a question offers and what counts as an answer to it.
//!
//! An admin's option definition is parsed into [`QuestionOptions`] and stored in that canonical shape:
//! choices as `[{value, label}]`, a scale as `{min, max, labels}` (labels keyed by point), nothing
//! (`{}`) for free text. Answers are checked against the parsed options, never against raw JSON.

use sea_orm::ActiveEnum;
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::QuestionType;

pub const MAX_TEXT_ANSWER_CHARS: usize = 1000;
const CHOICES: std::ops::RangeInclusive<usize> = 2..=20;
const MAX_CHOICE_VALUE_CHARS: usize = 64;
const MAX_LABEL_CHARS: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: i32,
    pub max: i32,
    /// Labels for some points of the scale, e.g. `{"1": "Practical", "5": "Very creative"}`.
    #[serde(default)]
    pub labels: BTreeMap<i32, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuestionOptions {
    SingleChoice(Vec<Choice>),
    MultiSelect(Vec<Choice>),
    Scale(Scale),
    Text,
}

fn label_is_valid(label: &str) -> bool {
    let chars = label.trim().chars().count();
    (1..=MAX_LABEL_CHARS).contains(&chars)
}

fn parse_choices(raw: &Value) -> Result<Vec<Choice>, String> {
    let shape = "options must be a list of {value, label}";
    let choices: Vec<Choice> =
        serde_json::from_value(raw.clone()).map_err(|e| format!("{shape}: {e}"))?;
    if !CHOICES.contains(&choices.len()) {
        return Err(format!(
            "a choice question needs {}–{} options",
            CHOICES.start(),
            CHOICES.end()
        ));
    }
    let mut values = HashSet::new();
    for choice in &choices {
        let chars = choice.value.chars().count();
        if !(1..=MAX_CHOICE_VALUE_CHARS).contains(&chars) || choice.value.trim() != choice.value {
            return Err(format!(
                "option value {:?} must be 1–{MAX_CHOICE_VALUE_CHARS} characters without surrounding spaces",
                choice.value
            ));
        }
        if !label_is_valid(&choice.label) {
            return Err(format!(
                "the label of {:?} must be 1–{MAX_LABEL_CHARS} characters",
                choice.value
            ));
        }
        if !values.insert(choice.value.as_str()) {
            return Err(format!("option value {:?} appears twice", choice.value));
        }
    }
    Ok(choices)
}

fn parse_scale(raw: &Value) -> Result<Scale, String> {
    let scale: Scale = serde_json::from_value(raw.clone())
        .map_err(|e| format!("options must be {{min, max, labels}} with integer points: {e}"))?;
    if scale.min >= scale.max {
        return Err("a scale needs min < max".into());
    }
    for (point, label) in &scale.labels {
        if !(scale.min..=scale.max).contains(point) {
            return Err(format!("label point {point} is outside the scale"));
        }
        if !label_is_valid(label) {
            return Err(format!(
                "the label of point {point} must be 1–{MAX_LABEL_CHARS} characters"
            ));
        }
    }
    Ok(scale)
}

impl QuestionOptions {
    /// Checks an option definition for a question of type `kind`. A text question takes none
    /// (`null` or `{}`).
    pub fn parse(kind: QuestionType, raw: &Value) -> Result<Self, String> {
        let missing = raw.is_null() || raw.as_object().is_some_and(|map| map.is_empty());
        match kind {
            QuestionType::Text if missing => Ok(QuestionOptions::Text),
            QuestionType::Text => Err("a text question takes no options".into()),
            _ if raw.is_null() => Err(format!(
                "a {} question needs options",
                kind.to_value().replace('_', " ")
            )),
            QuestionType::SingleChoice => parse_choices(raw).map(QuestionOptions::SingleChoice),
            QuestionType::MultiSelect => parse_choices(raw).map(QuestionOptions::MultiSelect),
            QuestionType::Scale => parse_scale(raw).map(QuestionOptions::Scale),
        }
    }

    /// The canonical JSON stored in `profiling_questions.options`.
    pub fn to_json(&self) -> Value {
        match self {
            QuestionOptions::SingleChoice(choices) | QuestionOptions::MultiSelect(choices) => {
                json!(choices)
            }
            QuestionOptions::Scale(scale) => json!(scale),
            QuestionOptions::Text => json!({}),
        }
    }

    /// Checks an answer and returns the value to store (text is trimmed).
    pub fn check_answer(&self, value: &Value) -> Result<Value, String> {
        let is_option = |choices: &[Choice], candidate: &str| {
            choices.iter().any(|choice| choice.value == candidate)
        };
        match self {
            QuestionOptions::SingleChoice(choices) => match value.as_str() {
                Some(chosen) if is_option(choices, chosen) => Ok(value.clone()),
                _ => Err("must be one of the options' values, as a string".into()),
            },
            QuestionOptions::MultiSelect(choices) => {
                let shape = "must be a non-empty list of distinct option values";
                let items = value.as_array().filter(|items| !items.is_empty());
                let items = items.ok_or_else(|| shape.to_owned())?;
                let mut seen = HashSet::new();
                for item in items {
                    match item.as_str() {
                        Some(chosen) if is_option(choices, chosen) && seen.insert(chosen) => {}
                        _ => return Err(shape.into()),
                    }
                }
                Ok(value.clone())
            }
            QuestionOptions::Scale(scale) => match value.as_i64() {
                Some(point) if (i64::from(scale.min)..=i64::from(scale.max)).contains(&point) => {
                    Ok(json!(point))
                }
                _ => Err(format!(
                    "must be an integer from {} to {}",
                    scale.min, scale.max
                )),
            },
            QuestionOptions::Text => {
                let text = value.as_str().map(str::trim).unwrap_or_default();
                if text.is_empty() || text.chars().count() > MAX_TEXT_ANSWER_CHARS {
                    return Err(format!(
                        "must be a text of 1–{MAX_TEXT_ANSWER_CHARS} characters"
                    ));
                }
                Ok(json!(text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(values: &[&str]) -> Value {
        json!(
            values
                .iter()
                .map(|v| json!({ "value": v, "label": v.to_uppercase() }))
                .collect::<Vec<_>>()
        )
    }

    #[test]
    fn choice_options_need_two_to_twenty_distinct_values() {
        let kind = QuestionType::SingleChoice;
        assert!(QuestionOptions::parse(kind, &choices(&["a", "b"])).is_ok());
        for bad in [
            choices(&["a"]),
            choices(&["a", "a"]),
            choices(&[" a", "b"]),
            json!([{ "value": "a", "label": "" }, { "value": "b", "label": "B" }]),
            json!([{ "value": "a", "label": "A", "extra": 1 }, { "value": "b", "label": "B" }]),
            json!(["a", "b"]),
            Value::Null,
        ] {
            assert!(QuestionOptions::parse(kind, &bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..21).map(|i| format!("v{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(QuestionOptions::parse(kind, &choices(&many)).is_err());
    }

    #[test]
    fn scales_need_integer_bounds_in_order_and_labels_inside() {
        let kind = QuestionType::Scale;
        let parsed = QuestionOptions::parse(
            kind,
            &json!({ "min": 1, "max": 5, "labels": { "1": "Low", "5": "High" } }),
        )
        .unwrap();
        assert_eq!(
            parsed.to_json(),
            json!({ "min": 1, "max": 5, "labels": { "1": "Low", "5": "High" } })
        );
        assert!(QuestionOptions::parse(kind, &json!({ "min": 0, "max": 10 })).is_ok());
        for bad in [
            json!({ "min": 5, "max": 5 }),
            json!({ "min": 1.5, "max": 5 }),
            json!({ "min": 1, "max": 5, "labels": { "6": "Off" } }),
            json!({ "min": 1, "max": 5, "labels": { "x": "Nope" } }),
            json!({ "max": 5 }),
        ] {
            assert!(QuestionOptions::parse(kind, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_questions_take_no_options() {
        assert_eq!(
            QuestionOptions::parse(QuestionType::Text, &Value::Null),
            Ok(QuestionOptions::Text)
        );
        assert!(QuestionOptions::parse(QuestionType::Text, &choices(&["a", "b"])).is_err());
    }

    #[test]
    fn answers_are_checked_against_the_type() {
        let single =
            QuestionOptions::parse(QuestionType::SingleChoice, &choices(&["a", "b"])).unwrap();
        assert!(single.check_answer(&json!("a")).is_ok());
        for bad in [json!("c"), json!(["a"]), json!(1), Value::Null] {
            assert!(single.check_answer(&bad).is_err(), "{bad}");
        }

        let multi =
            QuestionOptions::parse(QuestionType::MultiSelect, &choices(&["a", "b"])).unwrap();
        assert!(multi.check_answer(&json!(["b", "a"])).is_ok());
        for bad in [
            json!([]),
            json!(["a", "a"]),
            json!(["c"]),
            json!("a"),
            json!([1]),
        ] {
            assert!(multi.check_answer(&bad).is_err(), "{bad}");
        }

        let scale =
            QuestionOptions::parse(QuestionType::Scale, &json!({ "min": 1, "max": 5 })).unwrap();
        assert_eq!(scale.check_answer(&json!(5)), Ok(json!(5)));
        for bad in [json!(0), json!(6), json!(2.5), json!("3")] {
            assert!(scale.check_answer(&bad).is_err(), "{bad}");
        }

        let text = QuestionOptions::Text;
        assert_eq!(text.check_answer(&json!("  hi ")), Ok(json!("hi")));
        let long = "x".repeat(MAX_TEXT_ANSWER_CHARS + 1);
        for bad in [json!("   "), json!(long), json!(3)] {
            assert!(text.check_answer(&bad).is_err(), "{bad}");
        }
    }
}
