//! API tests: the real server over HTTP and WebSocket, on PostgreSQL + Redis or SQLite + in-process cache.

mod auth;
mod http_surface;
mod identity_otp;
mod ledger;
mod limits;
mod migrations;
mod readiness;
mod websocket;
