//! Sign-in and roles over HTTP against the real broker: each role does exactly what it may and gets a
//! specific refusal otherwise, sessions and sign-out, the login rate limit, trusted-proxy headers, and
//! the audit trail with who, from where, before and after.

use crate::support::{commit_offsets, create_topic, produce_timestamped, spec, unique, TestServer};
use app::domain::audit::AuditEntry;
use app::domain::execution::Preview;
use app::domain::reset::{Scope, Strategy};
use rewind_server::auth::password;
use serde_json::json;

const PW: &str = "a-long-test-password";

/// Four local users: vera (viewer everywhere, by team), olivia (operator on `<prefix>-*` groups),
/// ada (admin), pat (operator on `<prefix>-pat-*` only). A proxy header trusted only from 10.9.9.9.
fn config(prefix: &str) -> String {
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
async fn audit(server: &TestServer, cookie: &str, filter: serde_json::Value) -> Vec<AuditEntry> {
    let (status, body) = server
        .call_as(cookie, "audit/list", json!({ "filter": filter }))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

fn kind(body: &serde_json::Value) -> &str {
    body["kind"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_do_exactly_its_part() {
    let prefix = unique("roles");
    let topic = unique("roles-topic");
    create_topic(&topic, 2).await;
    produce_timestamped(&topic, 0, 10, 1_700_000_000_000, 1000);
    produce_timestamped(&topic, 1, 10, 1_700_000_000_000, 1000);
    let group = format!("{prefix}-g");
    let other = unique("other");
    commit_offsets(&group, &topic, &[(0, 8), (1, 9)]);
    commit_offsets(&other, &topic, &[(0, 5)]);
    let server = TestServer::start_secure(&config(&prefix)).await;

    // Nobody signed in: API calls get 401, pages go to the sign-in page with the way back.
    let (status, body) = server.form_as("", "clusters/list", &[]).await;
    assert_eq!((status, kind(&body)), (401, "not_signed_in"), "{body}");
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = no_redirect
        .get(format!("http://{}/group?cluster=local&id=x", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(
        page.headers()["location"],
        "/login?next=%2Fgroup%3Fcluster%3Dlocal%26id%3Dx"
    );

    let vera = server.sign_in("vera", PW).await.unwrap();
    let olivia = server.sign_in("olivia", PW).await.unwrap();
    let ada = server.sign_in("ada", PW).await.unwrap();
    // The session cookie: HttpOnly, SameSite, Secure by default.
    for attr in [
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Path=/",
        "Max-Age=28800",
    ] {
        assert!(vera.set_cookie.contains(attr), "{}", vera.set_cookie);
    }

    let s = spec(&group, Scope::AllTopics, Strategy::ToEarliest);
    // Viewer: reads, but every change is refused with what it lacks.
    let (status, body) = server
        .form_as(
            &vera.cookie,
            "groups/describe",
            &[("cluster", "local"), ("group", &group)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .call_as(&vera.cookie, "plans/preview", json!({ "spec": s }))
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");
    assert_eq!(body["needs"], "operator");
    assert_eq!(body["user"], "vera");
    let (status, body) = server
        .call_as(
            &vera.cookie,
            "executions/execute",
            json!({ "spec": s, "fingerprint": "x", "at_ms": null }),
        )
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");
    let (status, body) = server
        .call_as(&vera.cookie, "plans/save", json!({ "spec": s }))
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");

    // Operator: preview, save and execute on their groups; not on others; never delete offsets.
    let (status, body) = server
        .call_as(&olivia.cookie, "plans/preview", json!({ "spec": s }))
        .await;
    assert_eq!(status, 200, "{body}");
    let preview: Preview = serde_json::from_value(body).unwrap();
    let (status, body) = server
        .call_as(
            &olivia.cookie,
            "executions/execute",
            json!({ "spec": s, "fingerprint": preview.plan.fingerprint, "at_ms": preview.plan.at_ms }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        crate::support::committed_offsets(&group, &topic, 2),
        [(0, 0), (1, 0)].into_iter().collect()
    );
    let (status, body) = server
        .call_as(&olivia.cookie, "plans/save", json!({ "spec": s }))
        .await;
    assert_eq!(status, 200, "{body}");
    let plan_id = body["id"].as_str().unwrap().to_owned();
    let other_spec = spec(&other, Scope::AllTopics, Strategy::ToEarliest);
    let (status, body) = server
        .call_as(
            &olivia.cookie,
            "plans/preview",
            json!({ "spec": other_spec }),
        )
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");
    assert_eq!(body["group"], other.as_str());
    // Pat sees neither olivia's group in the cluster's history, nor its offsets by copying them
    // into a plan of a group pat may change.
    let pat = server.sign_in("pat", PW).await.unwrap();
    let (status, body) = server
        .call_as(
            &pat.cookie,
            "executions/list",
            json!({ "cluster": "local" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let olivias = server
        .call_as(
            &olivia.cookie,
            "executions/list",
            json!({ "cluster": "local" }),
        )
        .await
        .1;
    assert!(olivias.to_string().contains(&group), "{olivias}");
    assert!(!body.to_string().contains(&group), "{body}");
    let copy = spec(
        &format!("{prefix}-pat-g"),
        Scope::AllTopics,
        Strategy::CopyFromGroup {
            group: group.clone(),
        },
    );
    for endpoint in ["plans/preview", "plans/save"] {
        let (status, body) = server
            .call_as(&pat.cookie, endpoint, json!({ "spec": copy }))
            .await;
        assert_eq!(
            (status, kind(&body)),
            (403, "forbidden"),
            "{endpoint}: {body}"
        );
        assert_eq!(body["group"], group.as_str(), "{endpoint}: {body}");
        assert_eq!(body["needs"], "viewer", "{endpoint}: {body}");
    }
    let delete = json!({ "cluster": "local", "group": group, "topics": [{ "topic": topic, "partitions": [1] }] });
    let (status, body) = server
        .call_as(&olivia.cookie, "executions/delete-offsets", delete.clone())
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");
    assert_eq!(body["needs"], "admin");
    // A viewer cannot delete a plan; its operator can.
    let (status, _) = server
        .call_as(&vera.cookie, "plans/delete", json!({ "id": plan_id }))
        .await;
    assert_eq!(status, 403);
    let (status, body) = server
        .call_as(&olivia.cookie, "plans/delete", json!({ "id": plan_id }))
        .await;
    assert_eq!(status, 200, "{body}");

    // Admin: deletes offsets.
    let (status, body) = server
        .call_as(&ada.cookie, "executions/delete-offsets", delete)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        crate::support::committed_offsets(&group, &topic, 2),
        [(0, 0)].into_iter().collect()
    );

    // The audit: the execute under olivia's name, from the client's address, with before and after.
    let entries = audit(&server, &olivia.cookie, json!({ "group": group })).await;
    let exec = entries
        .iter()
        .find(|e| e.action == "execute" && e.result == "succeeded")
        .expect("the execute is audited");
    assert_eq!(
        (exec.actor.as_str(), exec.source.as_str()),
        ("olivia", "127.0.0.1")
    );
    let mut parts = exec.partitions();
    parts.sort_by_key(|p| p.partition);
    assert_eq!(
        parts
            .iter()
            .map(|p| (p.partition, p.before, p.after))
            .collect::<Vec<_>>(),
        vec![(0, Some(8), Some(0)), (1, Some(9), Some(0))]
    );
    let actions: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.result.as_str()))
        .collect();
    for expected in [
        ("vera", "execute", "forbidden"),
        ("vera", "save-plan", "forbidden"),
        ("olivia", "save-plan", "saved"),
        ("olivia", "delete-plan", "deleted"),
        ("olivia", "delete-offsets", "forbidden"),
        ("ada", "delete-offsets", "deleted"),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} missing from {actions:?}"
        );
    }
    // Sign-ins belong to no cluster: admins see them, operators do not.
    let signins = json!({ "action": "sign-in" });
    assert_eq!(
        audit(&server, &olivia.cookie, signins.clone()).await.len(),
        0
    );
    assert!(audit(&server, &ada.cookie, signins).await.len() >= 3);
    let (status, body) = server
        .call_as(
            &ada.cookie,
            "audit/export",
            json!({ "filter": { "group": group } }),
        )
        .await;
    assert_eq!(status, 200);
    let csv = body.as_str().unwrap();
    assert!(csv.starts_with("id,time_utc,actor,source,action,cluster,group,result,detail"));
    assert!(csv.contains(",olivia,127.0.0.1,execute,local,"), "{csv}");

    // Only clusters and groups the caller may see are listed.
    let (_, body) = server
        .form_as(
            &olivia.cookie,
            "groups/list",
            &[("cluster", "local"), ("search", &prefix)],
        )
        .await;
    assert_eq!(body["groups"].as_array().unwrap().len(), 1, "{body}");

    // Signed out: the cookie no longer works.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let out = client
        .post(format!("http://{}/logout", server.addr))
        .header("cookie", &vera.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    let (status, _) = server.form_as(&vera.cookie, "clusters/list", &[]).await;
    assert_eq!(status, 401);
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
    assert!(checked <= 3, "{checked} real checks: {statuses:?}");
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
async fn admins_manage_users_and_changes_apply_at_once() {
    let prefix = unique("users");
    let topic = unique("users-topic");
    create_topic(&topic, 1).await;
    produce_timestamped(&topic, 0, 10, 1_700_000_000_000, 1000);
    let group = format!("{prefix}-g");
    commit_offsets(&group, &topic, &[(0, 8)]);
    let server = TestServer::start_secure(&config(&prefix)).await;
    let ada = server.sign_in("ada", PW).await.unwrap();
    let vera = server.sign_in("vera", PW).await.unwrap();
    let olivia = server.sign_in("olivia", PW).await.unwrap();
    let new_pw = "grace-first-password";
    let grace = json!({
        "name": "grace",
        "password": new_pw,
        "teams": ["viewers"],
        "grants": [{ "role": "operator", "clusters": "local", "groups": format!("{prefix}-*") }]
    });
    let save = |cookie: String, change: serde_json::Value, creating: bool| {
        let server = &server;
        async move {
            server
                .call_as(
                    &cookie,
                    "users/save",
                    json!({ "change": change, "creating": creating }),
                )
                .await
        }
    };

    // Only an admin on every cluster and group manages users.
    for who in [&vera, &olivia] {
        let (status, body) = server.call_as(&who.cookie, "users/list", json!({})).await;
        assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");
        assert_eq!(body["needs"], "admin");
        let (status, body) = save(who.cookie.clone(), grace.clone(), true).await;
        assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");
    }
    // An admin of one cluster could otherwise grant themselves the rest.
    let (status, body) = save(
        ada.cookie.clone(),
        json!({ "name": "sam", "password": "sam-password-123",
                "grants": [{ "role": "admin", "clusters": "local", "groups": "*" }] }),
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sam = server.sign_in("sam", "sam-password-123").await.unwrap();
    let (status, body) = server.call_as(&sam.cookie, "users/list", json!({})).await;
    assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");

    // Ada adds grace: operator on this test's groups by her own grant, viewer by team.
    let (status, body) = save(ada.cookie.clone(), grace.clone(), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["source"], "store");
    let effective: Vec<String> = body["effective"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            format!(
                "{}:{}:{}",
                g["role"].as_str().unwrap(),
                g["clusters"].as_str().unwrap(),
                g["groups"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        effective.contains(&"viewer:*:*".to_owned()),
        "{effective:?}"
    );
    assert!(
        effective.contains(&format!("operator:local:{prefix}-*")),
        "{effective:?}"
    );
    let g1 = server.sign_in("grace", new_pw).await.unwrap();
    let s = spec(&group, Scope::AllTopics, Strategy::ToEarliest);
    let (status, body) = server
        .call_as(&g1.cookie, "plans/preview", json!({ "spec": s }))
        .await;
    assert_eq!(status, 200, "{body}");

    // Taking the grant away applies to her open session at its next request.
    let (status, body) = save(
        ada.cookie.clone(),
        json!({ "name": "grace", "teams": ["viewers"], "grants": [] }),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"], 1, "{body}");
    let (status, body) = server
        .call_as(&g1.cookie, "plans/preview", json!({ "spec": s }))
        .await;
    assert_eq!((status, kind(&body)), (403, "forbidden"), "{body}");

    // A new password ends her sessions; the old one stops working.
    let (status, body) = save(
        ada.cookie.clone(),
        json!({ "name": "grace", "password": "grace-second-password", "teams": ["viewers"] }),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"], 0, "{body}");
    let (status, _) = server.call_as(&g1.cookie, "auth/me", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(
        server.sign_in("grace", new_pw).await.err().map(|e| e.0),
        Some(401)
    );
    let g2 = server
        .sign_in("grace", "grace-second-password")
        .await
        .unwrap();

    // Specific refusals for bad changes; nothing is half-applied.
    for (change, creating, expected, text) in [
        (
            json!({ "name": "vera", "password": "vera-password-123" }),
            true,
            "invalid_input",
            "config file",
        ),
        (
            json!({ "name": "grace", "password": "another-password" }),
            true,
            "invalid_input",
            "exists already",
        ),
        (
            json!({ "name": "nobody-here" }),
            false,
            "not_found",
            "nobody-here",
        ),
        (
            json!({ "name": "tim", "password": "short" }),
            true,
            "invalid_input",
            "at least 12",
        ),
        (
            json!({ "name": "tim" }),
            true,
            "invalid_input",
            "needs a password",
        ),
        (
            json!({ "name": "t i m", "password": "long-enough-pw" }),
            true,
            "invalid_input",
            "not valid",
        ),
        (
            json!({ "name": "tim", "password": "long-enough-pw", "grants": [{ "role": "viewer", "clusters": "", "groups": "*" }] }),
            true,
            "invalid_input",
            "cluster pattern",
        ),
    ] {
        let (_, body) = save(ada.cookie.clone(), change.clone(), creating).await;
        assert_eq!(kind(&body), expected, "{change} -> {body}");
        assert!(
            body["message"]
                .as_str()
                .or(body["what"].as_str())
                .unwrap_or_default()
                .contains(text),
            "{change} -> {body}"
        );
    }

    // An admin cannot lock themselves out, by a change or by removing themselves.
    let (status, body) = save(
        ada.cookie.clone(),
        json!({ "name": "root2", "password": "root2-password-1",
                "grants": [{ "role": "admin", "clusters": "*", "groups": "*" }] }),
        true,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let root2 = server.sign_in("root2", "root2-password-1").await.unwrap();
    let (_, body) = save(
        root2.cookie.clone(),
        json!({ "name": "root2", "grants": [{ "role": "admin", "clusters": "local", "groups": "*" }] }),
        false,
    )
    .await;
    assert_eq!(kind(&body), "refused", "{body}");
    let (_, body) = server
        .call_as(&root2.cookie, "users/delete", json!({ "name": "root2" }))
        .await;
    assert_eq!(kind(&body), "refused", "{body}");
    // root2 may manage everyone else: removing grace ends her session at once.
    let (status, body) = server
        .call_as(&root2.cookie, "users/delete", json!({ "name": "grace" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = server.call_as(&g2.cookie, "auth/me", json!({})).await;
    assert_eq!(status, 401);
    assert!(server
        .sign_in("grace", "grace-second-password")
        .await
        .is_err());
    let (_, body) = server
        .call_as(&ada.cookie, "users/delete", json!({ "name": "grace" }))
        .await;
    assert_eq!(kind(&body), "not_found", "{body}");

    // The listing: config users read-only, store users with their sessions; no hashes.
    let (status, body) = server.call_as(&ada.cookie, "users/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<(&str, &str)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("ada", "config"),
            ("olivia", "config"),
            ("pat", "config"),
            ("root2", "store"),
            ("sam", "store"),
            ("vera", "config")
        ]
    );
    assert!(!body.to_string().contains("argon2"), "{body}");

    // Every change is audited with who, from where and what, never the password.
    let entries = audit(&server, &ada.cookie, json!({})).await;
    let text = serde_json::to_string(&entries).unwrap();
    for pw in [new_pw, "grace-second-password", "root2-password-1"] {
        assert!(!text.contains(pw), "a password is in the audit: {text}");
    }
    let summary: Vec<(String, String, String)> = entries
        .iter()
        .filter(|e| e.action.starts_with("user-") && e.detail["user"] == "grace")
        .map(|e| (e.actor.clone(), e.action.clone(), e.user_change().unwrap()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "root2".into(),
                "user-delete".into(),
                "grace: removed".into()
            ),
            (
                "ada".into(),
                "user-update".into(),
                "grace: teams viewers; grants none; password set".into()
            ),
            (
                "ada".into(),
                "user-update".into(),
                format!("grace: teams viewers; grants operator on local/{prefix}-* → none")
            ),
            (
                "ada".into(),
                "user-create".into(),
                format!("grace: teams viewers; grants operator on local/{prefix}-*; password set")
            ),
        ],
    );
    assert!(entries.iter().all(|e| e.source == "127.0.0.1"));
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

/// Security review, item 1: the role is checked on the group, so the records read must be on that
/// group's own topics; an operator of one group could read any topic's records before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_records_are_read_only_on_the_groups_own_topics() {
    let prefix = unique("landing");
    let mine = unique("landing-mine");
    let secret = unique("landing-secret");
    create_topic(&mine, 1).await;
    create_topic(&secret, 1).await;
    produce_timestamped(&mine, 0, 3, 1_700_000_000_000, 1000);
    produce_timestamped(&secret, 0, 3, 1_700_000_000_000, 1000);
    let group = format!("{prefix}-g1");
    commit_offsets(&group, &mine, &[(0, 1)]);
    let server = TestServer::start_secure(&config(&prefix)).await;
    let olivia = server.sign_in("olivia", PW).await.unwrap();

    let read =
        |topic: &str| json!({ "cluster": "local", "group": group, "targets": [[topic, 0, 0]] });
    let (status, body) = server
        .call_as(&olivia.cookie, "plans/landing-records", read(&secret))
        .await;
    assert_eq!((status, kind(&body)), (400, "invalid_input"), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains(&secret),
        "{body}"
    );
    assert!(
        !body.to_string().contains("value"),
        "no record crossed: {body}"
    );

    let (status, body) = server
        .call_as(&olivia.cookie, "plans/landing-records", read(&mine))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
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

/// Security review, items 3 and 9: records that name another team's group are not found (not
/// "forbidden, naming the group"); an execution shows only its own group's part of a multi-group plan;
/// audit entries are per group; a restore of a foreign execution does not name its group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_naming_another_teams_group_are_not_found() {
    let prefix = unique("rec");
    let topic = unique("rec-topic");
    create_topic(&topic, 1).await;
    produce_timestamped(&topic, 0, 10, 1_700_000_000_000, 1000);
    let mine = format!("{prefix}-pat-g1");
    let theirs = format!("{prefix}-other-g1");
    commit_offsets(&mine, &topic, &[(0, 5)]);
    commit_offsets(&theirs, &topic, &[(0, 7)]);
    let server = TestServer::start_secure(&config(&prefix)).await;
    let ada = server.sign_in("ada", PW).await.unwrap();
    let pat = server.sign_in("pat", PW).await.unwrap();

    // The admin resets both groups in one plan.
    let mut both = spec(&mine, Scope::AllTopics, Strategy::ToEarliest);
    both.groups.push(theirs.clone());
    let (status, body) = server
        .call_as(&ada.cookie, "plans/preview", json!({ "spec": both }))
        .await;
    assert_eq!(status, 200, "{body}");
    let preview: Preview = serde_json::from_value(body).unwrap();
    let (status, body) = server
        .call_as(
            &ada.cookie,
            "executions/execute",
            json!({ "spec": both, "fingerprint": preview.plan.fingerprint, "at_ms": null }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<(String, i64)> = body["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["group"].as_str().unwrap().to_owned(),
                e["id"].as_i64().unwrap(),
            )
        })
        .collect();
    let id_of = |g: &str| ids.iter().find(|(x, _)| x == g).map(|(_, id)| *id).unwrap();

    // The cluster's history is cut to Pat's groups before its limit: the other team's execution is
    // the newest, and Pat's still comes back (it used to be filtered out of a one-row page).
    let (status, body) = server
        .call_as(
            &pat.cookie,
            "executions/list",
            json!({ "cluster": "local", "limit": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let listed: Vec<i64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(id_of(&theirs) > id_of(&mine));
    assert_eq!(listed, vec![id_of(&mine)], "{body}");

    // Pat sees their group's execution, cut to their group.
    let (status, body) = server
        .call_as(&pat.cookie, "executions/get", json!({ "id": id_of(&mine) }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.to_string().contains(&theirs),
        "another team's group leaked: {body}"
    );
    // The other one is not found, exactly like an id that does not exist, and names nothing.
    for id in [id_of(&theirs), 999_999] {
        let (status, body) = server
            .call_as(&pat.cookie, "executions/get", json!({ "id": id }))
            .await;
        assert_eq!((status, kind(&body)), (404, "not_found"), "{body}");
        assert!(!body.to_string().contains(&theirs), "{body}");
    }
    let (status, body) = server
        .call_as(
            &pat.cookie,
            "executions/undo-spec",
            json!({ "id": id_of(&theirs) }),
        )
        .await;
    assert_eq!((status, kind(&body)), (404, "not_found"), "{body}");
    // Restoring a foreign execution onto their own group names only their own group.
    let restore = spec(
        &mine,
        Scope::AllTopics,
        Strategy::RestoreBackup {
            execution: id_of(&theirs),
        },
    );
    let (_, body) = server
        .call_as(&pat.cookie, "plans/preview", json!({ "spec": restore }))
        .await;
    assert!(!body.to_string().contains(&theirs), "{body}");

    // A copy-from plan reading the other team's group is not found either.
    let copy = spec(
        &mine,
        Scope::AllTopics,
        Strategy::CopyFromGroup {
            group: theirs.clone(),
        },
    );
    let (status, body) = server
        .call_as(&ada.cookie, "plans/save", json!({ "spec": copy }))
        .await;
    assert_eq!(status, 200, "{body}");
    let plan_id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = server
        .call_as(&pat.cookie, "plans/get", json!({ "id": plan_id }))
        .await;
    assert_eq!((status, kind(&body)), (404, "not_found"), "{body}");

    // The audit trail: one entry per group, none of Pat's naming the other group.
    let entries = audit(&server, &pat.cookie, json!({ "group": prefix })).await;
    assert!(entries
        .iter()
        .any(|e| e.group.as_deref() == Some(mine.as_str())));
    for e in &entries {
        let text = serde_json::to_string(e).unwrap();
        assert!(!text.contains(&theirs), "{text}");
    }
    let all = audit(
        &server,
        &ada.cookie,
        json!({ "group": prefix, "action": "execute" }),
    )
    .await;
    let groups: std::collections::BTreeSet<_> =
        all.iter().filter_map(|e| e.group.clone()).collect();
    assert_eq!(groups, [mine.clone(), theirs.clone()].into_iter().collect());
}
