//! Sign-in over HTTP against the real broker: sessions and sign-out, idle expiry, host-prefixed
//! cookies, the login rate limit, trusted-proxy headers, refusing to start without sign-in. The users
//! and grants the other access tests share (`config`) live here too.

use crate::support::{unique, TestServer};
use app::domain::audit::AuditEntry;
use rewind_server::auth::password;
use serde_json::json;

pub(crate) const PW: &str = "a-long-test-password";

/// Four local users: vera (viewer everywhere, by team), olivia (operator on `<prefix>-*` groups),
/// ada (admin), pat (operator on `<prefix>-pat-*` only). A proxy header trusted only from 10.9.9.9.
pub(crate) fn config(prefix: &str) -> String {
    let hash = password::hash(PW).unwrap();
    format!(
        r#"[[clusters]]
name = "local"
bootstrap_servers = "{{bootstrap}}"
[auth]
[[auth.users]]
name = "vera"
password_hash = "{hash}"
teams = ["viewers"]
[[auth.users]]
name = "olivia"
password_hash = "{hash}"
[[auth.users]]
name = "ada"
password_hash = "{hash}"
[[auth.users]]
name = "pat"
password_hash = "{hash}"
[[auth.grants]]
role = "operator"
subjects = ["user:pat"]
groups = "{prefix}-pat-*"
[[auth.grants]]
role = "viewer"
subjects = ["team:viewers", "user:olivia"]
[[auth.grants]]
role = "operator"
subjects = ["user:olivia"]
groups = "{prefix}-*"
[[auth.grants]]
role = "admin"
subjects = ["user:ada"]
[auth.proxy]
user_header = "X-Forwarded-User"
trusted_addresses = ["10.9.9.9"]
"#
    )
}

/// The audit entries `cookie`'s user may see that match `filter`.
pub(crate) async fn audit(
    server: &TestServer,
    cookie: &str,
    filter: serde_json::Value,
) -> Vec<AuditEntry> {
    let (status, body) = server
        .call_as(cookie, "audit/list", json!({ "filter": filter }))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

pub(crate) fn kind(body: &serde_json::Value) -> &str {
    body["kind"].as_str().unwrap_or_default()
}

/// A password sign-in from `address` (through the trusted proxy): the status and the page.
async fn sign_in_from(
    server: &TestServer,
    address: &str,
    name: &str,
    password: &str,
) -> (u16, String) {
    sign_in_at(server.addr.to_string(), address, name, password).await
}

async fn sign_in_at(server: String, address: &str, name: &str, password: &str) -> (u16, String) {
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("http://{server}/login"))
        .header("origin", format!("http://{server}"))
        .header("x-forwarded-for", address)
        .form(&[("name", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

/// Security review, items 4, 5 and 7: failed sign-ins slow down the (user, address) pair with growing
/// delays, reserved before the password check so parallel guesses cannot slip through; a victim
/// elsewhere is not locked out; long names are refused unstored; refusals are audited sparingly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_slow_the_guesser_not_the_victim() {
    let server = TestServer::start_secure(&config("rl").replace("10.9.9.9", "127.0.0.1/32")).await;
    let attacker = "203.0.113.7";
    for _ in 0..3 {
        let (status, page) = sign_in_from(&server, attacker, "vera", "wrong-password").await;
        assert_eq!(status, 401);
        assert!(page.contains("Wrong user name or password."), "{page}");
    }
    // The guesser now waits, even with the right password, and the page says why.
    for _ in 0..3 {
        let (status, page) = sign_in_from(&server, attacker, "vera", PW).await;
        assert_eq!(status, 429);
        assert!(page.contains("Too many failed sign-ins"), "{page}");
    }
    // Vera, at her own address, is not locked out by someone else's guesses.
    let (status, _) = sign_in_from(&server, "198.51.100.20", "vera", PW).await;
    assert_eq!(status, 303, "the victim signs in");
    // Unknown users are refused the same way as wrong passwords.
    let (status, _) = sign_in_from(&server, "198.51.100.21", "nobody", PW).await;
    assert_eq!(status, 401);

    // 40 guesses at once against one user from one address: only the free tries reach Argon2.
    let started = std::time::Instant::now();
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let addr = server.addr.to_string();
        guesses.spawn(async move {
            sign_in_at(addr, "192.0.2.9", "olivia", "wrong-password")
                .await
                .0
        });
    }
    let statuses: Vec<u16> = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    // Three free tries, then one more after 1 s, 2 s more, 4 s more...: on a loaded machine the burst
    // itself can outlast the first delays, and each try that waited its turn is the policy, not a leak.
    let waited = started.elapsed().as_secs_f64();
    let allowed = 3 + (waited + 1.0).log2().floor() as usize;
    assert!(
        checked <= allowed,
        "{checked} real checks in {waited:.1} s (at most {allowed}): {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 40 - checked);

    // A huge name is refused before anything is stored, and not echoed back.
    let huge = "x".repeat(1 << 20);
    let (status, page) = sign_in_from(&server, "192.0.2.10", &huge, PW).await;
    assert_eq!(status, 400);
    assert!(page.len() < 64 * 1024, "{} bytes echoed", page.len());

    let ada = server.sign_in("ada", PW).await.unwrap();
    let entries = audit(&server, &ada.cookie, json!({ "action": "sign-in" })).await;
    let of = |actor: &str, result: &str| {
        entries
            .iter()
            .filter(|e| e.actor == actor && e.result.starts_with(result))
            .count()
    };
    assert_eq!(of("vera", "failed"), 3);
    assert_eq!(
        of("vera", "refused: rate limited"),
        1,
        "refusals are audited once a minute"
    );
    assert_eq!(of("olivia", "refused: rate limited"), 1);
    assert!(
        entries.iter().all(|e| e.actor.len() <= 128),
        "the long name was not audited"
    );
    assert!(entries
        .iter()
        .any(|e| e.actor == "vera" && e.source == attacker));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_headers_count_only_from_trusted_addresses() {
    // 127.0.0.1 is not trusted: the header is ignored.
    let untrusted = TestServer::start_secure(&config("px")).await;
    let resp = untrusted
        .http
        .post(format!("http://{}/api/auth/me", untrusted.addr))
        .header("x-forwarded-user", "ada")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    let with_proxy_grant = config("px").replace("10.9.9.9", "127.0.0.1/32").replace(
        "[auth.proxy]",
        "[[auth.grants]]\nrole = \"viewer\"\nsubjects = [\"proxy:sam\"]\n[auth.proxy]",
    );
    let trusted = TestServer::start_secure(&with_proxy_grant).await;
    let me = |user: &'static str| {
        let trusted = &trusted;
        async move {
            let resp = trusted
                .http
                .post(format!("http://{}/api/auth/me", trusted.addr))
                .header("x-forwarded-user", user)
                .header("x-forwarded-for", "203.0.113.7")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200);
            resp.json::<serde_json::Value>().await.unwrap()
        }
    };
    let sam = me("sam").await;
    assert_eq!(sam["name"], "sam");
    assert_eq!(sam["method"], "proxy");
    assert_eq!(sam["grants"][0]["role"], "viewer");
    // A proxy user named like the local admin is not that admin: `user:ada` names local users only.
    let ada = me("ada").await;
    assert_eq!(ada["method"], "proxy");
    assert_eq!(ada["grants"], serde_json::json!([]), "{ada}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sign_in_configured_the_server_refuses_to_start_unless_insecure() {
    let dir = std::env::temp_dir().join(unique("no-auth"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rewind.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"{}\"\n{}",
            dir.join("data").display(),
            crate::support::LOCAL.replace("{bootstrap}", &crate::support::bootstrap())
        ),
    )
    .unwrap();
    let config = rewind_server::config::Config::load(Some(&path)).unwrap();
    let err = rewind_server::router::services(&config).err().unwrap();
    assert!(err.to_string().contains("--insecure-no-auth"), "{err}");
    // A user in the store (as `rewind users add` makes) is a way to sign in: the server starts.
    {
        use rewind_server::store::{LocalUser, SqliteStore, UserStore};
        let store = SqliteStore::open(&config.data_dir.join("rewind.db")).unwrap();
        store
            .put_user(LocalUser {
                name: "first-admin".into(),
                password_hash: password::hash(PW).unwrap(),
                teams: vec![],
                grants: vec![app::domain::users::parse_grant("admin").unwrap()],
                created_at_ms: 1,
                updated_at_ms: 1,
            })
            .await
            .unwrap();
    }
    assert!(rewind_server::router::services(&config).is_ok());

    // Insecure mode: everyone is admin, and every page carries the banner.
    let server = TestServer::start(crate::support::LOCAL).await;
    let html = server
        .http
        .get(format!("http://{}/history", server.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Sign-in is off (--insecure-no-auth)"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_ends_and_a_used_one_is_kept_alive() {
    let server = TestServer::start_secure(&config(&unique("idle"))).await;
    let vera = server.sign_in("vera", PW).await.unwrap();
    let db = rusqlite::Connection::open(server.data_dir.join("rewind.db")).unwrap();
    let last_seen = |db: &rusqlite::Connection| -> i64 {
        db.query_row(
            "SELECT last_seen_ms FROM sessions WHERE user_name = 'vera'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let now = rewind_server::now_ms();
    // Used 5 minutes ago: still signed in (the default idle timeout is 60 minutes), and this use
    // is recorded.
    db.execute(
        "UPDATE sessions SET last_seen_ms = ?1 WHERE user_name = 'vera'",
        [now - 5 * 60_000],
    )
    .unwrap();
    let (status, _) = server.call_as(&vera.cookie, "auth/me", json!({})).await;
    assert_eq!(status, 200);
    let mut recorded = 0;
    for _ in 0..50 {
        recorded = last_seen(&db);
        if recorded >= now {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        recorded >= now,
        "the use was not recorded: {recorded} < {now}"
    );
    // Unused for 61 minutes: signed out, well before the absolute expiry, and the session is gone.
    db.execute(
        "UPDATE sessions SET last_seen_ms = ?1 WHERE user_name = 'vera'",
        [now - 61 * 60_000],
    )
    .unwrap();
    let (status, body) = server.call_as(&vera.cookie, "auth/me", json!({})).await;
    assert_eq!((status, kind(&body)), (401, "not_signed_in"), "{body}");
    let left: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM sessions WHERE user_name = 'vera'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

/// Security review, item 11: with Secure cookies the session cookie is `__Host-` prefixed (a sibling
/// subdomain cannot set it), an unprefixed one is ignored, and two of one name are refused rather than
/// letting the first (possibly planted) one win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookies_are_host_prefixed_and_ambiguous_ones_refused() {
    let server = TestServer::start_secure(&config("ck")).await;
    let vera = server.sign_in("vera", PW).await.unwrap();
    assert!(
        vera.set_cookie.starts_with("__Host-rewind_session="),
        "{}",
        vera.set_cookie
    );
    for attr in ["Secure", "Path=/", "HttpOnly"] {
        assert!(vera.set_cookie.contains(attr), "{}", vera.set_cookie);
    }
    assert!(!vera.set_cookie.contains("Domain="), "{}", vera.set_cookie);
    let me = |cookie: String| {
        let server = &server;
        async move {
            server
                .http
                .post(format!("http://{}/api/auth/me", server.addr))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(me(vera.cookie.clone()).await, 200);
    let planted = format!("__Host-rewind_session=planted; {}", vera.cookie);
    assert_eq!(
        me(planted).await,
        401,
        "two session cookies: neither is trusted"
    );
    let unprefixed = vera.cookie.replacen("__Host-", "", 1);
    assert_eq!(
        me(unprefixed).await,
        401,
        "an unprefixed cookie is not the session"
    );
}
