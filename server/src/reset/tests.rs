//! The execute protocol's branches over the in-memory gateway and an in-memory SQLite store:
//! refusals, drift, a group that moves after the lock, deletes before the commit, read-back
//! verification, calls that fail after they landed, the lock, recovery. The real-broker tests in
//! `server/tests/it/` (and the parity tests against Kafka's tool) stay the truth about Kafka.

use std::collections::BTreeMap;
use std::sync::Arc;

use app::api::ports::{Actor, Resets};
use app::domain::audit::AuditFilter;
use app::domain::execution::{ExecutionStatus, PartitionOutcome};
use app::domain::reset::{MemberRef, ResetSpec, Scope, Strategy, TopicScope};
use app::error::AppError;

use super::fake::FakeGateway;
use super::{FaultPauses, ResetService};
use crate::now_ms;
use crate::store::{
    AuditStore, Begin, ExecutionFilter, ExecutionStore, NewExecution, SqliteStore, Store,
};

struct Rig {
    service: ResetService,
    kafka: Arc<FakeGateway>,
    store: Arc<SqliteStore>,
}

/// Topic `t` with two partitions of 100 records; group `g` committed at 50 and 60.
fn rig() -> Rig {
    rig_with(FakeGateway::default().with_topic("t", 2, 100).with_group(
        "g",
        "t",
        &[(0, 50), (1, 60)],
    ))
}

fn rig_with(kafka: FakeGateway) -> Rig {
    let kafka = Arc::new(kafka);
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let service = ResetService::new(
        kafka.clone(),
        store.clone() as Arc<dyn Store>,
        FaultPauses::default(),
    );
    Rig {
        service,
        kafka,
        store,
    }
}

fn spec(strategy: Strategy) -> ResetSpec {
    ResetSpec {
        cluster: "c".into(),
        groups: vec!["g".into()],
        scope: Scope::AllTopics,
        strategy,
    }
}

fn actor() -> Actor {
    Actor {
        name: "olivia".into(),
        source: "127.0.0.1".into(),
    }
}

/// An execution of `plan` on `group` that another server process began (and may have crashed in).
fn begun_by_another_process(
    plan: &app::domain::reset::Plan,
    group: &str,
    partitions: Vec<PartitionOutcome>,
) -> NewExecution {
    NewExecution {
        cluster: "c".into(),
        group: group.into(),
        actor: "ada".into(),
        started_at_ms: now_ms(),
        spec: plan.spec.clone(),
        plan: plan.clone(),
        undo_of: None,
        owner: "another-process".into(),
        partitions,
    }
}

/// The execution and reason of an execute that ran and failed.
fn failed(err: AppError) -> (i64, String) {
    match err {
        AppError::ExecutionFailed {
            execution, reason, ..
        } => (execution, reason),
        other => panic!("expected a failed execution, got {other:?}"),
    }
}

fn offsets(pairs: &[(i32, i64)]) -> BTreeMap<(String, i32), i64> {
    pairs
        .iter()
        .map(|(p, o)| (("t".to_owned(), *p), *o))
        .collect()
}

impl Rig {
    async fn fingerprint(&self, spec: &ResetSpec) -> String {
        self.service
            .preview(spec.clone())
            .await
            .unwrap()
            .plan
            .fingerprint
    }

    async fn preview_and_execute(
        &self,
        spec: &ResetSpec,
    ) -> Result<app::domain::execution::ExecuteReport, AppError> {
        let fingerprint = self.fingerprint(spec).await;
        self.service
            .execute(spec.clone(), fingerprint, None, actor())
            .await
    }

    async fn audit_results(&self, action: &str) -> Vec<String> {
        self.store
            .audit_entries(AuditFilter {
                action: action.into(),
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.result)
            .collect()
    }

    /// The plan of the standard to-earliest spec, as a preview gives it.
    async fn plan(&self) -> app::domain::reset::Plan {
        self.service
            .preview(spec(Strategy::ToEarliest))
            .await
            .unwrap()
            .plan
    }

    fn calls_after_preview(&self) -> Vec<String> {
        // The preview reads the group once; everything after it is the execution's.
        self.kafka.calls().into_iter().skip(1).collect()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_previewed_plan_is_backed_up_committed_verified_and_recorded() {
    let rig = rig();
    let report = rig
        .preview_and_execute(&spec(Strategy::ToEarliest))
        .await
        .unwrap();
    let e = &report.executions[0];
    assert_eq!(e.status, ExecutionStatus::Succeeded);
    assert_eq!(rig.kafka.committed("g"), offsets(&[(0, 0), (1, 0)]));
    // The backup holds what the group had; every partition read back at its target.
    let befores: Vec<Option<i64>> = e.partitions.iter().map(|p| p.before).collect();
    assert_eq!(befores, vec![Some(50), Some(60)]);
    assert!(e.partitions.iter().all(PartitionOutcome::verified));
    // Plan, a last look under the lock, one commit, the read-back.
    assert_eq!(
        rig.calls_after_preview(),
        ["snapshot", "snapshot", "commit", "snapshot"]
    );
    assert_eq!(rig.audit_results("execute").await, vec!["succeeded"]);
}

#[tokio::test(flavor = "current_thread")]
async fn an_active_group_is_refused_naming_its_member_and_nothing_is_written() {
    let rig = rig();
    let fingerprint = rig.fingerprint(&spec(Strategy::ToEarliest)).await;
    rig.kafka
        .state
        .lock()
        .unwrap()
        .groups
        .get_mut("g")
        .unwrap()
        .members
        .push(MemberRef {
            member_id: "m-1".into(),
            client_id: "replayer".into(),
            host: "/10.0.0.7".into(),
        });
    let err = rig
        .service
        .execute(spec(Strategy::ToEarliest), fingerprint, None, actor())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::GroupActive { members, .. } if members[0].client_id == "replayer"),
        "{err:?}"
    );
    assert!(!rig.kafka.calls().contains(&"commit".to_owned()));
    assert_eq!(rig.kafka.committed("g"), offsets(&[(0, 50), (1, 60)]));
    let history = rig
        .store
        .executions(ExecutionFilter {
            limit: 10,
            ..ExecutionFilter::default()
        })
        .await
        .unwrap();
    assert!(history.is_empty(), "no execution is recorded for a refusal");
    assert_eq!(
        rig.audit_results("execute").await,
        vec!["refused: group_active"]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn drift_since_the_preview_is_refused_with_the_new_plan() {
    let rig = rig();
    let fingerprint = rig
        .fingerprint(&spec(Strategy::ShiftBy { shift: -10 }))
        .await;
    rig.kafka.commit("g", 0, 55, String::new());
    let err = rig
        .service
        .execute(
            spec(Strategy::ShiftBy { shift: -10 }),
            fingerprint,
            None,
            actor(),
        )
        .await
        .unwrap_err();
    let AppError::Drift { plan, .. } = err else {
        panic!("{err:?}")
    };
    let p0 = &plan.groups[0].partitions[0];
    assert_eq!((p0.current, p0.target), (Some(55), Some(45)));
    assert!(!rig.kafka.calls().contains(&"commit".to_owned()));
}

#[tokio::test(flavor = "current_thread")]
async fn a_group_that_moves_after_the_lock_is_left_alone_with_its_backup_kept() {
    let rig = rig();
    let fingerprint = rig.fingerprint(&spec(Strategy::ToEarliest)).await;
    // Snapshots: 1 preview, 2 the execution's plan, 3 the last look under the lock.
    rig.kafka.state.lock().unwrap().before_snapshot.push((
        3,
        Box::new(|s| {
            if let Some(g) = s.groups.get_mut("g") {
                g.committed.insert(("t".into(), 1), (61, String::new()));
            }
        }),
    ));
    let err = rig
        .service
        .execute(spec(Strategy::ToEarliest), fingerprint, None, actor())
        .await
        .unwrap_err();
    let (execution, reason) = failed(err);
    assert!(
        reason.contains("nothing was committed") && reason.contains("t-1"),
        "{reason}"
    );
    assert!(!rig.kafka.calls().contains(&"commit".to_owned()));
    let recorded = rig.store.execution(execution).await.unwrap().unwrap();
    assert_eq!(recorded.status, ExecutionStatus::Failed);
    assert_eq!(
        recorded.partitions[0].before,
        Some(50),
        "the backup is kept"
    );
}

/// Scope `t` whole: partition 1, never committed, is planned too (to the log start).
fn whole_topic(strategy: Strategy) -> ResetSpec {
    ResetSpec {
        scope: Scope::Topics {
            topics: vec![TopicScope {
                topic: "t".into(),
                partitions: None,
            }],
        },
        ..spec(strategy)
    }
}

fn half_committed() -> Rig {
    rig_with(
        FakeGateway::default()
            .with_topic("t", 2, 100)
            .with_group("g", "t", &[(0, 50)]),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn undo_deletes_what_had_no_offset_before_it_commits_the_rest() {
    let rig = half_committed();
    let report = rig
        .preview_and_execute(&whole_topic(Strategy::ToEarliest))
        .await
        .unwrap();
    assert_eq!(rig.kafka.committed("g"), offsets(&[(0, 0), (1, 0)]));
    let undo = spec(Strategy::RestoreBackup {
        execution: report.executions[0].id,
    });
    let calls_before = rig.kafka.calls().len();
    let report = rig.preview_and_execute(&undo).await.unwrap();
    assert_eq!(report.executions[0].status, ExecutionStatus::Succeeded);
    assert_eq!(rig.kafka.committed("g"), offsets(&[(0, 50)]));
    let undo_calls: Vec<String> = rig.kafka.calls()[calls_before..]
        .iter()
        .filter(|c| *c != "snapshot")
        .cloned()
        .collect();
    assert_eq!(undo_calls, ["delete", "commit"]);
    assert_eq!(rig.audit_results("undo").await, vec!["succeeded"]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_delete_stops_the_undo_before_its_commit() {
    let rig = half_committed();
    let report = rig
        .preview_and_execute(&whole_topic(Strategy::ToEarliest))
        .await
        .unwrap();
    rig.kafka
        .state
        .lock()
        .unwrap()
        .refuse_delete
        .push((("t".into(), 1), "GROUP_SUBSCRIBED_TO_TOPIC".into()));
    let undo = spec(Strategy::RestoreBackup {
        execution: report.executions[0].id,
    });
    let calls_before = rig.kafka.calls().len();
    let err = rig.preview_and_execute(&undo).await.unwrap_err();
    let (_, reason) = failed(err);
    assert!(reason.contains("refused to delete"), "{reason}");
    assert!(!rig.kafka.calls()[calls_before..].contains(&"commit".to_owned()));
    assert_eq!(rig.kafka.committed("g"), offsets(&[(0, 0), (1, 0)]));
}

#[tokio::test(flavor = "current_thread")]
async fn a_partition_read_back_elsewhere_fails_verification_and_keeps_the_backup() {
    let rig = rig();
    rig.kafka.state.lock().unwrap().commit_lands_at = Some((("t".into(), 0), 7));
    let err = rig
        .preview_and_execute(&spec(Strategy::ToEarliest))
        .await
        .unwrap_err();
    let (execution, reason) = failed(err);
    assert!(
        reason.starts_with("1 of 2 partitions did not verify (t-0)"),
        "{reason}"
    );
    assert!(reason.contains("undo restores"), "{reason}");
    let recorded = rig.store.execution(execution).await.unwrap().unwrap();
    assert_eq!(
        recorded.partitions[0].error.as_deref(),
        Some("read back 7 instead of 0")
    );
    assert!(recorded.partitions[1].verified());
}

#[tokio::test(flavor = "current_thread")]
async fn a_commit_that_failed_after_landing_is_read_back_and_never_reported_as_success() {
    let rig = rig();
    {
        let mut s = rig.kafka.state.lock().unwrap();
        s.commit_fails = Some(AppError::BrokerUnreachable {
            cluster: "c".into(),
            bootstrap: "fake:9092".into(),
            timeout_secs: 5,
        });
        s.commit_lands_anyway = true;
    }
    let err = rig
        .preview_and_execute(&spec(Strategy::ToEarliest))
        .await
        .unwrap_err();
    let (execution, reason) = failed(err);
    assert!(reason.contains("the commit was not confirmed"), "{reason}");
    // What landed is on record: the operator sees the offsets moved and may undo.
    let recorded = rig.store.execution(execution).await.unwrap().unwrap();
    assert_eq!(recorded.status, ExecutionStatus::Failed);
    assert!(recorded.partitions.iter().all(|p| p.after == Some(0)));
}

#[tokio::test(flavor = "current_thread")]
async fn a_group_another_execution_holds_is_refused() {
    let rig = rig();
    let plan = rig.plan().await;
    let held = rig
        .store
        .begin_execution(begun_by_another_process(&plan, "g", Vec::new()))
        .await
        .unwrap();
    assert!(matches!(held, Begin::Started { .. }));
    let err = rig
        .service
        .execute(spec(Strategy::ToEarliest), plan.fingerprint, None, actor())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::ExecutionInProgress { actor, .. } if actor == "ada"),
        "{err:?}"
    );
    assert!(!rig.kafka.calls().contains(&"commit".to_owned()));
}

#[tokio::test(flavor = "current_thread")]
async fn recovery_resolves_a_crashed_execution_from_what_kafka_has() {
    let rig = rig();
    let plan = rig.plan().await;
    let parts = |target: i64| {
        [(0, 50), (1, 60)]
            .map(|(p, before)| PartitionOutcome {
                topic: "t".into(),
                partition: p,
                before: Some(before),
                target: Some(target),
                after: None,
                error: None,
            })
            .to_vec()
    };
    let begin = |group: &str, partitions: Vec<PartitionOutcome>| {
        begun_by_another_process(&plan, group, partitions)
    };
    // One crashed after its commit landed, one before it was sent.
    let Begin::Started {
        id: landed,
        commit_metadata,
    } = rig
        .store
        .begin_execution(begin("g", parts(0)))
        .await
        .unwrap()
    else {
        panic!()
    };
    for p in 0..2 {
        rig.kafka.commit("g", p, 0, commit_metadata.clone());
    }
    rig.kafka.commit("g2", 0, 50, String::new());
    rig.kafka.commit("g2", 1, 60, String::new());
    let Begin::Started { id: not_sent, .. } = rig
        .store
        .begin_execution(begin("g2", parts(0)))
        .await
        .unwrap()
    else {
        panic!()
    };

    assert_eq!(rig.service.recover_pending().await, Ok(2));
    let landed = rig.store.execution(landed).await.unwrap().unwrap();
    assert_eq!(landed.status, ExecutionStatus::Succeeded);
    assert!(landed
        .message
        .unwrap_or_default()
        .contains("Kafka has this execution's commit"));
    let not_sent = rig.store.execution(not_sent).await.unwrap().unwrap();
    assert_eq!(not_sent.status, ExecutionStatus::Failed);
    assert!(not_sent
        .message
        .unwrap_or_default()
        .contains("never reached Kafka"));
    assert_eq!(
        rig.audit_results("resolve-pending").await.len(),
        2,
        "each resolution is audited"
    );
    // This process's own executions are never taken for crashed ones.
    assert_eq!(rig.service.recover_pending().await, Ok(0));
}

#[tokio::test(flavor = "current_thread")]
async fn a_by_duration_plan_previewed_long_ago_must_be_previewed_again() {
    let rig = rig();
    let spec = spec(Strategy::ByDuration {
        duration: "PT1H".into(),
    });
    let three_hours_ago = now_ms() - 3 * 3_600_000;
    let err = rig
        .service
        .execute(spec, "f".into(), Some(three_hours_ago), actor())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::InvalidInput { message } if message.contains("preview it again")),
        "{err:?}"
    );
    assert!(rig.kafka.calls().is_empty(), "refused before any read");
}
