//! The hardened web surface: security headers on every response, an allow-list of `Host` names, a
//! same-origin rule for every state-changing request, a cap on request bodies, and compressed answers.
//!
//! DNS rebinding: a page on an attacker's name that resolves to Rewind's address reaches Rewind with
//! the attacker's name in `Host`, so every request (but the operator endpoints) must name a host Rewind
//! is known by: `public_url`'s, `allowed_hosts`, or the listen address (on all interfaces: any IP
//! literal, or `localhost`, on its port).
//!
//! CSRF strategy (documented in the README): every server function is a POST. A browser always sends
//! `Origin` on a cross-origin POST and `Sec-Fetch-Site` on any fetch, so a POST whose `Origin` is not
//! `public_url`'s origin or `http://` + its allowed `Host`, or that the browser marks `cross-site`, is
//! refused before any handler runs. A request with neither header comes from a non-browser client,
//! which has no ambient cookies to abuse; session cookies (sign-in) are `SameSite=Lax` on top of this.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;

/// Largest request body: a 4 MB CSV upload, JSON-escaped, fits.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// For everything that is not a page (JSON, wasm, CSS): nothing may run or frame it.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Compresses answers on the fly (brotli 4 or gzip, as the browser accepts) when they are not already
/// compressed: a 10,000-partition group's page data is 1.5 MB of JSON and its preview 3.3 MB, which cross
/// as about a tenth of that. The site's own files carry their build-time brotli-11 copies
/// (`Content-Encoding` already set), so they pass through untouched.
///
/// Pages are compressed too, although an encoder holds a streamed shell until more of the page is ready:
/// the page of a wide group embeds its data for hydration, and on a slow network its bytes cost far more
/// than the wait for the group's reads.
pub fn compression() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
        .br(true)
        .gzip(true)
}

/// The one body cap, `MAX_BODY_BYTES`, for every route: it wraps the body (413 beyond it, whoever
/// reads it) and sets axum's extractor limit (2 MiB by default) to the same size, so no route or
/// extractor has a smaller limit of its own.
pub fn body_limit<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    router
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
}

/// Gives each server-function error its own HTTP status (`AppError::status`): server_fn answers every
/// error with 500, which blamed Rewind for the caller's mistakes and hid Kafka's refusals.
pub async fn api_status(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Our own answer, already in memory (a drift error carries a whole plan): no limit needed.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "cannot read a server function's error answer");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Adds the security headers a response lacks; a page's own CSP (with its nonce) is kept.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let defaults: [(header::HeaderName, &str); 5] = [
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// The `Host` names and origins requests may carry (see the module note).
pub struct Origins {
    public_origin: Option<String>,
    /// `public_origin`'s `host[:port]`, lower-cased: under that name only the public origin counts.
    public_host: Option<String>,
    hosts: std::collections::HashSet<String>,
    /// Listening on all interfaces: any IP literal or `localhost` with this port is Rewind too.
    any_ip_on_port: Option<u16>,
}

impl Origins {
    pub fn new(web: &crate::config::WebConfig, listen: std::net::SocketAddr) -> Self {
        let mut hosts: std::collections::HashSet<String> =
            web.allowed_hosts.iter().cloned().collect();
        let port = listen.port();
        let ip = listen.ip();
        if !ip.is_unspecified() {
            let literal = match ip {
                std::net::IpAddr::V4(v4) => v4.to_string(),
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            };
            hosts.insert(format!("{literal}:{port}"));
            if ip.is_loopback() {
                hosts.insert(format!("localhost:{port}"));
            }
            if port == 80 {
                hosts.insert(literal);
            }
        }
        Self {
            public_origin: web.public_origin.clone(),
            public_host: web
                .public_origin
                .as_deref()
                .and_then(|o| o.split_once("://"))
                .map(|(_, h)| h.to_ascii_lowercase()),
            hosts,
            any_ip_on_port: ip.is_unspecified().then_some(port),
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if self.hosts.contains(&host) {
            return true;
        }
        let Some(port) = self.any_ip_on_port else {
            return false;
        };
        // host, host:port, [v6] or [v6]:port; no port means 80.
        let (name, explicit) = match host.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((v6, after)) => (v6, after.strip_prefix(':')),
                None => return false,
            },
            None => match host.rsplit_once(':') {
                Some((n, p)) => (n, Some(p)),
                None => (host.as_str(), None),
            },
        };
        let p = explicit.map_or(Some(80), |p| p.parse::<u16>().ok());
        p == Some(port) && (name == "localhost" || name.parse::<std::net::IpAddr>().is_ok())
    }

    /// Why a request must not reach a handler: an unknown `Host` (any method), or for a state-changing
    /// one an origin other than Rewind's own.
    fn refusal(&self, method: &Method, headers: &HeaderMap) -> Option<String> {
        let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        // A browser always sends Host; a client without one cannot be a rebinding page.
        let host = text(header::HOST);
        if let Some(host) = host.filter(|h| !self.host_allowed(h)) {
            return Some(format!(
                "this server is not known as {host}; set public_url or allowed_hosts to reach it by that name"
            ));
        }
        if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
            return None;
        }
        if text(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
            return Some("the browser marked this request as cross-site".into());
        }
        let origin = text(header::ORIGIN)?;
        // `http://` + Host is this plain-http server's own origin, except under the public name:
        // there only `public_url`'s origin counts (an https one must not be downgraded).
        let own = host
            .filter(|h| self.public_host.as_deref() != Some(h.to_ascii_lowercase().as_str()))
            .map(|h| format!("http://{h}"));
        let ok = self
            .public_origin
            .iter()
            .chain(own.iter())
            .any(|o| o.eq_ignore_ascii_case(origin));
        (!ok).then(|| {
            format!(
                "a request from origin {origin} cannot change anything on {}",
                host.unwrap_or_default()
            )
        })
    }
}

/// Refuses a request to a name Rewind is not known by, and a state-changing request from another site
/// (see the module note). The operator endpoints answer whatever name a probe uses.
pub async fn same_origin(
    axum::extract::State(origins): axum::extract::State<std::sync::Arc<Origins>>,
    request: Request,
    next: Next,
) -> Response {
    if crate::ops::is_ops_path(request.uri().path()) {
        return next.run(request).await;
    }
    if let Some(reason) = origins.refusal(request.method(), request.headers()) {
        if REFUSAL_LOGGED.due() {
            tracing::warn!(%reason, path = %request.uri().path(), "refused a request (logged at most once a minute)");
        }
        return refused(&reason);
    }
    next.run(request).await
}

static REFUSAL_LOGGED: Sparingly = Sparingly::every_secs(60);

fn refused(reason: &str) -> Response {
    error_response(
        StatusCode::FORBIDDEN,
        &AppError::Refused {
            reason: reason.to_owned(),
        },
    )
}

/// A typed error as the JSON body server functions answer with, for refusals made before any handler.
pub fn error_response(status: StatusCode, error: &AppError) -> Response {
    let body = serde_json::to_string(error).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// A log line anyone can trigger, written at most once per period: a flood of requests writes one.
pub struct Sparingly {
    period_ms: i64,
    last_ms: std::sync::atomic::AtomicI64,
}

impl Sparingly {
    pub const fn every_secs(secs: i64) -> Self {
        Self {
            period_ms: secs * 1000,
            last_ms: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// True for the first call of each period (exactly one caller wins it).
    pub fn due(&self) -> bool {
        use std::sync::atomic::Ordering;
        let now = crate::now_ms();
        let last = self.last_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= self.period_ms
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparing_log_line_is_due_once_per_period() {
        let s = Sparingly::every_secs(60);
        assert!(s.due());
        assert!(!s.due());
        assert!(!s.due());
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn origins(public_url: Option<&str>, listen: &str) -> Origins {
        let web = crate::config::WebConfig {
            public_origin: public_url.map(str::to_owned),
            allowed_hosts: public_url
                .map(|u| u.split_once("://").map_or(u, |(_, h)| h).to_owned())
                .into_iter()
                .collect(),
        };
        Origins::new(&web, listen.parse().expect("a socket address"))
    }

    #[test]
    fn only_known_hosts_and_their_own_origins_pass() {
        let post = Method::POST;
        let o = origins(None, "127.0.0.1:3000");
        let same = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert_eq!(o.refusal(&post, &same), None);
        let localhost = headers(&[
            ("origin", "http://localhost:3000"),
            ("host", "localhost:3000"),
        ]);
        assert_eq!(o.refusal(&post, &localhost), None);
        // The scheme counts: an https origin is not this plain-http server.
        let https = headers(&[
            ("origin", "https://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(o.refusal(&post, &https).is_some());
        // A rebinding page: its own name in both Host and Origin, refused even for GET.
        let rebound = headers(&[
            ("origin", "http://evil.example:3000"),
            ("host", "evil.example:3000"),
        ]);
        assert!(o.refusal(&post, &rebound).is_some());
        assert!(o
            .refusal(&Method::GET, &headers(&[("host", "evil.example:3000")]))
            .is_some());
        assert!(o
            .refusal(
                &post,
                &headers(&[("origin", "null"), ("host", "127.0.0.1:3000")])
            )
            .is_some());
        assert!(o
            .refusal(&post, &headers(&[("sec-fetch-site", "cross-site")]))
            .is_some());
        // curl and other non-browser clients send no Origin.
        assert_eq!(
            o.refusal(&post, &headers(&[("host", "127.0.0.1:3000")])),
            None
        );

        // Behind a TLS proxy: the public origin, and on all interfaces any IP literal on the port.
        let o = origins(Some("https://rewind.example.com"), "0.0.0.0:3000");
        let public = headers(&[
            ("origin", "https://rewind.example.com"),
            ("host", "rewind.example.com"),
        ]);
        assert_eq!(o.refusal(&post, &public), None);
        let downgraded = headers(&[
            ("origin", "http://rewind.example.com"),
            ("host", "rewind.example.com"),
        ]);
        assert!(
            o.refusal(&post, &downgraded).is_some(),
            "the public name is https only"
        );
        assert_eq!(
            o.refusal(&Method::GET, &headers(&[("host", "10.1.2.3:3000")])),
            None
        );
        assert_eq!(
            o.refusal(&Method::GET, &headers(&[("host", "[::1]:3000")])),
            None
        );
        assert!(o
            .refusal(&Method::GET, &headers(&[("host", "10.1.2.3:3001")]))
            .is_some());
        assert!(o
            .refusal(&Method::GET, &headers(&[("host", "other.example.com")]))
            .is_some());
    }
}
