//! The fairydust server: configuration, HTTP surface, database and cache wiring, CLI commands.

pub mod app;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod http;
pub mod integrations;
pub mod report_rollups;
pub mod telemetry;
