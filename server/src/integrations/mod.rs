//! Clients of third-party services, all in one place: code delivery (Resend email, Twilio SMS), OAuth
//! identity providers and LLM providers. Every base URL comes from the configuration, so tests and local
//! demos point them at a mock on 127.0.0.1. See docs/INTEGRATIONS.md.

pub mod config;
pub mod delivery;
pub mod http;
pub mod llm;
pub mod oauth;
