//! API tests: the real server over HTTP and WebSocket, on PostgreSQL + Redis or SQLite + in-process cache.

mod apps;
mod auth;
mod http_surface;
mod identity_account;
mod identity_oauth;
mod identity_otp;
mod identity_sessions;
mod ledger;
mod limits;
mod llm;
mod migrations;
mod profile;
mod questions;
mod readiness;
mod websocket;
