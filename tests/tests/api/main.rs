//! API tests: the real server over HTTP and WebSocket, on PostgreSQL + Redis or SQLite + in-process cache.

mod apps;
mod auth;
mod authorization;
mod http_surface;
mod identity_account;
mod identity_oauth;
mod identity_otp;
mod identity_sessions;
mod ledger_admin;
mod ledger_consume;
mod ledger_support;
mod limits;
mod llm_gateway;
mod llm_support;
mod llm_usage;
mod migrations;
mod portal_session;
mod profile;
mod questions;
mod readiness;
mod recipes;
mod stories;
mod websocket;
