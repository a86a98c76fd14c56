use clap::Parser;
use fairydust_server::cli::{self, Cli};
use fairydust_server::config::Config;
use fairydust_server::telemetry;

/// mimalloc instead of glibc's malloc: allocation was a quarter to a third of the server's CPU per
/// request (docs/BENCHMARKS.md, "The GraphQL layer").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process. mimalloc's segments on a kernel with THP set to
/// `always` fault in 2 MiB at a time: the idle server held 47–49 MiB instead of about 30 MiB, for no
/// measurable speed (docs/BENCHMARKS.md, "Memory"). Best effort: a kernel without THP refuses, and that
/// is fine.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

fn main() -> std::process::ExitCode {
    // Before the runtime's threads and buffers exist, so none of their pages are huge.
    disable_transparent_huge_pages();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve_cli()),
        Err(error) => {
            eprintln!("fairydust: cannot start the async runtime: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve_cli() -> std::process::ExitCode {
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
