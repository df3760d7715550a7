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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AuthFile {
    /// Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` names the client, for audit and
    /// sign-in throttling, whether or not they also sign people in (`[auth.proxy]`).
    #[serde(default)]
    trusted_forwarders: Vec<String>,
    session_hours: Option<u64>,
    idle_minutes: Option<u64>,
    secure_cookies: Option<bool>,
    #[serde(default)]
    users: Vec<UserFile>,
    oidc: Option<OidcFile>,
    proxy: Option<ProxyFile>,
    #[serde(default)]
    grants: Vec<GrantFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    name: String,
    password_hash: String,
    #[serde(default)]
    teams: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcFile {
    issuer: String,
    client_id: String,
    client_secret_env: String,
    redirect_url: String,
    #[serde(default = "default_oidc_scopes")]
    scopes: String,
    #[serde(default = "default_groups_claim")]
    groups_claim: String,
    #[serde(default = "default_name_claim")]
    name_claim: String,
    #[serde(default = "default_oidc_label")]
    label: String,
    /// Where the provider sends the browser after signing out there (default: `/login` on the
    /// origin of `redirect_url`); it must be registered with the provider.
    post_logout_redirect_url: Option<String>,
    /// Sign-out also ends the provider's session (RP-initiated logout), when it offers that.
    #[serde(default = "default_true")]
    provider_sign_out: bool,
}

fn default_true() -> bool {
    true
}

fn default_oidc_scopes() -> String {
    "openid profile email".into()
}
fn default_groups_claim() -> String {
    "groups".into()
}
fn default_name_claim() -> String {
    "preferred_username".into()
}
fn default_oidc_label() -> String {
    "single sign-on".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProxyFile {
    user_header: String,
    groups_header: Option<String>,
    trusted_addresses: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantFile {
    role: app::domain::access::Role,
    /// One namespace per sign-in method: `user:<name>` (a local user), `oidc:<sub>` (a single sign-on
    /// subject of the configured issuer), `proxy:<user>` (a trusted proxy's user header), or
    /// `team:<group>` (an OIDC group claim, proxy group or local user's team), or `*`.
    subjects: Vec<String>,
    #[serde(default = "any")]
    clusters: String,
    #[serde(default = "any")]
    groups: String,
}

fn any() -> String {
    "*".into()
}

/// How people sign in and what they may do; see the README's "Sign-in and roles".
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `--insecure-no-auth`: no sign-in, everyone is admin, every page says so.
    pub insecure_no_auth: bool,
    pub session_ttl_ms: i64,
    /// A session unused this long ends, whatever its absolute expiry.
    pub session_idle_ms: i64,
    /// Cookies marked `Secure` (default): off only for plain-http development.
    pub secure_cookies: bool,
    pub users: Vec<ConfigUser>,
    pub oidc: Option<OidcConfig>,
    pub proxy: Option<ProxyConfig>,
    pub grants: Vec<GrantRule>,
    /// Peers whose `X-Forwarded-For` is believed (besides `[auth.proxy]`'s trusted addresses).
    pub forwarders: Vec<ipnet::IpNet>,
}

impl AuthConfig {
    /// The `[[auth.users]]` entry named `name`: it wins over a store user of that name everywhere.
    pub fn user(&self, name: &str) -> Option<&ConfigUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether any way to sign in is configured.
    pub fn has_sign_in(&self) -> bool {
        !self.users.is_empty() || self.oidc.is_some() || self.proxy.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct ConfigUser {
    pub name: String,
    pub password_hash: String,
    pub teams: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_url: String,
    pub scopes: String,
    pub groups_claim: String,
    pub name_claim: String,
    /// The sign-in button's text: "Sign in with {label}".
    pub label: String,
    /// Where the provider returns the browser after its sign-out.
    pub post_logout_redirect_url: String,
    pub provider_sign_out: bool,
}

#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub user_header: String,
    pub groups_header: Option<String>,
    pub trusted: Vec<ipnet::IpNet>,
}

/// A role for the subjects it names, on the clusters and groups its globs match.
#[derive(Debug, Clone)]
pub struct GrantRule {
    pub subjects: Vec<String>,
    pub grant: app::domain::access::Grant,
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
}

/// Which names and origins browsers reach Rewind by (DNS rebinding and cross-site checks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebConfig {
    /// `scheme://host[:port]` of `public_url`, when configured.
    pub public_origin: Option<String>,
    /// `host[:port]` values accepted in `Host`, lower-cased: `public_url`'s and `allowed_hosts`.
    pub allowed_hosts: Vec<String>,
}

fn resolve_web(public_url: Option<String>, allowed: Vec<String>) -> Result<WebConfig, ConfigError> {
    let bad = |problem: String| ConfigError::Web { problem };
    let mut web = WebConfig::default();
    if let Some(raw) = public_url {
        let url = reqwest::Url::parse(&raw)
            .map_err(|e| bad(format!("public_url '{raw}' is not a URL: {e}")))?;
        let host = url
            .host_str()
            .filter(|_| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                bad(format!(
                    "public_url '{raw}' must be http:// or https:// with a host"
                ))
            })?;
        web.allowed_hosts.push(match url.port() {
            Some(port) => format!("{host}:{port}").to_ascii_lowercase(),
            None => host.to_ascii_lowercase(),
        });
        web.public_origin = Some(url.origin().ascii_serialization());
    }
    for h in allowed {
        let h = h.trim().to_ascii_lowercase();
        if h.is_empty() || h.contains(['/', ' ', '@']) {
            return Err(bad(format!(
                "allowed_hosts entry '{h}' must be host or host:port"
            )));
        }
        web.allowed_hosts.push(h);
    }
    Ok(web)
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
        })
    }
}

fn resolve_auth(
    file: AuthFile,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<AuthConfig, ConfigError> {
    let bad = |problem: String| ConfigError::Auth { problem };
    let mut users = Vec::new();
    for u in file.users {
        if !u.password_hash.starts_with("$argon2") {
            return Err(bad(format!(
                "user '{}': password_hash must be an Argon2 PHC string (make one with `rewind users hash`)",
                u.name
            )));
        }
        users.push(ConfigUser {
            name: u.name,
            password_hash: u.password_hash,
            teams: u.teams,
        });
    }
    let oidc = match file.oidc {
        Some(o) => {
            let secret = env(&o.client_secret_env)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    bad(format!(
                        "oidc.client_secret_env names {}, which is not set",
                        o.client_secret_env
                    ))
                })?;
            if !o.scopes.split_whitespace().any(|s| s == "openid") {
                return Err(bad("oidc.scopes must include openid".into()));
            }
            let post_logout_redirect_url = match o.post_logout_redirect_url {
                Some(u) => u,
                None => reqwest::Url::parse(&o.redirect_url)
                    .and_then(|u| u.join("/login"))
                    .map(String::from)
                    .map_err(|e| bad(format!("oidc.redirect_url is not a URL: {e}")))?,
            };
            Some(OidcConfig {
                post_logout_redirect_url,
                provider_sign_out: o.provider_sign_out,
                issuer: o.issuer.trim_end_matches('/').to_owned(),
                client_id: o.client_id,
                client_secret: Secret::new(secret),
                redirect_url: o.redirect_url,
                scopes: o.scopes,
                groups_claim: o.groups_claim,
                name_claim: o.name_claim,
                label: o.label,
            })
        }
        None => None,
    };
    let net = |field: &str, a: &str| {
        a.parse::<ipnet::IpNet>()
            .or_else(|_| a.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| bad(format!("{field}: '{a}' is not an address or CIDR")))
    };
    let forwarders = file
        .trusted_forwarders
        .iter()
        .map(|a| net("trusted_forwarders", a))
        .collect::<Result<Vec<_>, _>>()?;
    let proxy = match file.proxy {
        Some(p) => {
            let mut trusted = Vec::new();
            for a in &p.trusted_addresses {
                trusted.push(net("proxy.trusted_addresses", a)?);
            }
            if trusted.is_empty() {
                return Err(bad(
                    "proxy.trusted_addresses is empty: the header would be trusted from nobody"
                        .into(),
                ));
            }
            Some(ProxyConfig {
                user_header: p.user_header,
                groups_header: p.groups_header,
                trusted,
            })
        }
        None => None,
    };
    let mut grants = Vec::new();
    for g in file.grants {
        for s in &g.subjects {
            let named = ["user:", "oidc:", "proxy:", "team:"]
                .iter()
                .any(|p| s.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
            if s != "*" && !named {
                return Err(bad(format!(
                    "grant subject '{s}' must be user:<local user>, oidc:<sub>, proxy:<user>, team:<group> or *"
                )));
            }
        }
        grants.push(GrantRule {
            subjects: g.subjects,
            grant: app::domain::access::Grant {
                role: g.role,
                clusters: g.clusters,
                groups: g.groups,
            },
        });
    }
    Ok(AuthConfig {
        insecure_no_auth: false,
        session_ttl_ms: file.session_hours.unwrap_or(8).clamp(1, 24 * 30) as i64 * 3_600_000,
        session_idle_ms: file.idle_minutes.unwrap_or(60).clamp(1, 24 * 60 * 30) as i64 * 60_000,
        secure_cookies: file.secure_cookies.unwrap_or(true),
        users,
        oidc,
        proxy,
        grants,
        forwarders,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let file = Config::parse_file(Path::new("test.toml"), text)?;
        Config::resolve(file, &|k: &str| env.get(k).cloned())
    }

    #[test]
    fn no_config_gives_local_cluster() {
        let c = load("", &[]).expect("default config");
        assert_eq!(c.clusters.len(), 1);
        assert_eq!(c.clusters[0].name, "local");
        assert_eq!(c.clusters[0].bootstrap_servers, "127.0.0.1:9092");
        assert_eq!(c.data_dir, PathBuf::from(".rewind"));
    }

    #[test]
    fn env_overrides_bootstrap_of_default_cluster() {
        let c = load("", &[("REWIND_LOCAL_BOOTSTRAP_SERVERS", "10.0.0.1:9094")]).expect("config");
        assert_eq!(c.clusters[0].bootstrap_servers, "10.0.0.1:9094");
    }

    #[test]
    fn sasl_password_comes_from_named_env_and_is_never_printed() {
        let text = r#"
            [[clusters]]
            name = "prod-eu.1"
            bootstrap_servers = "k1:9093"
            security_protocol = "SASL_SSL"
            sasl_mechanism = "SCRAM-SHA-512"
            sasl_username = "rewind"
            sasl_password_env = "PROD_PW"
        "#;
        let c = load(text, &[("PROD_PW", "hunter2")]).expect("config");
        let cl = &c.clusters[0];
        assert_eq!(
            cl.sasl_password.as_ref().map(Secret::expose),
            Some("hunter2")
        );
        assert!(!format!("{c:?}").contains("hunter2"));

        let c = load(
            text,
            &[("PROD_PW", "x"), ("REWIND_PROD_EU_1_SASL_PASSWORD", "y")],
        )
        .expect("config");
        assert_eq!(
            c.clusters[0].sasl_password.as_ref().map(Secret::expose),
            Some("y")
        );
    }

    #[test]
    fn oidc_sign_out_returns_to_our_login_page_by_default() {
        let text = r#"
            [auth.oidc]
            issuer = "https://idp.example/"
            client_id = "rewind"
            client_secret_env = "OIDC_SECRET"
            redirect_url = "https://rewind.example:8443/auth/oidc/callback"
        "#;
        let c = load(text, &[("OIDC_SECRET", "s3cret-value")]).expect("config");
        let o = c.auth.oidc.as_ref().expect("oidc");
        assert_eq!(
            o.post_logout_redirect_url,
            "https://rewind.example:8443/login"
        );
        assert!(o.provider_sign_out);
        assert_eq!(o.issuer, "https://idp.example");
        assert!(!format!("{c:?}").contains("s3cret-value"));
        let c = load(
            &format!("{text}provider_sign_out = false\npost_logout_redirect_url = \"https://x.example/bye\"\n"),
            &[("OIDC_SECRET", "s")],
        )
        .expect("config");
        let o = c.auth.oidc.as_ref().expect("oidc");
        assert!(!o.provider_sign_out);
        assert_eq!(o.post_logout_redirect_url, "https://x.example/bye");
    }

    #[test]
    fn rejects_incomplete_or_inconsistent_clusters() {
        let missing_pw = r#"
            [[clusters]]
            name = "a"
            security_protocol = "SASL_PLAINTEXT"
            sasl_mechanism = "PLAIN"
            sasl_username = "u"
            sasl_password_env = "NOPE"
        "#;
        let err = load(missing_pw, &[]).expect_err("missing env");
        assert!(err.to_string().contains("NOPE"), "{err}");

        let dup = "[[clusters]]\nname = \"a\"\n[[clusters]]\nname = \"a\"\n";
        assert!(load(dup, &[])
            .expect_err("dup")
            .to_string()
            .contains("twice"));

        let unknown_key = "[[clusters]]\nname = \"a\"\nbootstrap = \"x\"\n";
        assert!(load(unknown_key, &[]).is_err());

        let bad_mech = r#"
            [[clusters]]
            name = "a"
            security_protocol = "SASL_PLAINTEXT"
            sasl_mechanism = "GSSAPI"
            sasl_username = "u"
            sasl_password_env = "P"
        "#;
        assert!(load(bad_mech, &[("P", "p")])
            .expect_err("mech")
            .to_string()
            .contains("GSSAPI"));
    }
}
