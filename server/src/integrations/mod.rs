//! Clients of third-party services: OAuth identity providers and LLM providers. Every base URL comes from
//! `IntegrationsConfig`, so tests and local demos point them at a mock on 127.0.0.1. See docs/INTEGRATIONS.md.

pub mod config;
pub mod http;
pub mod llm;
pub mod oauth;
