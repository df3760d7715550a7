//! The `[auth]` section: local users, OIDC, the trusted proxy header and grants, as the file says
//! them and as the server uses them (secrets read from the environment).

use serde::Deserialize;

use super::{ConfigError, Secret};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthFile {
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

pub(super) fn resolve_auth(
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
