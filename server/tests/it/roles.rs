//! Roles over HTTP against the real broker: each role does exactly what it may and gets a specific
//! refusal otherwise; records, plans, landing records and the audit of another team's group are not
//! found, as if they did not exist; histories are cut to the caller's groups before their limit.

use crate::auth::{audit, config, kind, PW};
use crate::support::{commit_offsets, create_topic, produce_timestamped, spec, unique, TestServer};
use app::domain::execution::Preview;
use app::domain::reset::{Scope, Strategy};
use serde_json::json;

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
