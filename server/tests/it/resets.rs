//! Resets end to end over HTTP against the real broker: execute and verify, undo (including partitions
//! that had no offset), refusals (active group, drift, bad input, a consumer committing without
//! membership). The helpers here are shared with `interop`.

use crate::support::{
    commit_offsets, committed_offsets, create_topic, produce_timestamped, spec, unique, Background,
    LiveMember, TestServer, LOCAL,
};
use app::domain::execution::{
    ExecuteReport, Execution, ExecutionStatus, ExecutionSummary, Preview,
};
use app::domain::reset::{ResetSpec, Scope, Strategy, TopicScope};
use app::error::AppError;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;
use std::time::Duration;

pub(crate) fn topic_scope(arg: &str) -> Scope {
    Scope::Topics {
        topics: vec![TopicScope::parse(arg).expect("topic arg")],
    }
}

pub(crate) async fn preview(server: &TestServer, spec: &ResetSpec) -> Result<Preview, AppError> {
    let (status, body) = server
        .call_json("plans/preview", json!({ "spec": spec }))
        .await;
    if status == 200 {
        Ok(serde_json::from_value(body).expect("Preview"))
    } else {
        Err(serde_json::from_value(body).expect("AppError"))
    }
}

pub(crate) async fn execute(
    server: &TestServer,
    spec: &ResetSpec,
    p: &Preview,
) -> Result<ExecuteReport, AppError> {
    let (status, body) = server
        .call_json(
            "executions/execute",
            json!({ "spec": spec, "fingerprint": p.plan.fingerprint, "at_ms": p.plan.at_ms }),
        )
        .await;
    if status == 200 {
        Ok(serde_json::from_value(body).expect("ExecuteReport"))
    } else {
        Err(serde_json::from_value(body).expect("AppError"))
    }
}

/// The group's executions, newest first.
pub(crate) async fn history(server: &TestServer, group: &str) -> Vec<ExecutionSummary> {
    let (status, list) = server
        .call_json(
            "executions/list",
            json!({ "cluster": "local", "group": group }),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    serde_json::from_value(list).expect("list")
}

/// A topic with `partitions` partitions of 50 records each.
pub(crate) async fn topic_with_records(partitions: i32) -> String {
    let topic = unique("resets");
    create_topic(&topic, partitions).await;
    for p in 0..partitions {
        produce_timestamped(&topic, p, 50, 1_700_000_000_000, 1_000);
    }
    topic
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_verifies_and_undo_restores_exactly_including_partitions_without_offsets() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(3).await;
    let group = unique("resets-undo");
    // p2 has no committed offset before the reset.
    commit_offsets(&group, &topic, &[(0, 10), (1, 20)]);

    let s = spec(
        &group,
        topic_scope(&topic),
        Strategy::ToOffset { offset: 30 },
    );
    let p = preview(&server, &s).await.expect("preview");
    assert_eq!(p.plan.groups[0].partitions.len(), 3);
    assert!(
        p.cli.command.contains("--to-offset 30"),
        "{}",
        p.cli.command
    );
    // The preview knows the record each partition lands on (50 records, 1 s apart).
    assert_eq!(
        p.plan.groups[0].partitions[0].target_timestamp,
        Some(1_700_000_030_000)
    );
    let report = execute(&server, &s, &p).await.expect("execute");
    let e = &report.executions[0];
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    assert!(
        e.partitions.iter().all(|p| p.verified()),
        "{:?}",
        e.partitions
    );
    assert_eq!(
        e.partitions.iter().map(|p| p.before).collect::<Vec<_>>(),
        vec![Some(10), Some(20), None]
    );
    assert_eq!(
        committed_offsets(&group, &topic, 3),
        [(0, 30), (1, 30), (2, 30)].into_iter().collect()
    );
    // The commit carries the execution's id in its metadata.
    let (_, detail) = server
        .call(
            "groups/describe",
            &[("cluster", "local"), ("group", &group)],
        )
        .await;
    let meta = detail["partitions"][0]["metadata"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(meta, e.commit_metadata);
    assert!(meta.starts_with(&format!("rewind:{}:", e.id)), "{meta}");

    // Undo: restore the backup of that execution, previewed and executed like any plan.
    let (status, undo) = server
        .call_json("executions/undo-spec", json!({ "id": e.id }))
        .await;
    assert_eq!(status, 200, "{undo}");
    let undo: ResetSpec = serde_json::from_value(undo).expect("spec");
    let up = preview(&server, &undo).await.expect("undo preview");
    let p2 = &up.plan.groups[0].partitions[2];
    assert_eq!(p2.target, None, "p2 had no offset: undo deletes it");
    assert!(up.cli.note.is_some());
    let undone = execute(&server, &undo, &up).await.expect("undo");
    assert_eq!(undone.executions[0].undo_of, Some(e.id));
    assert_eq!(undone.executions[0].status, ExecutionStatus::Succeeded);
    assert_eq!(
        committed_offsets(&group, &topic, 3),
        [(0, 10), (1, 20)].into_iter().collect(),
        "exactly the previous offsets, and none on p2"
    );

    // History lists both, newest first.
    let list = history(&server, &group).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].undo_of, Some(list[1].id));
    let (_, full) = server
        .call_json("executions/get", json!({ "id": e.id }))
        .await;
    let full: Execution = serde_json::from_value(full).expect("execution");
    assert_eq!(full.actor, "anonymous (sign-in off)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_is_refused_for_an_active_group_naming_its_member() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(1).await;
    let group = unique("resets-stable");
    let member = LiveMember::join(&group, &topic, "replay-victim", 1, &[]);

    let s = spec(&group, topic_scope(&topic), Strategy::ToEarliest);
    let p = preview(&server, &s)
        .await
        .expect("an active group is previewed");
    assert!(p.plan.groups[0].refusal.is_some());
    match execute(&server, &s, &p).await {
        Err(e @ AppError::GroupActive { .. }) => {
            let text = e.to_string();
            assert!(text.contains("current state is Stable"), "{text}");
            assert!(text.contains("replay-victim"), "names the member: {text}");
        }
        other => panic!("expected GroupActive, got {other:?}"),
    }
    assert!(
        committed_offsets(&group, &topic, 1).is_empty(),
        "nothing committed"
    );
    drop(member);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_between_preview_and_execute_is_refused_with_the_new_plan() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(2).await;
    let group = unique("resets-drift");
    commit_offsets(&group, &topic, &[(0, 10), (1, 10)]);
    let s = spec(&group, Scope::AllTopics, Strategy::ShiftBy { shift: -5 });
    let p = preview(&server, &s).await.expect("preview");
    // A consumer commits after the preview.
    commit_offsets(&group, &topic, &[(0, 40)]);
    match execute(&server, &s, &p).await {
        Err(AppError::Drift { plan, .. }) => {
            assert_ne!(plan.fingerprint, p.plan.fingerprint);
            assert_eq!(plan.groups[0].partitions[0].current, Some(40));
            assert_eq!(plan.groups[0].partitions[0].target, Some(35));
        }
        other => panic!("expected Drift, got {other:?}"),
    }
    assert_eq!(
        committed_offsets(&group, &topic, 2),
        [(0, 40), (1, 10)].into_iter().collect(),
        "nothing committed"
    );
    // Nothing was recorded as an execution either.
    assert!(history(&server, &group).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_specific_errors_and_changes_nothing() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(1).await;
    let group = unique("resets-bad");
    let cases = [
        (
            spec(&group, topic_scope(&topic), Strategy::ShiftBy { shift: 1 }),
            format!("Cannot shift offset for partition {topic}-0 since there is no current committed offset"),
        ),
        (
            spec(&group, topic_scope("no-such-topic-here"), Strategy::ToEarliest),
            "Topic 'no-such-topic-here' does not exist".to_string(),
        ),
        (
            spec(&group, topic_scope(&format!("{topic}:0,4")), Strategy::ToEarliest),
            format!("The partitions \"{topic}-4\" do not exist"),
        ),
        (
            spec(
                &group,
                topic_scope(&topic),
                Strategy::ToDatetime {
                    input: "2026-11-24 08:00".into(),
                    zone: None,
                },
            ),
            "put a 'T' between the date and the time, e.g. 2026-11-24T08:00".to_string(),
        ),
        (
            spec(
                &group,
                topic_scope(&topic),
                Strategy::ByDuration {
                    duration: "P1W".into(),
                },
            ),
            "Cannot parse 'P1W' as a duration".to_string(),
        ),
        (
            spec(
                &group,
                Scope::AllTopics,
                Strategy::FromFile {
                    csv: format!("{topic},0,5\n{topic},x,6\n"),
                },
            ),
            "CSV line 2: partition 'x' is not an integer".to_string(),
        ),
        // Issue 18, item 6: an empty file is said to be empty, and a 3-column row its own fault.
        (
            spec(
                &group,
                Scope::AllTopics,
                Strategy::FromFile { csv: String::new() },
            ),
            "The CSV file is empty".to_string(),
        ),
        (
            spec(
                &group,
                Scope::AllTopics,
                Strategy::FromFile {
                    csv: "\n  \n\n".into(),
                },
            ),
            "The CSV file is empty".to_string(),
        ),
        (
            spec(
                &group,
                Scope::AllTopics,
                Strategy::FromFile {
                    csv: format!("{topic},-1,5\n"),
                },
            ),
            "CSV line 1: partition -1 is negative; partitions are numbered from 0".to_string(),
        ),
        (
            spec(
                &group,
                topic_scope(&format!("{topic}:-1")),
                Strategy::ToEarliest,
            ),
            format!("Partition -1 of topic {topic} is negative; partitions are numbered from 0"),
        ),
        (
            spec(
                &group,
                Scope::AllTopics,
                Strategy::FromFile {
                    csv: format!("other-group,{topic},0,5\n"),
                },
            ),
            format!("No reset plan for group {group} found."),
        ),
    ];
    for (s, expected) in cases {
        match preview(&server, &s).await {
            Err(e) => assert!(
                e.to_string().contains(&expected),
                "{e} should contain {expected}"
            ),
            Ok(p) => panic!("expected an error containing {expected}, got {p:?}"),
        }
    }
    assert!(committed_offsets(&group, &topic, 1).is_empty());

    // A by-duration plan carries the instant its preview looked up; hours later that is not "PT1H ago".
    let hour_ago = spec(
        &group,
        topic_scope(&topic),
        Strategy::ByDuration {
            duration: "PT1H".into(),
        },
    );
    let mut stale = preview(&server, &hour_ago).await.expect("preview");
    stale.plan.at_ms = stale.plan.at_ms.map(|at| at - 3 * 3_600_000);
    match execute(&server, &hour_ago, &stale).await {
        Err(e @ AppError::InvalidInput { .. }) => {
            assert!(e.to_string().contains("preview it again"), "{e}")
        }
        other => panic!("expected a refusal of the stale instant, got {other:?}"),
    }
    assert!(committed_offsets(&group, &topic, 1).is_empty());
}

/// A consumer that never joins its group: assign() and a commit of its position every 300 ms, as
/// hand-rolled consumers and some stream processors do. Its group looks Empty.
fn assign_committer(group: &str, topic: &str, partition: i32, offset: i64) -> Background {
    let consumer: BaseConsumer = crate::support::client_config()
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
        .expect("tpl");
    consumer.assign(&tpl).expect("assign");
    Background::spawn(move || {
        let _ = consumer.poll(Duration::from_millis(300));
        let _ = consumer.commit(&tpl, CommitMode::Sync);
    })
}

/// Issue 14.4: a consumer using assign() and committing looks Empty, and a reset "succeeded" only to
/// be overwritten within seconds. Execute is refused while someone other than Rewind keeps
/// committing (read from `__consumer_offsets`), naming what was seen; when a consumer overwrites a
/// reset anyway, Rewind's second look marks the execution overwritten; members that just stopped
/// do not count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_committing_without_membership_is_refused_and_an_overwrite_is_marked() {
    let server = TestServer::start(LOCAL).await;
    let topic = topic_with_records(1).await;
    let shift = |group: &str| spec(group, topic_scope(&topic), Strategy::ShiftBy { shift: -10 });

    let hidden = unique("resets-assign");
    let committer = assign_committer(&hidden, &topic, 0, 50);
    while committed_offsets(&hidden, &topic, 1).get(&0) != Some(&50) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = shift(&hidden);
    let p = preview(&server, &s).await.expect("preview");
    assert!(p.plan.groups[0].refusal.is_none(), "it looks Empty");
    match execute(&server, &s, &p).await {
        Err(e @ AppError::HiddenCommitter { .. }) => {
            let text = e.to_string();
            assert!(text.contains("assign()"), "{text}");
            assert!(text.contains(&format!("{topic}-0 at 50")), "{text}");
        }
        other => panic!("expected HiddenCommitter, got {other:?}"),
    }
    drop(committer);
    assert_eq!(committed_offsets(&hidden, &topic, 1).get(&0), Some(&50));
    assert!(
        history(&server, &hidden).await.is_empty(),
        "nothing executed"
    );

    // A group committed once (a tool, a seed) is reset; then a consumer starts and puts its own
    // position back.
    let overwritten = unique("resets-overwritten");
    commit_offsets(&overwritten, &topic, &[(0, 50)]);
    let s = shift(&overwritten);
    let p = preview(&server, &s).await.expect("preview");
    let report = execute(&server, &s, &p)
        .await
        .expect("one commit is not a consumer");
    let id = report.executions[0].id;
    assert_eq!(report.executions[0].status, ExecutionStatus::Succeeded);
    let _late = assign_committer(&overwritten, &topic, 0, 50);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let marked = loop {
        let h = history(&server, &overwritten).await;
        if let Some(e) = h
            .iter()
            .find(|e| e.id == id && e.overwritten_at_ms.is_some())
        {
            break e.clone();
        }
        assert!(std::time::Instant::now() < deadline, "not marked: {h:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(marked.status, ExecutionStatus::Succeeded);
    let message = marked.message.unwrap_or_default();
    assert!(message.contains("Overwritten by a consumer"), "{message}");
    assert!(
        message.contains(&format!("{topic}-0 at 50, not 40")),
        "{message}"
    );

    // Members that committed twice and then stopped are the usual "stop it, then reset": allowed at
    // once, since the group protocol recorded them leaving after their commits.
    let stopped = unique("resets-stopped");
    for offset in [20, 30] {
        drop(LiveMember::join(
            &stopped,
            &topic,
            "stopped-member",
            1,
            &[(0, offset)],
        ));
    }
    let s = shift(&stopped);
    let p = preview(&server, &s).await.expect("preview");
    execute(&server, &s, &p)
        .await
        .expect("members that left are not hidden committers");
    assert_eq!(committed_offsets(&stopped, &topic, 1).get(&0), Some(&20));
}
