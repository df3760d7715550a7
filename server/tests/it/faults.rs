//! Fault tests with the real `rewind` binary as a child process: SIGKILL between backup and commit and
//! between commit and record (resolved on restart by reading Kafka), two executes racing on one group,
//! a broker stopped during execute (recorded as failed, backup kept, never reported as success), and broker
//! restarts with requests in flight (the server survives them).

use std::time::{Duration, Instant};

use crate::support::child::{call, workspace, Child};
use crate::support::{
    bootstrap, commit_offsets, committed_offsets, create_topic, produce_timestamped, unique,
};
use app::domain::execution::{
    ExecuteReport, Execution, ExecutionStatus, ExecutionSummary, Preview,
};
use app::domain::reset::{ResetSpec, Scope, Strategy, TopicScope};
use app::error::AppError;
use serde_json::{json, Value};

fn spec(group: &str, topic: &str, strategy: Strategy) -> ResetSpec {
    ResetSpec {
        cluster: "local".into(),
        groups: vec![group.into()],
        scope: Scope::Topics {
            topics: vec![TopicScope::parse(topic).expect("topic")],
        },
        strategy,
    }
}

async fn preview(child: &Child, s: &ResetSpec) -> Preview {
    let (status, body) = child.call("plans/preview", json!({ "spec": s })).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("preview")
}

fn execute_body(s: &ResetSpec, p: &Preview) -> Value {
    json!({ "spec": s, "fingerprint": p.plan.fingerprint, "at_ms": p.plan.at_ms })
}

/// Sends an execute whose answer never comes (the server is killed while it runs).
fn start_execute_and_forget(
    child: &Child,
    s: &ResetSpec,
    p: &Preview,
) -> tokio::task::JoinHandle<()> {
    let request = child
        .http
        .post(format!("{}/api/executions/execute", child.base))
        .json(&execute_body(s, p));
    tokio::spawn(async move {
        let _ = request.send().await;
    })
}

/// Waits until the group has a pending execution (its backup is durable) and returns it.
async fn wait_pending(child: &Child, group: &str) -> ExecutionSummary {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, list) = child
            .call(
                "executions/list",
                json!({ "cluster": "local", "group": group }),
            )
            .await;
        let list: Vec<ExecutionSummary> = serde_json::from_value(list).unwrap_or_default();
        if let Some(e) = list
            .into_iter()
            .find(|e| e.status == ExecutionStatus::Pending)
        {
            return e;
        }
        assert!(Instant::now() < deadline, "no pending execution appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_resolved(child: &Child, id: i64) -> Execution {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = child.call("executions/get", json!({ "id": id })).await;
        assert_eq!(status, 200, "{body}");
        let e: Execution = serde_json::from_value(body).expect("execution");
        if e.status != ExecutionStatus::Pending {
            return e;
        }
        assert!(Instant::now() < deadline, "execution {id} stayed pending");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn setup() -> (String, String) {
    let topic = unique("faults");
    create_topic(&topic, 2).await;
    produce_timestamped(&topic, 0, 40, 1_700_000_000_000, 1_000);
    produce_timestamped(&topic, 1, 40, 1_700_000_000_000, 1_000);
    let group = unique("faults-g");
    commit_offsets(&group, &topic, &[(0, 5), (1, 6)]);
    (topic, group)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(feature = "faults"), ignore = "pauses need the faults feature")]
async fn sigkill_between_backup_and_commit_is_resolved_as_not_committed() {
    let (topic, group) = setup().await;
    let data = std::env::temp_dir().join(unique("faults-data"));
    let child = Child::start(
        &data,
        &bootstrap(),
        &[("REWIND_FAULT_PAUSE_BEFORE_COMMIT_MS", "60000")],
    )
    .await;
    let s = spec(&group, &topic, Strategy::ToOffset { offset: 20 });
    let p = preview(&child, &s).await;
    let _hanging = start_execute_and_forget(&child, &s, &p);
    let pending = wait_pending(&child, &group).await;
    child.kill().await;
    assert_eq!(
        committed_offsets(&group, &topic, 2),
        [(0, 5), (1, 6)].into_iter().collect()
    );

    let child = Child::start(&data, &bootstrap(), &[]).await;
    let e = wait_resolved(&child, pending.id).await;
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    let msg = e.message.clone().unwrap_or_default();
    assert!(msg.contains("never reached Kafka"), "{msg}");
    // The backup survived the kill.
    assert_eq!(
        e.partitions.iter().map(|p| p.before).collect::<Vec<_>>(),
        vec![Some(5), Some(6)]
    );
    // The group's lock was released: a new execute runs.
    let p = preview(&child, &s).await;
    let (status, body) = child.call("executions/execute", execute_body(&s, &p)).await;
    assert_eq!(status, 200, "{body}");
    child.kill().await;
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(feature = "faults"), ignore = "pauses need the faults feature")]
async fn sigkill_between_commit_and_record_is_resolved_as_committed() {
    let (topic, group) = setup().await;
    let data = std::env::temp_dir().join(unique("faults-data"));
    let child = Child::start(
        &data,
        &bootstrap(),
        &[("REWIND_FAULT_PAUSE_AFTER_COMMIT_MS", "60000")],
    )
    .await;
    let s = spec(&group, &topic, Strategy::ToOffset { offset: 20 });
    let p = preview(&child, &s).await;
    let _hanging = start_execute_and_forget(&child, &s, &p);
    let pending = wait_pending(&child, &group).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while committed_offsets(&group, &topic, 2) != [(0, 20), (1, 20)].into_iter().collect() {
        assert!(Instant::now() < deadline, "the commit never landed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().await;

    let child = Child::start(&data, &bootstrap(), &[]).await;
    let e = wait_resolved(&child, pending.id).await;
    assert_eq!(e.status, ExecutionStatus::Succeeded, "{e:?}");
    assert!(
        e.message
            .clone()
            .unwrap_or_default()
            .contains("Kafka has this execution's commit"),
        "{e:?}"
    );
    assert!(e.partitions.iter().all(|p| p.after == Some(20)));
    child.kill().await;
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(feature = "faults"), ignore = "pauses need the faults feature")]
async fn two_executes_on_one_group_run_exactly_once() {
    let (topic, group) = setup().await;
    let data = std::env::temp_dir().join(unique("faults-data"));
    let child = Child::start(
        &data,
        &bootstrap(),
        &[("REWIND_FAULT_PAUSE_BEFORE_COMMIT_MS", "3000")],
    )
    .await;
    let s = spec(&group, &topic, Strategy::ShiftBy { shift: 10 });
    let p = preview(&child, &s).await;
    let body = execute_body(&s, &p);
    let (a, b) = tokio::join!(
        child.call("executions/execute", body.clone()),
        child.call("executions/execute", body.clone())
    );
    let (ok, refused): (Vec<_>, Vec<_>) = [a, b].into_iter().partition(|(s, _)| *s == 200);
    assert_eq!((ok.len(), refused.len()), (1, 1), "{ok:?} {refused:?}");
    let report: ExecuteReport = serde_json::from_value(ok[0].1.clone()).expect("report");
    assert_eq!(report.executions[0].status, ExecutionStatus::Succeeded);
    let refusal: AppError = serde_json::from_value(refused[0].1.clone()).expect("error");
    match &refusal {
        AppError::ExecutionInProgress { execution, .. } => {
            assert_eq!(*execution, report.executions[0].id)
        }
        other => panic!("expected ExecutionInProgress, got {other:?}"),
    }
    assert!(
        refusal.to_string().contains("nothing was done"),
        "{refusal}"
    );
    // Shifted once, not twice.
    assert_eq!(
        committed_offsets(&group, &topic, 2),
        [(0, 15), (1, 16)].into_iter().collect()
    );
    child.kill().await;
    let _ = std::fs::remove_dir_all(&data);
}

/// Runs `scripts/kafka.sh` for a private broker on `port`.
pub(crate) fn kafka_sh(port: u16, args: &[&str]) {
    let status = std::process::Command::new("bash")
        .arg(workspace().join("scripts/kafka.sh"))
        .args(args)
        .env("KAFKA_PORT", port.to_string())
        .status()
        .expect("kafka.sh");
    assert!(status.success(), "kafka.sh {args:?} failed");
}

/// A private broker, stopped when dropped, also when the test fails (a JVM of 1 GB must not outlive it).
/// The tests that have one run one at a time: two brokers at once on 2 cores make both flaky.
pub(crate) struct PrivateBroker {
    port: u16,
    _one_at_a_time: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(workspace().join("scripts/kafka.sh"))
            .arg("stop")
            .env("KAFKA_PORT", self.port.to_string())
            .status();
    }
}

/// A private broker on `port` (the tests that stop it must not stop the shared one), with a topic and a
/// group that committed offset 0 on it. Returns the broker, its bootstrap, the topic and the group.
pub(crate) async fn private_broker_with_group(
    port: u16,
    prefix: &str,
) -> (PrivateBroker, String, String, String) {
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let guard = ONE_AT_A_TIME.lock().await;
    kafka_sh(port, &["start", "--fresh"]);
    let broker = PrivateBroker {
        port,
        _one_at_a_time: guard,
    };
    let private = format!("127.0.0.1:{port}");
    let (topic, group) = (unique(prefix), unique(&format!("{prefix}-g")));
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &private)
        .create()
        .expect("admin");
    admin
        .create_topics(
            &[NewTopic::new(&topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create")
        .into_iter()
        .for_each(|r| {
            r.expect("topic");
        });
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &private)
        .set("group.id", &group)
        .create()
        .expect("consumer");
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, rdkafka::Offset::Offset(0))
        .expect("tpl");
    // The first commit on a fresh broker waits for __consumer_offsets to load.
    let deadline = Instant::now() + Duration::from_secs(60);
    while c.commit(&tpl, CommitMode::Sync).is_err() {
        assert!(
            Instant::now() < deadline,
            "cannot commit on the private broker"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    (broker, private, topic, group)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(feature = "faults"), ignore = "pauses need the faults feature")]
async fn broker_stopped_during_execute_is_recorded_as_failed_with_the_backup_kept() {
    let port = 29_392;
    let (_broker, private, topic, group) = private_broker_with_group(port, "faults-down").await;
    let data = std::env::temp_dir().join(unique("faults-data"));
    let child = Child::start(
        &data,
        &private,
        &[("REWIND_FAULT_PAUSE_BEFORE_COMMIT_MS", "2000")],
    )
    .await;
    let s = spec(&group, &topic, Strategy::ToLatest);
    let p = preview(&child, &s).await;
    let (http, base, body) = (child.http.clone(), child.base.clone(), execute_body(&s, &p));
    let running = tokio::spawn(async move { call(&http, &base, "executions/execute", body).await });
    let pending = wait_pending(&child, &group).await;
    kafka_sh(port, &["stop"]);
    let (status, body) = running.await.expect("execute answered");
    assert_ne!(
        status, 200,
        "a commit to a stopped broker must not succeed: {body}"
    );
    let error: AppError = serde_json::from_value(body).expect("error");
    assert!(
        matches!(error, AppError::ExecutionFailed { .. }),
        "{error:?}"
    );
    let (_, e) = child
        .call("executions/get", json!({ "id": pending.id }))
        .await;
    let e: Execution = serde_json::from_value(e).expect("execution");
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert!(e.message.is_some());
    assert_eq!(e.partitions[0].before, Some(0), "backup kept");
    child.kill().await;
    let _ = std::fs::remove_dir_all(&data);
}

/// librdkafka 2.12.1 aborted the process (`rd_kafka_enq_once_del_source_return: Assertion
/// eonce->refcnt > 0 failed`, confluentinc/librdkafka#4605) when a broker came back after coordinator
/// requests had timed out while it was down. vendor/README.md has the patch; this is its proof.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restarts_with_requests_in_flight_do_not_crash_the_server() {
    let port = 29_492;
    let (_broker, private, topic, group) = private_broker_with_group(port, "faults-restart").await;
    let data = std::env::temp_dir().join(unique("faults-restart-data"));
    let mut child = Child::start(&data, &private, &[]).await;
    let s = spec(&group, &topic, Strategy::ToEarliest);
    let describe = |http: reqwest::Client, base: String, group: String| async move {
        http.post(format!("{base}/api/groups/describe"))
            .form(&[("cluster", "local"), ("group", group.as_str())])
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    for cycle in 1..=10 {
        // Viewers keep asking while the broker goes away, long enough for their admin requests to time
        // out inside librdkafka, and while it comes back.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut load = Vec::new();
        for i in 0..4 {
            let (http, base, group, stop) = (
                child.http.clone(),
                child.base.clone(),
                group.clone(),
                stop.clone(),
            );
            let body = json!({ "spec": s });
            load.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if i % 2 == 0 {
                        describe(http.clone(), base.clone(), group.clone()).await;
                    } else {
                        // A request cut short (the server died) is for the check below to report.
                        let _ = http
                            .post(format!("{base}/api/plans/preview"))
                            .json(&body)
                            .send()
                            .await;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        kafka_sh(port, &["stop"]);
        tokio::time::sleep(Duration::from_secs(7)).await;
        kafka_sh(port, &["start"]);
        // Back up: answers again, from the same process.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(death) = child.death(&data) {
                panic!("the server died in cycle {cycle} when the broker came back: {death}");
            }
            if describe(child.http.clone(), child.base.clone(), group.clone()).await == 200 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no answer in cycle {cycle} after the broker came back"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        // Let requests that timed out during the outage meet the reconnected broker.
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for task in load {
            task.await.expect("load task");
        }
        if let Some(death) = child.death(&data) {
            panic!("the server died in cycle {cycle} after the broker came back: {death}");
        }
    }
    let p = preview(&child, &s).await;
    assert_eq!(p.plan.groups.len(), 1, "{p:?}");
    child.kill().await;
    let _ = std::fs::remove_dir_all(&data);
}
