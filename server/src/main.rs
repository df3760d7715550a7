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
        /// No sign-in: anyone who reaches the console is admin, and every page says so. Local demos only.
        #[arg(long, env = "REWIND_INSECURE_NO_AUTH")]
        insecure_no_auth: bool,
    },
    /// Local users who sign in with a password.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
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

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user in the store (or replace their password, teams and grants). The password is read
    /// from REWIND_NEW_PASSWORD if set, else from the first line of standard input.
    Add {
        name: String,
        /// A team the user belongs to, for `team:<name>` grants; repeatable.
        #[arg(long = "team")]
        teams: Vec<String>,
        /// A role of the user's own, `ROLE[:CLUSTERS[:GROUPS]]` (globs, `*` when left out), e.g.
        /// `admin` for the first admin or `operator:prod:payments-*`; repeatable.
        #[arg(long = "grant")]
        grants: Vec<String>,
    },
    /// Print the Argon2 hash of a password (read as for `add`), for a `[[auth.users]]` entry.
    Hash,
}

/// The new password: from the environment for scripts, else one line of stdin (never an argument,
/// which `ps` would show).
fn read_new_password() -> Result<String, String> {
    let pw = match std::env::var("REWIND_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    app::domain::users::check_password(&pw).map_err(|e| e.to_string())?;
    Ok(pw)
}

async fn users(config: &Config, command: UsersCommand) -> Result<(), String> {
    use app::api::ports::{Actor, Users};
    use rewind_server::auth::{password, Auth};
    use rewind_server::store::{SqliteStore, Store};
    let pw = read_new_password()?;
    match command {
        UsersCommand::Hash => {
            println!("{}", password::hash_blocking(pw).await?);
            Ok(())
        }
        UsersCommand::Add {
            name,
            teams,
            grants,
        } => {
            let grants = grants
                .iter()
                .map(|g| app::domain::users::parse_grant(g))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let db = config.data_dir.join("rewind.db");
            let store: std::sync::Arc<dyn Store> =
                std::sync::Arc::new(SqliteStore::open(&db).map_err(|e| e.to_string())?);
            let creating = store
                .user(name.trim().to_owned())
                .await
                .map_err(|e| e.to_string())?
                .is_none();
            let change = app::domain::users::UserChange {
                name,
                password: Some(pw),
                teams,
                grants,
            }
            .normalised(creating)
            .map_err(|e| e.to_string())?;
            // The console's own save: the same rules (no config user's name), a new password
            // ending the user's sessions, and an audit entry naming where it came from.
            let auth = Auth::new(config.auth.clone(), store, String::new());
            let actor = Actor {
                name: "rewind users add".into(),
                source: "command line".into(),
            };
            let saved = auth
                .save(change, creating, actor)
                .await
                .map_err(|e| e.to_string())?;
            println!("user '{}' saved in {}", saved.name, db.display());
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rewind: {e}");
            return ExitCode::from(2);
        }
    };
    let default = Command::Serve {
        addr: None,
        insecure_no_auth: false,
    };
    let result = match cli.command.unwrap_or(default) {
        Command::Serve {
            addr,
            insecure_no_auth,
        } => {
            config.auth.insecure_no_auth = insecure_no_auth;
            serve(config, addr).await
        }
        Command::Users { command } => users(&config, command).await,
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
    let wired = router::services(&config).map_err(|e| e.to_string())?;
    if config.auth.insecure_no_auth {
        tracing::warn!("sign-in is OFF (--insecure-no-auth): anyone who reaches {addr} can reset consumer groups");
    }
    let app = router::build(leptos, wired);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, clusters = config.clusters.len(), "Rewind is serving on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
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
