//! LLM calls (DESIGN §3 Apps and LLM): provider clients behind one trait, server-side pricing,
//! fallbacks, cost and rate limits, usage logs.

pub mod provider;
