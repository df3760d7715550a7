//! The sign-in pages: password form, sign-out, and the OpenID Connect redirect and callback.
//! Plain server-rendered HTML with no script, so signing in works before any wasm loads.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Extension;
use axum::Router;
use serde::Deserialize;

use super::{cookie, limiter, password, Auth, RequestCaller};
use crate::now_ms;
use app::domain::access::SignInMethod;
use app::domain::audit::AuditEntry;

/// The pending single sign-on attempt. `__Host-` (so `Path=/`) with Secure cookies: a sibling
/// subdomain cannot plant its own attempt and sign the victim in as someone else.
const OIDC_STATE_COOKIE: &str = "rewind_oidc_state";
const SECURE_OIDC_STATE_COOKIE: &str = "__Host-rewind_oidc_state";

/// Failed single sign-on callbacks audited at most this often (they cost an unauthenticated caller
/// nothing to send).
static SSO_FAILURE_AUDITED: crate::web::Sparingly = crate::web::Sparingly::every_secs(5);

fn state_cookie(auth: &Auth) -> &'static str {
    if auth.config.secure_cookies {
        SECURE_OIDC_STATE_COOKIE
    } else {
        OIDC_STATE_COOKIE
    }
}

/// The sign-in page's policy: our stylesheet, forms posting to us, nothing else.
const LOGIN_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes(auth: Arc<Auth>) -> Router {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/auth/oidc/start", get(oidc_start))
        .route("/auth/oidc/callback", get(oidc_callback))
        .route("/auth/signed-out", get(provider_sign_out))
        // Anything else under /auth/ is a bare 404, without rendering a page or logging.
        .route(
            "/auth/{*rest}",
            axum::routing::any(|| async { StatusCode::NOT_FOUND }),
        )
        .with_state(auth)
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a local path: never another site (`//evil`, `https://evil`), so sign-in is no open redirect.
/// Browsers drop tabs and newlines from a URL and read `\` as `/`, so `/\t/evil` is `//evil` to
/// them: a path with either is refused outright.
fn safe_next(next: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains(char::is_control)
    {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

async fn login_page(
    State(auth): State<Arc<Auth>>,
    Extension(rc): Extension<RequestCaller>,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(&q.next);
    if rc.caller.is_some() {
        return Redirect::to(&next).into_response();
    }
    page(&auth, StatusCode::OK, &next, None, "")
}

fn page(auth: &Auth, status: StatusCode, next: &str, error: Option<&str>, name: &str) -> Response {
    let esc = html_escape;
    let error = error
        .map(|e| {
            format!(
                r#"<p role="alert" class="rounded border border-rose-200 bg-rose-50 p-3 text-sm text-rose-900" data-testid="login-error">{}</p>"#,
                esc(e)
            )
        })
        .unwrap_or_default();
    let oidc = auth
        .oidc
        .as_ref()
        .map(|o| {
            let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            format!(
                r#"<div class="border-t border-slate-200 pt-4"><a class="block rounded border border-slate-300 px-3 py-2 text-center text-sm font-medium text-slate-800 hover:bg-slate-50" href="/auth/oidc/start?{}">Sign in with {}</a></div>"#,
                esc(&q),
                esc(o.label())
            )
        })
        .unwrap_or_default();
    let main = format!(
        r#"<h1 class="text-lg font-semibold">Sign in to Rewind</h1>
<p class="mt-1 text-sm text-slate-600">Kafka consumer-group replay. Every change is recorded under your name.</p>
<div class="mt-4 space-y-4">{error}
<form method="post" action="/login" class="space-y-3">
<input type="hidden" name="next" value="{next}">
<label class="block text-sm font-medium">User name<input name="name" autocomplete="username" required value="{name}" class="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5"></label>
<label class="block text-sm font-medium">Password<input name="password" type="password" autocomplete="current-password" required class="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5"></label>
<button type="submit" class="w-full rounded bg-slate-900 px-3 py-2 text-sm font-medium text-white hover:bg-slate-700">Sign in</button>
</form>{oidc}</div>"#,
        next = esc(next),
        name = esc(name),
    );
    html_page(auth, status, "Sign in", "", &main)
}

/// A page of the sign-in flow: our stylesheet, a policy that allows nothing else, never cached.
/// `head` and `main` are HTML the caller has escaped.
fn html_page(auth: &Auth, status: StatusCode, title: &str, head: &str, main: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{head}
<title>{title} · Rewind</title><link rel="stylesheet" href="{css}"><link rel="icon" href="/favicon.svg"></head>
<body class="min-h-screen bg-slate-50 text-slate-900">
<main class="mx-auto mt-16 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
{main}</main></body></html>"#,
        title = html_escape(title),
        css = html_escape(&auth.stylesheet),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, LOGIN_CSP),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// Adds a `Set-Cookie` (built by `Auth::cookie`, so always a valid header value).
fn set_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn login(
    State(auth): State<Arc<Auth>>,
    Extension(rc): Extension<RequestCaller>,
    Form(form): Form<LoginForm>,
) -> Response {
    let source = rc.source;
    let next = safe_next(&form.next);
    let name = form.name.trim().to_owned();
    if auth.insecure() {
        return Redirect::to(&next).into_response();
    }
    if name.chars().count() > MAX_NAME_CHARS {
        // Not audited and not echoed: an unauthenticated caller must not grow the store or the page.
        return page(
            &auth,
            StatusCode::BAD_REQUEST,
            &next,
            Some(&format!(
                "A user name has at most {MAX_NAME_CHARS} characters."
            )),
            "",
        );
    }
    let fail = |result: &str| {
        AuditEntry::new(now_ms(), name.clone(), source.clone(), "sign-in", result)
            .with_detail(serde_json::json!({ "method": "password" }))
    };
    let attempt = match auth.limiter.begin(&source, &name) {
        limiter::Attempt::Allowed(attempt) => attempt,
        limiter::Attempt::Refused { wait, audit } => {
            if audit {
                auth.audit(fail("refused: rate limited")).await;
            }
            return too_many(&auth, &next, &name, wait);
        }
    };
    // Config users first, then those `rewind users add` put in the store.
    let (hash, teams) = match auth.config.user(&name) {
        Some(u) => (Some(u.password_hash.clone()), u.teams.clone()),
        None => match auth.store.user(name.clone()).await {
            Ok(Some((u, _))) => (Some(u.password_hash), u.teams),
            Ok(None) => (None, Vec::new()),
            Err(e) => {
                tracing::error!(error = %e, "cannot read a user");
                (None, Vec::new())
            }
        },
    };
    let right = if name.is_empty() {
        false
    } else {
        match password::verify_blocking(form.password, hash).await {
            Ok(right) => right,
            Err(password::Busy) => {
                attempt.not_checked();
                let mut resp = page(
                    &auth,
                    StatusCode::SERVICE_UNAVAILABLE,
                    &next,
                    Some("Too many sign-ins at once. Try again in a few seconds."),
                    &name,
                );
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                return resp;
            }
        }
    };
    if !right {
        auth.audit(fail("failed: wrong user name or password"))
            .await;
        return page(
            &auth,
            StatusCode::UNAUTHORIZED,
            &next,
            Some("Wrong user name or password."),
            &name,
        );
    }
    attempt.succeeded();
    let tag = auth
        .config
        .user(&name)
        .map(|u| super::credential_tag(&u.password_hash));
    signed_in(&auth, &name, "password", tag, teams, &source, &next).await
}

/// Longer sign-in names are refused before anything is looked up, stored or echoed.
pub const MAX_NAME_CHARS: usize = 128;

/// The 429 page, with `Retry-After`.
fn too_many(auth: &Auth, next: &str, name: &str, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut resp = page(
        auth,
        StatusCode::TOO_MANY_REQUESTS,
        next,
        Some(&format!(
            "Too many failed sign-ins for this user or from this address. Try again in {}.",
            if secs < 90 {
                format!("{secs} seconds")
            } else {
                format!("{} minutes", secs.div_ceil(60))
            }
        )),
        name,
    );
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// Records the sign-in, starts the session and sends the browser on.
/// `subject` is the single sign-on subject (`<issuer>#<sub>`), or a config user's credential tag.
async fn signed_in(
    auth: &Auth,
    name: &str,
    method: &str,
    subject: Option<String>,
    teams: Vec<String>,
    source: &str,
    next: &str,
) -> Response {
    let shown = subject.as_ref().filter(|_| method == "oidc");
    let detail = serde_json::json!({ "method": method, "teams": teams, "subject": shown });
    let cookie = match auth
        .start_session(name, method, subject, teams, source)
        .await
    {
        Ok(c) => c,
        Err(e) => return crate::web::error_response(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    auth.audit(
        AuditEntry::new(
            now_ms(),
            name.to_owned(),
            source.to_owned(),
            "sign-in",
            "succeeded",
        )
        .with_detail(detail),
    )
    .await;
    let mut resp = Redirect::to(next).into_response();
    set_cookie(&mut resp, &cookie);
    resp
}

async fn logout(
    State(auth): State<Arc<Auth>>,
    Extension(rc): Extension<RequestCaller>,
) -> Response {
    if let Some(hash) = &rc.session {
        if let Err(e) = auth.store.delete_session(hash.clone()).await {
            tracing::error!(error = %e, "cannot delete a session");
        }
    }
    let mut to = "/login".to_owned();
    if let Some(c) = rc.caller.as_ref().filter(|_| rc.session.is_some()) {
        // Out of Rewind only, the provider's session would sign the next person at this browser
        // straight back in as this user: end that one too.
        let provider = match (&auth.oidc, c.method) {
            (Some(oidc), SignInMethod::Oidc) => oidc.sign_out_url().await,
            _ => None,
        };
        // The pages' `form-action 'self'` also covers where this POST redirects, so the provider
        // is reached from a page of ours instead.
        auth.audit(
            AuditEntry::new(
                now_ms(),
                c.name.clone(),
                rc.source.clone(),
                "sign-out",
                "succeeded",
            )
            .with_detail(serde_json::json!({ "identity_provider": provider.is_some() })),
        )
        .await;
        if provider.is_some() {
            to = "/auth/signed-out".to_owned();
        }
    }
    let mut resp = Redirect::to(&to).into_response();
    set_cookie(&mut resp, &auth.cookie(auth.session_cookie(), "", "/", 0));
    resp
}

/// Signed out of Rewind; now out of the identity provider too. A new navigation (not the sign-out
/// form's redirect), so the provider's origin needs no place in our pages' `form-action`. Takes no
/// parameter: it can only ever send the browser to the configured provider's end-session page.
async fn provider_sign_out(State(auth): State<Arc<Auth>>) -> Response {
    let url = match auth.oidc.as_ref() {
        Some(oidc) => oidc.sign_out_url().await,
        None => None,
    };
    let Some(url) = url else {
        return Redirect::to("/login").into_response();
    };
    let label = auth.oidc.as_ref().map_or("", |o| o.label());
    let url = html_escape(&url);
    let head = format!(r#"<meta http-equiv="refresh" content="0; url={url}">"#);
    let main = format!(
        r#"<h1 class="text-lg font-semibold">Signed out of Rewind</h1>
<p class="mt-2 text-sm text-slate-600">Now signing you out of {label} as well. <a class="text-indigo-700 underline" href="{url}">Continue</a> if nothing happens.</p>"#,
        label = html_escape(label),
    );
    html_page(&auth, StatusCode::OK, "Signed out", &head, &main)
}

async fn oidc_start(State(auth): State<Arc<Auth>>, Query(q): Query<NextQuery>) -> Response {
    let Some(oidc) = auth.oidc.as_ref() else {
        return (StatusCode::NOT_FOUND, "OpenID Connect is not configured").into_response();
    };
    let next = safe_next(&q.next);
    match oidc.start(next.clone()).await {
        Ok((url, sealed)) => {
            let mut resp = Redirect::to(&url).into_response();
            // The attempt lives in this browser only: a callback link sent to someone else fails,
            // and the server keeps nothing per started sign-in.
            set_cookie(
                &mut resp,
                &auth.cookie(state_cookie(&auth), &sealed, "/", 600),
            );
            resp
        }
        Err(e) => {
            tracing::warn!(error = %e, "OpenID Connect sign-in could not start");
            page(
                &auth,
                StatusCode::BAD_GATEWAY,
                &next,
                Some(&format!("Single sign-on is unavailable: {e}.")),
                "",
            )
        }
    }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn oidc_callback(
    State(auth): State<Arc<Auth>>,
    Extension(rc): Extension<RequestCaller>,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Response {
    let source = rc.source;
    let Some(oidc) = auth.oidc.as_ref() else {
        return (StatusCode::NOT_FOUND, "OpenID Connect is not configured").into_response();
    };
    let state = cb.state.unwrap_or_default();
    let started_here = cookie(&headers, state_cookie(&auth)).is_some();
    let result = match (cb.error, cb.code) {
        (Some(error), _) => Err(format!(
            "the identity provider answered {error}{}",
            cb.error_description
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        (None, None) => Err("the identity provider sent no code".into()),
        (None, Some(code)) => match cookie(&headers, state_cookie(&auth)) {
            None => Err(
                "this sign-in was started in another browser or has expired; start again".into(),
            ),
            Some(sealed) => oidc
                .finish(&state, &code, &sealed)
                .await
                .map_err(|e| e.to_string()),
        },
    };
    let mut resp = match result {
        Ok(id) => {
            signed_in(
                &auth,
                &id.name,
                "oidc",
                Some(id.subject),
                id.teams,
                &source,
                &id.next,
            )
            .await
        }
        Err(reason) => {
            // Anyone can call the callback with any error text: only a sign-in this browser started
            // is audited, at most every few seconds, with the reason cut short.
            let reason: String = reason.chars().take(200).collect();
            if started_here && SSO_FAILURE_AUDITED.due() {
                tracing::warn!(%reason, %source, "OpenID Connect sign-in failed");
                auth.audit(
                    AuditEntry::new(
                        now_ms(),
                        "(unknown)",
                        source.clone(),
                        "sign-in",
                        "failed: identity provider",
                    )
                    .with_detail(serde_json::json!({ "method": "oidc", "reason": reason })),
                )
                .await;
            }
            page(
                &auth,
                StatusCode::UNAUTHORIZED,
                "/",
                Some(&format!("Single sign-on failed: {reason}.")),
                "",
            )
        }
    };
    set_cookie(&mut resp, &auth.cookie(state_cookie(&auth), "", "/", 0));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_always_local() {
        assert_eq!(safe_next("/group?cluster=a&id=b"), "/group?cluster=a&id=b");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("/\t/evil.example"), "/");
        assert_eq!(safe_next("/\n/evil.example"), "/");
        assert_eq!(safe_next("/a\\/evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(
            html_escape("<a href=\"x\">"),
            "&lt;a href=&quot;x&quot;&gt;"
        );
    }
}
