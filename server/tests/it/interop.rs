//! Interop over HTTP against the real broker: the tool's CSV exported and imported back, copy from
//! another group, delete offsets with the tool's state rules, saved plans with their frozen inputs.

use crate::resets::{execute, preview, topic_with_records};
use crate::support::{
    commit_offsets, committed_offsets, spec, unique, LiveMember, TestServer, LOCAL,
};
use app::domain::execution::{DeleteOffsetsReport, ExecutionStatus, Preview};
use app::domain::reset::{Scope, Strategy};
use app::error::AppError;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_export_then_import_gives_the_same_plan_and_copy_from_group() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(2).await;
    let source = unique("resets-src");
    commit_offsets(&source, &topic, &[(0, 12), (1, 34)]);
    let (status, csv) = server
        .call_json(
            "plans/export-offsets",
            json!({ "cluster": "local", "group": source }),
        )
        .await;
    assert_eq!(status, 200, "{csv}");
    let csv = csv.as_str().expect("csv").to_owned();
    assert_eq!(csv.lines().count(), 2, "{csv}");

    // Importing the export into a new group plans exactly the source's offsets, as copying does.
    let target = unique("resets-dst");
    let from_file = preview(
        &server,
        &spec(
            &target,
            Scope::AllTopics,
            Strategy::FromFile { csv: csv.clone() },
        ),
    )
    .await
    .expect("from-file");
    let copy = preview(
        &server,
        &spec(
            &target,
            Scope::AllTopics,
            Strategy::CopyFromGroup {
                group: source.clone(),
            },
        ),
    )
    .await
    .expect("copy");
    let targets = |p: &Preview| {
        p.plan.groups[0]
            .partitions
            .iter()
            .map(|x| (x.partition, x.target))
            .collect::<Vec<_>>()
    };
    assert_eq!(targets(&from_file), vec![(0, Some(12)), (1, Some(34))]);
    assert_eq!(targets(&copy), targets(&from_file));
    // A plan's own CSV, imported, gives the same plan again.
    let again = preview(
        &server,
        &spec(
            &target,
            Scope::AllTopics,
            Strategy::FromFile {
                csv: from_file.csv.clone(),
            },
        ),
    )
    .await
    .expect("re-import");
    assert_eq!(targets(&again), targets(&from_file));
    assert_eq!(again.csv, from_file.csv);
    let report = execute(
        &server,
        &spec(
            &target,
            Scope::AllTopics,
            Strategy::CopyFromGroup {
                group: source.clone(),
            },
        ),
        &copy,
    )
    .await
    .expect("execute copy");
    assert_eq!(report.executions[0].status, ExecutionStatus::Succeeded);
    assert_eq!(
        committed_offsets(&target, &topic, 2),
        committed_offsets(&source, &topic, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_offsets_follows_the_tools_state_rules() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(2).await;
    let group = unique("resets-del");
    commit_offsets(&group, &topic, &[(0, 5), (1, 6)]);
    let (status, body) = server
        .call_json(
            "executions/delete-offsets",
            json!({ "cluster": "local", "group": group, "topics": [{ "topic": topic, "partitions": [1] }] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let report: DeleteOffsetsReport = serde_json::from_value(body).expect("report");
    assert_eq!(report.partitions.len(), 1);
    assert_eq!(report.partitions[0].before, Some(6));
    assert_eq!(report.partitions[0].error, None);
    assert_eq!(
        committed_offsets(&group, &topic, 2),
        [(0, 5)].into_iter().collect()
    );

    // An active group subscribed to the topic: the broker refuses, per partition.
    let live = unique("resets-del-live");
    let member = LiveMember::join(&live, &topic, "subscribed", 2, &[(0, 3)]);
    let (status, body) = server
        .call_json(
            "executions/delete-offsets",
            json!({ "cluster": "local", "group": live, "topics": [{ "topic": topic, "partitions": null }] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let report: DeleteOffsetsReport = serde_json::from_value(body).expect("report");
    assert_eq!(report.partitions.len(), 2);
    assert!(
        report
            .partitions
            .iter()
            .all(|p| p.error.as_deref() == Some("GROUP_SUBSCRIBED_TO_TOPIC")),
        "{report:?}"
    );
    drop(member);

    // Unknown topic and unknown group: specific errors.
    let (_, body) = server
        .call_json(
            "executions/delete-offsets",
            json!({ "cluster": "local", "group": group, "topics": [{ "topic": "nope-topic", "partitions": null }] }),
        )
        .await;
    let e: AppError = serde_json::from_value(body).expect("error");
    assert_eq!(e.to_string(), "Topic 'nope-topic' does not exist");
    let (_, body) = server
        .call_json(
            "executions/delete-offsets",
            json!({ "cluster": "local", "group": unique("nobody"), "topics": [{ "topic": topic, "partitions": null }] }),
        )
        .await;
    let e: AppError = serde_json::from_value(body).expect("error");
    assert!(matches!(e, AppError::UnknownGroup { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_keeps_its_inputs_and_preview() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(1).await;
    let group = unique("resets-save");
    commit_offsets(&group, &topic, &[(0, 25)]);
    let s = spec(
        &group,
        Scope::AllTopics,
        Strategy::ToDatetime {
            input: "2023-11-15T06:13:25.000".into(),
            zone: Some("Asia/Shanghai".into()),
        },
    );
    let (status, saved) = server.call_json("plans/save", json!({ "spec": s })).await;
    assert_eq!(status, 200, "{saved}");
    let saved: app::domain::execution::SavedPlan = serde_json::from_value(saved).expect("saved");
    // 06:13:25 in Shanghai is 22:13:25 UTC the day before: 1,700,000,005 s, record 5 of the topic.
    assert_eq!(saved.plan.at_ms, Some(1_700_000_005_000));
    assert_eq!(saved.plan.groups[0].partitions[0].target, Some(5));
    let (status, got) = server
        .call_json("plans/get", json!({ "id": saved.id }))
        .await;
    assert_eq!(status, 200, "{got}");
    let got: app::domain::execution::SavedPlan = serde_json::from_value(got).expect("got");
    assert_eq!(got, saved);
    let (_, missing) = server
        .call_json("plans/get", json!({ "id": "no-such-plan" }))
        .await;
    let e: AppError = serde_json::from_value(missing).expect("error");
    assert_eq!(e.to_string(), "Plan no-such-plan was not found.");
}
