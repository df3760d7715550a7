//! Managing users over HTTP: admins create, change and remove store users; a change applies to the
//! user's next request, a new password ends their other sessions, and every change is audited.

use crate::auth::{audit, config, kind, PW};
use crate::support::{commit_offsets, create_topic, produce_timestamped, spec, unique, TestServer};
use app::domain::reset::{Scope, Strategy};
use serde_json::json;

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
