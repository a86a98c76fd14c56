//! What a request to a model would cost at most, before it is made: the prompt tokens a builder
//! expects plus the full `maxTokens` answer, at the model's prices from the price table (ARCHITECTURE
//! §6). Exact decimals, never rounded, so a builder can compare them with an action's DUST price.

use fairydust_entities::llm_models;
use rust_decimal::Decimal;

use super::LlmError;
use super::pricing::exact_cost;

/// The most tokens one estimate may ask about: the largest prompt any priced model takes.
pub const MAX_PROMPT_TOKENS: i32 = 2_000_000;
/// The same bound as an app's `maxTokens` parameter.
pub const MAX_COMPLETION_TOKENS: i32 = 8_000;
/// 1 DUST is bought for 1 US cent (ARCHITECTURE §5).
pub const USD_PER_DUST: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub model: llm_models::Model,
    pub prompt_tokens: u32,
    pub max_tokens: u32,
    pub input_cost_usd: Decimal,
    pub output_cost_usd: Decimal,
    pub total_cost_usd: Decimal,
    /// The smallest whole DUST price whose purchase value covers `total_cost_usd`.
    pub break_even_dust: i64,
}

/// The worst-case cost of one request to `model_id` from the price table `models`.
pub fn estimate(
    models: &[llm_models::Model],
    model_id: &str,
    prompt_tokens: i32,
    max_tokens: i32,
) -> Result<Estimate, LlmError> {
    let model = models
        .iter()
        .find(|m| m.model_id == model_id.trim())
        .ok_or(LlmError::NotFound("Model"))?;
    if !(0..=MAX_PROMPT_TOKENS).contains(&prompt_tokens) {
        return Err(LlmError::InvalidInput(format!(
            "promptTokens must be between 0 and {MAX_PROMPT_TOKENS}"
        )));
    }
    if !(1..=MAX_COMPLETION_TOKENS).contains(&max_tokens) {
        return Err(LlmError::InvalidInput(format!(
            "maxTokens must be between 1 and {MAX_COMPLETION_TOKENS}"
        )));
    }
    let (prompt, completion) = (prompt_tokens as u32, max_tokens as u32);
    let input_cost_usd = exact_cost(prompt, 0, model).normalize();
    let output_cost_usd = exact_cost(0, completion, model).normalize();
    let total_cost_usd = (input_cost_usd + output_cost_usd).normalize();
    Ok(Estimate {
        model: model.clone(),
        prompt_tokens: prompt,
        max_tokens: completion,
        input_cost_usd,
        output_cost_usd,
        total_cost_usd,
        break_even_dust: dust_to_cover(total_cost_usd),
    })
}

/// ⌈usd / 0.01⌉: how many DUST, at 1 cent each, pay for `usd`.
pub fn dust_to_cover(usd: Decimal) -> i64 {
    (usd / USD_PER_DUST).ceil().try_into().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use fairydust_entities::Usd;
    use rust_decimal_macros::dec;

    use super::*;

    fn haiku() -> llm_models::Model {
        let now = chrono::Utc::now();
        llm_models::Model {
            id: uuid::Uuid::nil(),
            provider: "anthropic".into(),
            model_id: "claude-3-5-haiku-20241022".into(),
            input_usd_per_million: Usd(dec!(0.8)),
            output_usd_per_million: Usd(dec!(4)),
            is_active: true,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn prompt_plus_the_whole_answer_at_the_model_prices() {
        let estimate = estimate(&[haiku()], "claude-3-5-haiku-20241022", 1234, 567).unwrap();
        assert_eq!(estimate.input_cost_usd, dec!(0.0009872));
        assert_eq!(estimate.output_cost_usd, dec!(0.002268));
        assert_eq!(estimate.total_cost_usd, dec!(0.0032552));
        assert_eq!(estimate.break_even_dust, 1);
    }

    #[test]
    fn dust_rounds_up_to_whole_cents() {
        assert_eq!(dust_to_cover(dec!(0)), 0);
        assert_eq!(dust_to_cover(dec!(0.01)), 1);
        assert_eq!(dust_to_cover(dec!(0.010001)), 2);
        assert_eq!(dust_to_cover(dec!(0.6)), 60);
    }

    #[test]
    fn unknown_models_and_bad_token_counts_are_refused() {
        assert!(matches!(
            estimate(&[haiku()], "gpt-9", 1, 1),
            Err(LlmError::NotFound(_))
        ));
        for (prompt, max) in [(-1, 10), (10, 0), (10, 8001)] {
            assert!(
                estimate(&[haiku()], "claude-3-5-haiku-20241022", prompt, max).is_err(),
                "{prompt} {max}"
            );
        }
    }
}
