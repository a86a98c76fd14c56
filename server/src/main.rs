use clap::Parser;
use fairydust_server::cli::{self, Cli};
use fairydust_server::config::Config;
use fairydust_server::telemetry;

/// mimalloc instead of glibc's malloc: allocation was a quarter to a third of the server's CPU per
/// request (docs/BENCHMARKS.md, "The GraphQL layer").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("fairydust: refusing to start: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    telemetry::init(config.log_format);
    // sqlx (ring) and reqwest may both link rustls providers; pick one explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli::run(cli, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("fairydust: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
