//! The hardened web surface: security headers on every response, a same-origin rule for every
//! state-changing request, and a cap on request bodies.
//!
//! CSRF strategy (documented in the README): every server function is a POST. A browser always sends
//! `Origin` on a cross-origin POST and `Sec-Fetch-Site` on any fetch, so a POST whose `Origin` differs
//! from the `Host` it was sent to, or that the browser marks `cross-site`, is refused before any handler
//! runs. A request with neither header comes from a non-browser client, which has no ambient cookies to
//! abuse; session cookies (sign-in) are `SameSite=Lax` on top of this.

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

/// The one body cap, `MAX_BODY_BYTES`, for every route: it wraps the body (413 beyond it, whoever
/// reads it) and lifts axum's own 2 MiB default for extractors to the same size, which otherwise
/// cut server-function bodies between 2 and 8 MiB with a misleading error.
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

/// Refuses a state-changing request sent from another site (see the module note).
pub async fn same_origin(request: Request, next: Next) -> Response {
    if request.method() == Method::GET
        || request.method() == Method::HEAD
        || request.method() == Method::OPTIONS
    {
        return next.run(request).await;
    }
    if let Some(reason) = cross_site(request.headers()) {
        tracing::warn!(%reason, path = %request.uri().path(), "refused a cross-site request");
        return refused(&reason);
    }
    next.run(request).await
}

fn cross_site(headers: &HeaderMap) -> Option<String> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if text(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return Some("the browser marked this request as cross-site".into());
    }
    let origin = text(header::ORIGIN)?;
    let host = text(header::HOST).unwrap_or_default();
    // `Origin` is scheme://host[:port]; the request's own `Host` is host[:port].
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    (origin == "null" || !origin_host.eq_ignore_ascii_case(host))
        .then(|| format!("a request from origin {origin} cannot change anything on {host}"))
}

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

    #[test]
    fn origins_other_than_the_host_are_cross_site() {
        let same = headers(&[
            ("origin", "http://rewind.local:3000"),
            ("host", "rewind.local:3000"),
        ]);
        assert_eq!(cross_site(&same), None);
        let other = headers(&[
            ("origin", "https://evil.example"),
            ("host", "rewind.local:3000"),
        ]);
        assert!(cross_site(&other).is_some_and(|r| r.contains("evil.example")));
        assert!(cross_site(&headers(&[("origin", "null"), ("host", "a")])).is_some());
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])).is_some());
        assert_eq!(
            cross_site(&headers(&[("sec-fetch-site", "same-origin")])),
            None
        );
        // curl and other non-browser clients send neither header.
        assert_eq!(cross_site(&headers(&[("host", "a")])), None);
    }
}
