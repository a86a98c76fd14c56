//! The offline development generator (`LLM_PROVIDER=dev`): lets the apps run end to end on a laptop without an API
//! key. Its text is fixed sentences picked by a hash of the prompt, so the same prompt always gets the same answer,
//! and every answer starts with a marker saying it is not a real model.

use async_trait::async_trait;
use fairydust_schema::llm::provider::{
    Completion, CompletionRequest, LlmCallError, LlmClient, Provider, Role,
};
use sha2::{Digest, Sha256};

use super::transport::role_name;

/// Always the first words of a dev answer, whatever `max_tokens` says, so no one mistakes it for a model's.
pub const DEV_MARKER: &str = "[dev generator: offline placeholder text, not a real model]";

const SENTENCES: &[&str] = &[
    "A real model would answer this prompt with something more thoughtful.",
    "This text comes from a fixed list so that local demos work without an API key.",
    "The same prompt always produces the same words, which keeps demos and tests repeatable.",
    "Set ANTHROPIC_API_KEY or OPENAI_API_KEY and unset LLM_PROVIDER to get real completions.",
    "Token counts are estimates of four tokens for every three words.",
    "Nothing was sent to any provider and nothing was billed by one.",
    "Picture a warm, specific reply here, shaped by every detail you gave.",
    "The fairies are resting; this is only their understudy speaking.",
];
const SENTENCES_PER_ANSWER: usize = 3;
const TOPIC_WORDS: usize = 12;

/// Stands in for one provider: `provider()` reports the slot it fills so the gateway's bookkeeping stays the same.
pub struct DevLlmClient {
    provider: Provider,
}

impl DevLlmClient {
    pub fn standing_in_for(provider: Provider) -> Self {
        Self { provider }
    }
}

#[async_trait]
impl LlmClient for DevLlmClient {
    fn provider(&self) -> Provider {
        self.provider
    }

    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, LlmCallError> {
        let body = answer_body(request);
        // The marker is never cut; the rest is cut to what `max_tokens` allows, as a real model would stop.
        let word_budget = words_within(request.max_tokens).saturating_sub(word_count(DEV_MARKER));
        let body_words: Vec<&str> = body.split_whitespace().collect();
        let truncated = body_words.len() > word_budget;
        let kept = body_words
            .iter()
            .take(word_budget)
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let text = if kept.is_empty() {
            DEV_MARKER.to_owned()
        } else {
            format!("{DEV_MARKER} {kept}")
        };

        let prompt_words = request.system.as_deref().map_or(0, word_count)
            + request
                .messages
                .iter()
                .map(|message| word_count(&message.content))
                .sum::<usize>();
        let (stopped, cut_short) = match self.provider {
            Provider::Anthropic => ("end_turn", "max_tokens"),
            Provider::OpenAi => ("stop", "length"),
        };
        Ok(Completion {
            completion_tokens: estimated_tokens(word_count(&text)),
            text,
            // Echo the requested model so pricing and usage logs follow the same path as in production.
            model: request.model.clone(),
            prompt_tokens: estimated_tokens(prompt_words),
            finish_reason: Some(if truncated { cut_short } else { stopped }.to_owned()),
        })
    }
}

/// Everything after the marker: the start of the user's last message, then sentences chosen by the prompt's hash.
fn answer_body(request: &CompletionRequest) -> String {
    let last_user_message = request
        .messages
        .iter()
        .rev()
        .find(|message| message.role == Role::User)
        .map_or("", |message| &message.content);
    let topic_words: Vec<&str> = last_user_message.split_whitespace().collect();
    let topic = match topic_words.len() {
        0 => "nothing in particular".to_owned(),
        count if count <= TOPIC_WORDS => topic_words.join(" "),
        _ => format!("{}…", topic_words[..TOPIC_WORDS].join(" ")),
    };

    let mut hasher = Sha256::new();
    hasher.update(request.system.as_deref().unwrap_or_default());
    for message in &request.messages {
        hasher.update(role_name(message.role));
        hasher.update(&message.content);
    }
    let first = usize::from(hasher.finalize()[0]) % SENTENCES.len();
    let sentences =
        (0..SENTENCES_PER_ANSWER).map(|offset| SENTENCES[(first + offset) % SENTENCES.len()]);
    format!(
        "You asked about \"{topic}\". {}",
        sentences.collect::<Vec<_>>().join(" ")
    )
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Tokens ≈ words × 4/3, rounded up.
fn estimated_tokens(words: usize) -> u32 {
    u32::try_from((words * 4).div_ceil(3)).unwrap_or(u32::MAX)
}

/// The most words whose estimate stays within `max_tokens`.
fn words_within(max_tokens: u32) -> usize {
    usize::try_from(max_tokens)
        .unwrap_or(usize::MAX)
        .saturating_mul(3)
        / 4
}

#[cfg(test)]
mod tests {
    use fairydust_schema::llm::provider::ChatMessage;

    use super::*;

    fn request(prompt: &str, max_tokens: u32) -> CompletionRequest {
        CompletionRequest {
            model: "claude-3-5-haiku-20241022".to_owned(),
            system: Some("You write short inspirations.".to_owned()),
            messages: vec![ChatMessage {
                role: Role::User,
                content: prompt.to_owned(),
            }],
            temperature: 0.8,
            max_tokens,
            top_p: 0.9,
        }
    }

    #[tokio::test]
    async fn answers_are_marked_deterministic_and_derived_from_the_prompt() {
        let client = DevLlmClient::standing_in_for(Provider::Anthropic);
        let first = client
            .complete(&request("Give me a cozy idea for a rainy Sunday", 500))
            .await
            .unwrap();
        let again = client
            .complete(&request("Give me a cozy idea for a rainy Sunday", 500))
            .await
            .unwrap();
        assert_eq!(first, again);
        assert!(first.text.starts_with(DEV_MARKER));
        assert!(
            first
                .text
                .contains("\"Give me a cozy idea for a rainy Sunday\"")
        );
        assert_eq!(first.model, "claude-3-5-haiku-20241022");
        assert_eq!(first.finish_reason.as_deref(), Some("end_turn"));

        let other = client
            .complete(&request("Plan a picnic", 500))
            .await
            .unwrap();
        assert_ne!(first.text, other.text);
    }

    #[tokio::test]
    async fn token_counts_are_estimated_from_words() {
        let client = DevLlmClient::standing_in_for(Provider::OpenAi);
        let completion = client
            .complete(&request("one two three four five six", 500))
            .await
            .unwrap();
        // System prompt (4 words) + message (6 words) = 10 words ≈ 14 tokens.
        assert_eq!(completion.prompt_tokens, 14);
        assert_eq!(
            completion.completion_tokens,
            estimated_tokens(word_count(&completion.text))
        );
    }

    #[tokio::test]
    async fn max_tokens_cuts_the_answer_but_never_the_marker() {
        let client = DevLlmClient::standing_in_for(Provider::OpenAi);
        let short = client
            .complete(&request(
                "Tell me everything about dragons and their hoards",
                20,
            ))
            .await
            .unwrap();
        assert!(short.text.starts_with(DEV_MARKER));
        assert!(short.completion_tokens <= 20);
        assert_eq!(short.finish_reason.as_deref(), Some("length"));

        let tiny = client.complete(&request("Hello", 1)).await.unwrap();
        assert_eq!(tiny.text, DEV_MARKER);
    }

    #[test]
    fn the_word_budget_inverts_the_token_estimate() {
        for max_tokens in 0..200 {
            let words = words_within(max_tokens);
            assert!(
                estimated_tokens(words) <= max_tokens,
                "{words} words for {max_tokens} tokens"
            );
            assert!(
                estimated_tokens(words + 1) > max_tokens,
                "{words} words for {max_tokens} tokens is not the most"
            );
        }
    }
}
