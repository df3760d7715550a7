//! Sign-in and the role check: who is calling each request (session cookie, trusted proxy header, or
//! nobody), the grants that apply to them, and the `Authorizer` every server function asks.

mod limiter;
mod oidc;
pub mod password;
mod routes;
mod users;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::api::ports::{Action, Actor, Authorizer};
use app::domain::access::{Caller, Grant, SignInMethod};
use app::domain::audit::AuditEntry;
use app::error::{AppError, AppResult};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub use limiter::LoginLimiter;
pub use routes::routes;

use crate::config::AuthConfig;
use crate::now_ms;
use crate::store::{Session, Store};

/// The session cookie's name over plain http (`secure_cookies = false`, development only).
pub const SESSION_COOKIE: &str = "rewind_session";
/// Its name with `Secure` cookies: the `__Host-` prefix makes browsers refuse one set by a sibling
/// subdomain or for another path (cookie tossing).
pub const SECURE_SESSION_COOKIE: &str = "__Host-rewind_session";

/// The last time the untrusted-proxy-header warning was logged.
static UNTRUSTED_HEADER_WARNED: crate::web::Sparingly = crate::web::Sparingly::every_secs(60);

/// How stale a session's last-use time may get before a request records it again.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The caller of one request and where it came from, put in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestCaller {
    pub caller: Option<Caller>,
    pub source: String,
    /// The session's token hash, for sign-out.
    pub session: Option<String>,
}

pub struct Auth {
    config: AuthConfig,
    store: Arc<dyn Store>,
    limiter: LoginLimiter,
    oidc: Option<oidc::OidcClient>,
    /// The stylesheet the sign-in page links (`/pkg/<output>.css`).
    stylesheet: String,
}

impl Auth {
    pub fn new(config: AuthConfig, store: Arc<dyn Store>, stylesheet: String) -> Self {
        let oidc = config.oidc.clone().map(oidc::OidcClient::new);
        Self {
            config,
            store,
            limiter: LoginLimiter::default(),
            oidc,
            stylesheet,
        }
    }

    pub fn insecure(&self) -> bool {
        self.config.insecure_no_auth
    }

    /// The grants of `name` with `teams`: the config's rules that name them, plus `own` (a store
    /// user's direct grants). Resolved per request, so a changed config applies at the next restart
    /// and an admin's change to a user at their next request, without signing anyone out.
    ///
    /// Each sign-in method names people in its own namespace, so a name someone picks at an identity
    /// provider or a proxy can never take a local user's grants: `user:` matches local (password)
    /// users by name, `oidc:<sub>` a single sign-on `subject` of the configured issuer, `proxy:` a
    /// trusted proxy's user.
    fn caller_for(
        &self,
        name: &str,
        method: SignInMethod,
        sso_subject: Option<&str>,
        teams: Vec<String>,
        own: Vec<Grant>,
    ) -> Caller {
        let issuer = self
            .config
            .oidc
            .as_ref()
            .map(|o| o.issuer.trim_end_matches('/'));
        let names = |s: &str| match method {
            SignInMethod::Password => s.strip_prefix("user:") == Some(name),
            SignInMethod::Proxy => s.strip_prefix("proxy:") == Some(name),
            SignInMethod::Oidc => match (s.strip_prefix("oidc:"), sso_subject, issuer) {
                (Some(sub), Some(subject), Some(issuer)) => subject
                    .split_once('#')
                    .is_some_and(|(iss, s)| iss.trim_end_matches('/') == issuer && s == sub),
                _ => false,
            },
            SignInMethod::None => false,
        };
        let mut grants: Vec<Grant> = self
            .config
            .grants
            .iter()
            .filter(|rule| {
                rule.subjects.iter().any(|s| {
                    s == "*"
                        || names(s)
                        || s.strip_prefix("team:")
                            .is_some_and(|t| teams.iter().any(|x| x == t))
                })
            })
            .map(|rule| rule.grant.clone())
            .collect();
        grants.extend(own);
        Caller {
            name: name.to_owned(),
            method,
            teams,
            grants,
        }
    }

    /// Who is calling: nobody checks in insecure mode; a trusted proxy's header; else the session.
    async fn resolve(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> RequestCaller {
        let trusted_proxy = match (&self.config.proxy, peer) {
            (Some(p), Some(ip)) => p.trusted.iter().any(|n| n.contains(&ip)),
            _ => false,
        };
        // A TLS proxy in front of Rewind is every client's peer: its X-Forwarded-For names them, or
        // throttling and audit would see one address for everyone.
        let forwarder =
            peer.is_some_and(|ip| self.config.forwarders.iter().any(|n| n.contains(&ip)));
        let source = client_address(headers, peer, trusted_proxy || forwarder);
        if self.config.insecure_no_auth {
            return RequestCaller {
                caller: Some(Caller::insecure()),
                source,
                session: None,
            };
        }
        if let Some(proxy) = &self.config.proxy {
            let user = header_text(headers, &proxy.user_header).filter(|u| !u.is_empty());
            match (user, trusted_proxy) {
                (Some(user), true) => {
                    let teams = proxy
                        .groups_header
                        .as_deref()
                        .and_then(|h| header_text(headers, h))
                        .map(|g| split_teams(&g))
                        .unwrap_or_default();
                    return RequestCaller {
                        caller: Some(self.caller_for(
                            &user,
                            SignInMethod::Proxy,
                            None,
                            teams,
                            Vec::new(),
                        )),
                        source,
                        session: None,
                    };
                }
                // Anyone can send the header: say so once a minute, not once per request.
                (Some(_), false) if UNTRUSTED_HEADER_WARNED.due() => {
                    tracing::warn!(%source, header = %proxy.user_header, "ignored a sign-in header from an address that is not a trusted proxy (logged at most once a minute)");
                }
                _ => {}
            }
        }
        let Some(token) = cookie(headers, self.session_cookie()) else {
            return RequestCaller {
                caller: None,
                source,
                session: None,
            };
        };
        let hash = token_hash(&token);
        let now = now_ms();
        let session = match self.store.session(hash.clone()).await {
            Ok(Some(s)) if s.expires_at_ms <= now => None,
            Ok(Some(s)) if now - s.last_seen_ms > self.config.session_idle_ms => {
                // Left unused too long: a browser left open somewhere is not a signed-in operator.
                if let Err(e) = self.store.delete_session(hash.clone()).await {
                    tracing::error!(error = %e, "cannot delete an idle session");
                }
                None
            }
            Ok(Some(s)) => {
                // At most one write a minute per session, off the request's path.
                if now - s.last_seen_ms > TOUCH_EVERY_MS {
                    let (store, hash) = (self.store.clone(), hash.clone());
                    tokio::spawn(async move {
                        if let Err(e) = store.touch_session(hash, now).await {
                            tracing::error!(error = %e, "cannot record a session's use");
                        }
                    });
                }
                Some(s)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a session");
                None
            }
        };
        RequestCaller {
            caller: session.and_then(|s| {
                let method = match s.method.as_str() {
                    "oidc" => SignInMethod::Oidc,
                    _ => SignInMethod::Password,
                };
                // A config user wins over a store user of the same name, as at sign-in.
                let config_user = (method == SignInMethod::Password)
                    .then(|| self.config.user(&s.user))
                    .flatten();
                match config_user {
                    // Signed in with the password the config held then: a changed hash ends it.
                    Some(u) => (s.subject.as_deref() == Some(&credential_tag(&u.password_hash)))
                        .then(|| {
                            self.caller_for(&s.user, method, None, u.teams.clone(), Vec::new())
                        }),
                    // A password user in neither the config nor the store was removed; a session made
                    // as a config user (it carries a credential tag) never becomes a store user's.
                    None if method == SignInMethod::Password
                        && (s.stored_grants.is_none() || s.subject.is_some()) =>
                    {
                        None
                    }
                    None => Some(self.caller_for(
                        &s.user,
                        method,
                        s.subject.as_deref(),
                        s.teams,
                        s.stored_grants.unwrap_or_default(),
                    )),
                }
            }),
            source,
            session: Some(hash),
        }
    }

    /// A new session for `user`; the `Set-Cookie` value for it.
    async fn start_session(
        &self,
        user: &str,
        method: &str,
        subject: Option<String>,
        teams: Vec<String>,
        source: &str,
    ) -> Result<String, AppError> {
        let token = random_token();
        let now = now_ms();
        self.store
            .create_session(Session {
                token_hash: token_hash(&token),
                user: user.to_owned(),
                method: method.to_owned(),
                teams,
                stored_grants: None,
                source: source.to_owned(),
                created_at_ms: now,
                expires_at_ms: now + self.config.session_ttl_ms,
                last_seen_ms: now,
                subject,
            })
            .await
            .map_err(crate::store::store_error("session"))?;
        Ok(self.cookie(
            self.session_cookie(),
            &token,
            "/",
            self.config.session_ttl_ms / 1000,
        ))
    }

    pub fn session_cookie(&self) -> &'static str {
        if self.config.secure_cookies {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }

    /// `Secure` unless configured off; `HttpOnly` always; `SameSite=Lax` so the redirect back from an
    /// identity provider carries it while cross-site POSTs do not (the origin check refuses those too).
    fn cookie(&self, name: &str, value: &str, path: &str, max_age_secs: i64) -> String {
        let secure = if self.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
        )
    }

    async fn audit(&self, entry: AuditEntry) {
        crate::store::record(&*self.store, entry).await;
    }
}

/// Paths anyone may load: the sign-in flow itself and static assets.
fn public_path(path: &str) -> bool {
    path == "/login" || path == "/logout" || path.starts_with("/auth/") || static_asset(path)
}

/// Files that hold no data or secret and never need to know who asks: served without reading a
/// session, so the wasm, stylesheet and icons of every page load cost no store lookup.
fn static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/favicon.ico"
}

/// Resolves the caller of every request; pages without one go to the sign-in page, API calls get 401.
pub async fn middleware(
    State(auth): State<Arc<Auth>>,
    mut request: Request,
    next: Next,
) -> Response {
    if static_asset(request.uri().path()) || crate::ops::is_ops_path(request.uri().path()) {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let rc = auth.resolve(request.headers(), peer).await;
    let path = request.uri().path().to_owned();
    if rc.caller.is_none() && !public_path(&path) {
        if request.method() == Method::GET && !path.starts_with("/api/") {
            let next_url = request
                .uri()
                .path_and_query()
                .map_or("/".to_owned(), |p| p.as_str().to_owned());
            let query = serde_urlencoded::to_string([("next", next_url)]).unwrap_or_default();
            return Redirect::to(&format!("/login?{query}")).into_response();
        }
        return crate::web::error_response(StatusCode::UNAUTHORIZED, &AppError::NotSignedIn);
    }
    request.extensions_mut().insert(rc);
    next.run(request).await
}

/// The server side of `Authorizer`: reads the caller the middleware put on this request.
impl Authorizer for Auth {
    fn caller(&self) -> AppResult<Caller> {
        signed_in().map(|(caller, _)| caller)
    }

    fn authorize(&self, action: Action, cluster: &str, group: Option<&str>) -> AppResult<Actor> {
        let (caller, source) = signed_in()?;
        if let Err(e) = caller.check(action, cluster, group) {
            set_status(StatusCode::FORBIDDEN);
            if action != Action::View && action != Action::Preview {
                // A refused change is worth knowing about; the audit write must not delay the answer.
                let store = self.store.clone();
                let entry = AuditEntry::new(
                    now_ms(),
                    caller.name.clone(),
                    source,
                    action.audit_name(),
                    "forbidden",
                )
                .about(cluster.to_owned(), group.map(str::to_owned))
                .with_detail(serde_json::json!({ "error": e.to_string() }));
                tokio::spawn(async move { crate::store::record(&*store, entry).await });
            }
            return Err(e);
        }
        Ok(Actor {
            name: caller.name,
            source,
        })
    }
}

/// This request's caller and client address; `NotSignedIn` (and a 401) without one.
fn signed_in() -> AppResult<(Caller, String)> {
    match request_caller() {
        Some(RequestCaller {
            caller: Some(caller),
            source,
            ..
        }) => Ok((caller, source)),
        _ => {
            set_status(StatusCode::UNAUTHORIZED);
            Err(AppError::NotSignedIn)
        }
    }
}

fn request_caller() -> Option<RequestCaller> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<RequestCaller>().cloned())
}

fn set_status(status: StatusCode) {
    if let Some(resp) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(status);
    }
}

/// The client's address: the peer's, or behind a trusted proxy the nearest address it forwarded.
fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, trusted_proxy: bool) -> String {
    if trusted_proxy {
        if let Some(fwd) = header_text(headers, "x-forwarded-for") {
            if let Some(last) = fwd.rsplit(',').map(str::trim).find(|s| !s.is_empty()) {
                return last.to_owned();
            }
        }
    }
    peer.map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
}

fn split_teams(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The value of cookie `name`, or None when it is absent or sent more than once: two cookies of one
/// name mean one was planted (by a sibling subdomain, say), and guessing which is the real one would
/// let the planted one win.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned());
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// What a config user's password session keeps of the password hash it was made with (a digest of the
/// hash, never the hash): a session whose tag no longer matches the config ends, so changing or
/// removing a user in the config file signs them out at the next restart.
pub fn credential_tag(password_hash: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(password_hash.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("password:{hex}")
}

/// 256 random bits, base64url: session tokens, OIDC state, nonce and PKCE verifier.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    // Without an OS random source nothing about sign-in can be safe; better to fail loudly.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
