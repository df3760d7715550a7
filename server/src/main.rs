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
    /// With no subcommand, `rewind` serves: these are exactly `rewind serve`'s flags and variables.
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// One definition of how to serve, parsed alike for `rewind` and `rewind serve` (cargo-leptos and
/// process managers run the binary without a subcommand).
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
struct ServeArgs {
    /// Listen address; else LEPTOS_SITE_ADDR, else 127.0.0.1:3000.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// No sign-in: anyone who reaches the console is admin, and every page says so. Local demos only.
    /// (From the environment: true/false, yes/no, on/off or 1/0; anything else is refused.)
    #[arg(long, env = "REWIND_INSECURE_NO_AUTH", value_parser = clap::builder::BoolishValueParser::new())]
    insecure_no_auth: bool,
}

impl Cli {
    /// Parses the arguments into the command to run. `rewind` alone serves with the flags it was given;
    /// serve flags typed before a subcommand are refused rather than silently ignored. (clap's
    /// `args_conflicts_with_subcommands` would also refuse the global `--config`.)
    /// Returns the config file and the command.
    fn command_from<I, T>(args: I) -> Result<(Option<PathBuf>, Command), clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{parser::ValueSource, CommandFactory, FromArgMatches};
        let mut cmd = Cli::command();
        let matches = cmd.try_get_matches_from_mut(args)?;
        let typed = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        let cli = Cli::from_arg_matches(&matches)?;
        let command = match cli.command {
            None => Command::Serve(cli.serve),
            Some(_) if typed("addr") || typed("insecure_no_auth") => {
                return Err(cmd.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "serve flags go after `serve`, or with no subcommand at all",
                ))
            }
            Some(command) => command,
        };
        Ok((cli.config, command))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the console (the default).
    Serve(ServeArgs),
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

#[derive(Subcommand, Debug)]
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

#[derive(Subcommand, Debug)]
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
    let (config_path, command) = match Cli::command_from(std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(e) => e.exit(),
    };
    let mut config = match Config::load(config_path.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rewind: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Serve(args) => {
            config.auth.insecure_no_auth = args.insecure_no_auth;
            serve(config, args.addr).await
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
    router::use_hashed_assets(&mut leptos);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::command_from(std::iter::once("rewind").chain(args.iter().copied())).map(|(_, c)| c)
    }

    fn serve_args(args: &[&str]) -> ServeArgs {
        match parse(args) {
            Ok(Command::Serve(a)) => a,
            other => panic!("{args:?} should serve, got {other:?}"),
        }
    }

    // One test, because it sets a process-wide variable that the other cases must see unset.
    #[test]
    fn no_subcommand_parses_exactly_what_serve_parses_flags_and_environment() {
        std::env::remove_var("REWIND_INSECURE_NO_AUTH");
        let addr: SocketAddr = "127.0.0.1:4000".parse().expect("address");
        for (bare, sub) in [
            (vec![], vec!["serve"]),
            (
                vec!["--insecure-no-auth"],
                vec!["serve", "--insecure-no-auth"],
            ),
            (
                vec!["--addr", "127.0.0.1:4000"],
                vec!["serve", "--addr", "127.0.0.1:4000"],
            ),
        ] {
            assert_eq!(serve_args(&bare), serve_args(&sub), "{bare:?} vs {sub:?}");
        }
        assert_eq!(
            serve_args(&["--addr", "127.0.0.1:4000"]),
            ServeArgs {
                addr: Some(addr),
                insecure_no_auth: false
            }
        );
        assert!(serve_args(&["--insecure-no-auth"]).insecure_no_auth);

        // What `cargo leptos serve` and scripts/dev.sh do: no subcommand, the variable set.
        std::env::set_var("REWIND_INSECURE_NO_AUTH", "true");
        let bare = serve_args(&[]);
        std::env::remove_var("REWIND_INSECURE_NO_AUTH");
        assert!(
            bare.insecure_no_auth,
            "REWIND_INSECURE_NO_AUTH must be read without `serve`"
        );
        std::env::set_var("REWIND_INSECURE_NO_AUTH", "true");
        let sub = serve_args(&["serve"]);
        // The variable must not make other subcommands fail as if the flag had been typed.
        let users = parse(&["users", "hash"]);
        std::env::remove_var("REWIND_INSECURE_NO_AUTH");
        assert!(sub.insecure_no_auth);
        assert!(matches!(users, Ok(Command::Users { .. })), "{users:?}");
    }

    #[test]
    fn serve_flags_with_another_subcommand_are_refused_and_config_goes_anywhere() {
        assert!(parse(&["--addr", "127.0.0.1:4000", "users", "hash"]).is_err());
        assert!(parse(&["--insecure-no-auth", "serve"]).is_err());
        assert!(parse(&["--config", "x.toml", "users", "hash"]).is_ok());
        // How the tests and operators start it: the config before `serve`, serve's flags after.
        let parsed = Cli::command_from([
            "rewind",
            "--config",
            "x.toml",
            "serve",
            "--insecure-no-auth",
            "--addr",
            "127.0.0.1:4000",
        ]);
        let (config, command) = parsed.expect("parses");
        assert_eq!(config, Some(PathBuf::from("x.toml")));
        assert!(matches!(
            command,
            Command::Serve(ServeArgs {
                insecure_no_auth: true,
                addr: Some(_)
            })
        ));
        assert!(parse(&["serve", "--config", "x.toml"]).is_ok());
        assert!(matches!(
            parse(&["demo", "seed", "--live"]),
            Ok(Command::Demo { .. })
        ));
    }
}
