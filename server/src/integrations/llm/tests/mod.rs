//! The LLM clients against wiremock: request shapes per provider, and the error mapping both share.

mod anthropic_tests;
mod error_mapping_tests;
mod openai_tests;

use std::time::Duration;

use super::{AnthropicClient, OpenAiClient, providers};
use crate::integrations::config::{IntegrationsConfig, Secret};
use crate::integrations::http::build_http_client;
use fairydust_schema::llm::provider::{ChatMessage, CompletionRequest, LlmClient, Provider, Role};

const ANTHROPIC_KEY: &str = "sk-ant-api03-test-key-that-must-never-leak";
const OPENAI_KEY: &str = "sk-proj-test-key-that-must-never-leak";
const GENEROUS_TIMEOUT: Duration = Duration::from_secs(10);

/// A provider under test: where its endpoint lives and how to build its client for a base URL.
#[derive(Clone, Copy)]
struct Target {
    name: &'static str,
    endpoint: &'static str,
    api_key: &'static str,
    build: fn(&str, Duration) -> Box<dyn LlmClient>,
}

const ANTHROPIC: Target = Target {
    name: "anthropic",
    endpoint: "/v1/messages",
    api_key: ANTHROPIC_KEY,
    build: |base_url, timeout| {
        Box::new(AnthropicClient::new(
            client(),
            base_url,
            Secret::new(ANTHROPIC_KEY),
            timeout,
        ))
    },
};

const OPENAI: Target = Target {
    name: "openai",
    endpoint: "/v1/chat/completions",
    api_key: OPENAI_KEY,
    build: |base_url, timeout| {
        Box::new(OpenAiClient::new(
            client(),
            base_url,
            Secret::new(OPENAI_KEY),
            timeout,
        ))
    },
};

const TARGETS: [Target; 2] = [ANTHROPIC, OPENAI];

fn client() -> reqwest::Client {
    build_http_client().expect("HTTP client")
}

/// A short conversation with a system prompt, as the gateway sends it.
fn conversation() -> CompletionRequest {
    CompletionRequest {
        model: "test-model-1".to_owned(),
        system: Some("You are a friendly chef.".to_owned()),
        messages: vec![
            ChatMessage {
                role: Role::User,
                content: "Suggest a dinner.".to_owned(),
            },
            ChatMessage {
                role: Role::Assistant,
                content: "How about risotto?".to_owned(),
            },
            ChatMessage {
                role: Role::User,
                content: "Something quicker, please.".to_owned(),
            },
        ],
        temperature: 0.7,
        max_tokens: 1000,
        top_p: 0.9,
    }
}

fn llm_config(pairs: &[(&str, &str)]) -> IntegrationsConfig {
    IntegrationsConfig::from_lookup(&|name| {
        pairs
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .expect("test configuration")
}

#[tokio::test]
async fn clients_exist_only_for_providers_with_a_key() {
    let clients = providers(&llm_config(&[("OPENAI_API_KEY", OPENAI_KEY)]), client());
    assert_eq!(
        clients.client(Provider::OpenAi).unwrap().provider(),
        Provider::OpenAi
    );
    let missing = clients
        .client(Provider::Anthropic)
        .err()
        .expect("no Anthropic key");
    assert_eq!(
        missing.to_string(),
        "anthropic is not configured on this server"
    );
}

#[tokio::test]
async fn the_dev_generator_stands_in_for_both_providers() {
    let config = llm_config(&[
        ("LLM_PROVIDER", "dev"),
        ("ANTHROPIC_API_KEY", ANTHROPIC_KEY),
    ]);
    let clients = providers(&config, client());
    for provider in [Provider::Anthropic, Provider::OpenAi] {
        let dev = clients.client(provider).unwrap();
        assert_eq!(dev.provider(), provider);
        let completion = dev.complete(&conversation()).await.unwrap();
        assert!(
            completion.text.starts_with(super::DEV_MARKER),
            "{}",
            completion.text
        );
    }
}
