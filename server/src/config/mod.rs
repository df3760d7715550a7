//! Rewind's configuration: read once at start-up from a TOML file, then environment overrides.
//!
//! File (path from `--config` or `REWIND_CONFIG`), every key optional except a cluster's name:
//! ```toml
//! data_dir = "/var/lib/rewind"          # Rewind's own state; default ./.rewind
//! [[clusters]]
//! name = "prod"
//! bootstrap_servers = "k1:9093,k2:9093"
//! security_protocol = "SASL_SSL"        # PLAINTEXT (default) | SSL | SASL_PLAINTEXT | SASL_SSL
//! sasl_mechanism = "SCRAM-SHA-512"      # PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
//! sasl_username = "rewind"
//! sasl_password_env = "PROD_KAFKA_PASSWORD"  # secrets are only ever read from the environment
//! ssl_ca_location = "/etc/rewind/ca.pem"
//! ssl_certificate_location = "/etc/rewind/client.pem"
//! ssl_key_location = "/etc/rewind/client.key"
//! ssl_key_password_env = "PROD_KAFKA_KEY_PASSWORD"
//! ```
//! Environment overrides, per cluster, with `<NAME>` the cluster name upper-cased and every
//! non-alphanumeric character turned into `_` (cluster `local` -> `LOCAL`):
//! `REWIND_<NAME>_BOOTSTRAP_SERVERS`, `REWIND_<NAME>_SECURITY_PROTOCOL`, `REWIND_<NAME>_SASL_MECHANISM`,
//! `REWIND_<NAME>_SASL_USERNAME`, `REWIND_<NAME>_SASL_PASSWORD`.
//! `REWIND_DATA_DIR` overrides `data_dir`. With no file at all: one cluster `local` at 127.0.0.1:9092.
//! The `[auth]` section (users, OIDC, proxy header, grants) is described in the README's "Sign-in and
//! roles"; its OIDC client secret, like every secret, is read from the environment.

mod auth;
#[cfg(test)]
mod tests;
mod web;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use auth::{resolve_auth, AuthFile};
pub use auth::{AuthConfig, ConfigUser, GrantRule, OidcConfig, ProxyConfig};
use web::resolve_web;
pub use web::WebConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("cluster '{cluster}': {problem}")]
    Cluster { cluster: String, problem: String },
    #[error("no cluster is configured")]
    NoClusters,
    #[error("[auth]: {problem}")]
    Auth { problem: String },
    #[error("{problem}")]
    Web { problem: String },
}

/// A value that must never be printed: `Debug` shows only that it is set.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum SecurityProtocol {
    #[default]
    #[serde(rename = "PLAINTEXT")]
    Plaintext,
    #[serde(rename = "SSL")]
    Ssl,
    #[serde(rename = "SASL_PLAINTEXT")]
    SaslPlaintext,
    #[serde(rename = "SASL_SSL")]
    SaslSsl,
}

impl SecurityProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plaintext => "PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::SaslSsl => "SASL_SSL",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(Self::Plaintext),
            "SSL" => Some(Self::Ssl),
            "SASL_PLAINTEXT" => Some(Self::SaslPlaintext),
            "SASL_SSL" => Some(Self::SaslSsl),
            _ => None,
        }
    }

    pub fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterFile {
    name: String,
    #[serde(default = "default_bootstrap")]
    bootstrap_servers: String,
    #[serde(default)]
    security_protocol: SecurityProtocol,
    sasl_mechanism: Option<String>,
    sasl_username: Option<String>,
    sasl_password_env: Option<String>,
    ssl_ca_location: Option<PathBuf>,
    ssl_certificate_location: Option<PathBuf>,
    ssl_key_location: Option<PathBuf>,
    ssl_key_password_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data_dir: Option<PathBuf>,
    /// The URL browsers use to reach Rewind (`https://rewind.example.com`); its origin is the only
    /// one state-changing requests may come from, and its host is accepted in `Host`.
    public_url: Option<String>,
    /// More `Host` values to accept (`host` or `host:port`), for other names Rewind is reached by.
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    clusters: Vec<ClusterFile>,
    #[serde(default)]
    auth: AuthFile,
    #[serde(default)]
    lag_history: LagHistoryConfig,
}

/// `[lag_history]`: every group's lag sampled on a fixed interval into the store.
/// ```toml
/// [lag_history]
/// enabled = true          # default true
/// interval_secs = 60      # one batched pass per cluster this often; default 60, at least 1
/// retention_days = 7      # samples older than this are dropped; default 7
/// metrics_top = 20        # groups with the most lag exported on /metrics, per cluster; default 20
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LagHistoryConfig {
    pub enabled: bool,
    pub interval_secs: u64,
    pub retention_days: u64,
    pub metrics_top: usize,
}

impl Default for LagHistoryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_secs: 60,
            retention_days: 7,
            metrics_top: 20,
        }
    }
}

fn default_bootstrap() -> String {
    "127.0.0.1:9092".into()
}

/// A cluster ready to connect to: secrets resolved from the environment.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    pub name: String,
    pub bootstrap_servers: String,
    pub security_protocol: SecurityProtocol,
    pub sasl_mechanism: Option<String>,
    pub sasl_username: Option<String>,
    pub sasl_password: Option<Secret>,
    pub ssl_ca_location: Option<PathBuf>,
    pub ssl_certificate_location: Option<PathBuf>,
    pub ssl_key_location: Option<PathBuf>,
    pub ssl_key_password: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub clusters: Vec<ClusterConfig>,
    pub auth: AuthConfig,
    pub web: WebConfig,
    pub lag_history: LagHistoryConfig,
}

impl Config {
    /// Reads the file (if any) and applies the process environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(path, |k| std::env::var(k).ok())
    }

    /// As `load`, with the environment given as a lookup so tests need not mutate the process env.
    pub fn load_with_env(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                Self::parse_file(path, &text)?
            }
            None => ConfigFile::default(),
        };
        Self::resolve(file, &env)
    }

    fn parse_file(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    fn resolve(
        file: ConfigFile,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut clusters_in = file.clusters;
        if clusters_in.is_empty() {
            clusters_in.push(ClusterFile {
                name: "local".into(),
                bootstrap_servers: default_bootstrap(),
                security_protocol: SecurityProtocol::Plaintext,
                sasl_mechanism: None,
                sasl_username: None,
                sasl_password_env: None,
                ssl_ca_location: None,
                ssl_certificate_location: None,
                ssl_key_location: None,
                ssl_key_password_env: None,
            });
        }
        let mut seen = BTreeSet::new();
        let mut clusters = Vec::with_capacity(clusters_in.len());
        for c in clusters_in {
            let bad = |problem: String| ConfigError::Cluster {
                cluster: c.name.clone(),
                problem,
            };
            if c.name.trim().is_empty() {
                return Err(bad("the name is empty".into()));
            }
            if !seen.insert(c.name.clone()) {
                return Err(bad("the name is used twice".into()));
            }
            let prefix = format!("REWIND_{}_", env_key(&c.name));
            let var = |suffix: &str| env(&format!("{prefix}{suffix}")).filter(|v| !v.is_empty());

            let bootstrap_servers = var("BOOTSTRAP_SERVERS").unwrap_or(c.bootstrap_servers.clone());
            let security_protocol = match var("SECURITY_PROTOCOL") {
                Some(s) => SecurityProtocol::parse(&s)
                    .ok_or_else(|| bad(format!("unknown security protocol '{s}'")))?,
                None => c.security_protocol,
            };
            let sasl_mechanism = var("SASL_MECHANISM").or(c.sasl_mechanism.clone());
            let sasl_username = var("SASL_USERNAME").or(c.sasl_username.clone());
            let sasl_password = match var("SASL_PASSWORD") {
                Some(p) => Some(p),
                None => match &c.sasl_password_env {
                    Some(name) => Some(env(name).ok_or_else(|| {
                        bad(format!("sasl_password_env names {name}, which is not set"))
                    })?),
                    None => None,
                },
            }
            .map(Secret::new);
            let ssl_key_password = match &c.ssl_key_password_env {
                Some(name) => Some(Secret::new(env(name).ok_or_else(|| {
                    bad(format!(
                        "ssl_key_password_env names {name}, which is not set"
                    ))
                })?)),
                None => None,
            };

            if bootstrap_servers.trim().is_empty() {
                return Err(bad("bootstrap_servers is empty".into()));
            }
            if security_protocol.uses_sasl() {
                if sasl_mechanism.is_none() || sasl_username.is_none() || sasl_password.is_none() {
                    return Err(bad(format!(
                        "{} needs sasl_mechanism, sasl_username and a password",
                        security_protocol.as_str()
                    )));
                }
            } else if sasl_mechanism.is_some() {
                return Err(bad(format!(
                    "sasl_mechanism is set but security_protocol is {}",
                    security_protocol.as_str()
                )));
            }
            if let Some(m) = &sasl_mechanism {
                if !matches!(
                    m.as_str(),
                    "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | "OAUTHBEARER"
                ) {
                    return Err(bad(format!("unsupported SASL mechanism '{m}'")));
                }
            }

            clusters.push(ClusterConfig {
                name: c.name.clone(),
                bootstrap_servers,
                security_protocol,
                sasl_mechanism,
                sasl_username,
                sasl_password,
                ssl_ca_location: c.ssl_ca_location.clone(),
                ssl_certificate_location: c.ssl_certificate_location.clone(),
                ssl_key_location: c.ssl_key_location.clone(),
                ssl_key_password,
            });
        }
        if clusters.is_empty() {
            return Err(ConfigError::NoClusters);
        }
        let data_dir = env("REWIND_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(".rewind"));
        let auth = resolve_auth(file.auth, env)?;
        Ok(Self {
            data_dir,
            clusters,
            auth,
            web: resolve_web(file.public_url, file.allowed_hosts)?,
            lag_history: LagHistoryConfig {
                interval_secs: file.lag_history.interval_secs.max(1),
                ..file.lag_history
            },
        })
    }
}

/// `my-cluster.eu` -> `MY_CLUSTER_EU`.
fn env_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}
