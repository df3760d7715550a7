//! Sign-in and roles over HTTP against the real broker: each role does exactly what it may and gets a
//! specific refusal otherwise, sessions and sign-out, the login rate limit, trusted-proxy headers, and
//! the audit trail with who, from where, before and after.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

mod support;

use app::domain::audit::AuditEntry;
use app::domain::execution::Preview;
use app::domain::reset::{Scope, Strategy};
use rewind_server::auth::password;
use serde_json::json;
use support::{commit_offsets, create_topic, produce_timestamped, spec, unique, TestServer};

const PW: &str = "a-long-test-password";

/// Three local users: vera (viewer everywhere, by team), olivia (operator on `<prefix>-*` groups),
/// ada (admin). A proxy header trusted only from 10.9.9.9.
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
        support::committed_offsets(&group, &topic, 2),
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
        support::committed_offsets(&group, &topic, 2),
        [(0, 0)].into_iter().collect()
    );

    // The audit: the execute under olivia's name, from the client's address, with before and after.
    let (status, body) = server
        .call_as(
            &olivia.cookie,
            "audit/list",
            json!({ "filter": { "group": group } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let entries: Vec<AuditEntry> = serde_json::from_value(body).unwrap();
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
    let signins = |cookie: String| {
        let server = &server;
        async move {
            let (_, body) = server
                .call_as(
                    &cookie,
                    "audit/list",
                    json!({ "filter": { "action": "sign-in" } }),
                )
                .await;
            serde_json::from_value::<Vec<AuditEntry>>(body)
                .unwrap()
                .len()
        }
    };
    assert_eq!(signins(olivia.cookie.clone()).await, 0);
    assert!(signins(ada.cookie.clone()).await >= 3);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_trip_the_rate_limit_and_are_audited() {
    let server = TestServer::start_secure(&config("rl")).await;
    for _ in 0..5 {
        let (status, page) = server
            .sign_in("vera", "wrong-password")
            .await
            .err()
            .unwrap();
        assert_eq!(status, 401);
        assert!(page.contains("Wrong user name or password."), "{page}");
    }
    // Now even the right password is refused for a while, and the page says why.
    let (status, page) = server.sign_in("vera", PW).await.err().unwrap();
    assert_eq!(status, 429);
    assert!(page.contains("Too many failed sign-ins"), "{page}");
    // Unknown users are refused the same way as wrong passwords.
    let (status, _) = server.sign_in("nobody", PW).await.err().unwrap();
    assert_eq!(status, 401);

    let ada = server.sign_in("ada", PW).await.unwrap();
    let (_, body) = server
        .call_as(
            &ada.cookie,
            "audit/list",
            json!({ "filter": { "action": "sign-in", "actor": "vera" } }),
        )
        .await;
    let entries: Vec<AuditEntry> = serde_json::from_value(body).unwrap();
    let results: Vec<&str> = entries.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(
        results.iter().filter(|r| r.starts_with("failed")).count(),
        5,
        "{results:?}"
    );
    assert!(results.contains(&"refused: rate limited"), "{results:?}");
    assert!(entries.iter().all(|e| e.source == "127.0.0.1"));
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

    let trusted = TestServer::start_secure(&config("px").replace("10.9.9.9", "127.0.0.1/32")).await;
    let resp = trusted
        .http
        .post(format!("http://{}/api/auth/me", trusted.addr))
        .header("x-forwarded-user", "ada")
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let me: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(me["name"], "ada");
    assert_eq!(me["method"], "proxy");
    assert_eq!(me["grants"][0]["role"], "admin");
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
            support::LOCAL.replace("{bootstrap}", &support::bootstrap())
        ),
    )
    .unwrap();
    let config = rewind_server::config::Config::load(Some(&path)).unwrap();
    let err = rewind_server::router::services(&config).err().unwrap();
    assert!(err.to_string().contains("--insecure-no-auth"), "{err}");

    // Insecure mode: everyone is admin, and every page carries the banner.
    let server = TestServer::start(support::LOCAL).await;
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
