//! The `rewind` binary: `rewind serve` runs the console, `rewind demo seed` fills a broker with demo data.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use leptos::config::get_configuration;
use rewind_server::config::Config;
use rewind_server::{demo, router};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "rewind",
    version,
    about = "Kafka consumer-group replay console"
)]
struct Cli {
    /// TOML config file (clusters, data directory). Without one: cluster `local` at 127.0.0.1:9092.
    #[arg(long, env = "REWIND_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console (the default). Address from --addr, else LEPTOS_SITE_ADDR, else 127.0.0.1:3000.
    Serve {
        #[arg(long)]
        addr: Option<SocketAddr>,
    },
    /// Demo data on a development broker.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Create demo topics, records over the last 48 h and consumer groups in typical states.
    Seed {
        /// The configured cluster to seed.
        #[arg(long, default_value = "local")]
        cluster: String,
        /// Keep running afterwards: the Stable group's live member and a trickle of new records,
        /// until interrupted.
        #[arg(long)]
        live: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rewind: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve { addr: None }) {
        Command::Serve { addr } => serve(config, addr).await,
        Command::Demo {
            command: DemoCommand::Seed { cluster, live },
        } => demo::run(&config, &cluster, live)
            .await
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rewind: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, addr: Option<SocketAddr>) -> Result<(), String> {
    let mut leptos = get_configuration(None)
        .map_err(|e| format!("leptos configuration: {e}"))?
        .leptos_options;
    // cargo-leptos sets the output name at build time; a plain `cargo build` does not.
    if leptos.output_name.is_empty() {
        leptos.output_name = "rewind".into();
    }
    if let Some(addr) = addr {
        leptos.site_addr = addr;
    }
    let addr = leptos.site_addr;
    let services = router::services(&config).map_err(|e| e.to_string())?;
    let app = router::build(leptos, services);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, clusters = config.clusters.len(), "Rewind is serving on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, run until killed rather than exit at once.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
