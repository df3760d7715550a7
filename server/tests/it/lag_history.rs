//! Lag history against the real broker: samples recorded while real consumers run, each status reached
//! by a consumer doing what the status describes, a reset's marker where the offsets moved back, the
//! CSV export and `/metrics`, and a gap (never a zero) while a broker is down.

use std::time::{Duration, Instant};

use app::domain::lag_history::{LagHistory, Sparkline, Status};
use app::domain::reset::Strategy;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use serde_json::json;

use crate::faults::{kafka_sh, private_broker_with_group};
use crate::resets::{execute, preview};
use crate::support::{
    client_config, commit_offsets, create_topic, produce_timestamped, spec, unique, Background,
    LiveMember, TestServer,
};
use app::domain::reset::Scope;

const EVERY_SECOND: &str = "[lag_history]\ninterval_secs = 1\n";
const SAMPLE_EVERY_SECOND: &str = "[lag_history]\ninterval_secs = 1\n[[clusters]]\nname = \"local\"\nbootstrap_servers = \"{bootstrap}\"\n";

fn now_ms() -> i64 {
    rewind_server::now_ms()
}

async fn history(server: &TestServer, cluster: &str, group: &str) -> LagHistory {
    let (status, body) = server
        .call(
            "groups/lag-history",
            &[("cluster", cluster), ("group", group), ("window", "1h")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("LagHistory")
}

async fn sparklines(server: &TestServer, groups: &[&str]) -> Vec<Sparkline> {
    let (status, body) = server
        .call_json(
            "groups/lag-sparklines",
            json!({ "cluster": "local", "groups": groups }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("sparklines")
}

/// Waits until every group has its expected status; fails naming the ones that never got it.
async fn wait_statuses(server: &TestServer, expected: &[(&str, Status)]) -> Vec<Sparkline> {
    let groups: Vec<&str> = expected.iter().map(|(g, _)| *g).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = sparklines(server, &groups).await;
        let wrong: Vec<String> = expected
            .iter()
            .zip(&got)
            .filter(|((_, want), s)| s.judgement.as_ref().map(|j| j.status) != Some(*want))
            .map(|((g, want), s)| format!("{g}: want {want:?}, got {:?}", s.judgement))
            .collect();
        if wrong.is_empty() {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "statuses never reached: {wrong:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Produces a record to `topic` every `every` until dropped.
fn steady_producer(topic: &str, every: Duration) -> Background {
    let topic = topic.to_owned();
    Background::spawn(move || {
        produce_timestamped(&topic, 0, 5, now_ms(), 1);
        std::thread::sleep(every);
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_status_is_reached_by_a_real_consumer_doing_what_it_describes() {
    let server = TestServer::start(SAMPLE_EVERY_SECOND).await;
    let name = |s: &str| unique(&format!("lh-{s}"));
    let (ok_t, warn_t, stall_t, stop_t) = (name("ok"), name("warn"), name("stall"), name("stop"));
    for t in [&ok_t, &warn_t, &stall_t, &stop_t] {
        create_topic(t, 1).await;
        produce_timestamped(t, 0, 20, now_ms(), 1);
    }
    let (ok_g, warn_g, stall_g, stop_g) = (
        name("ok-g"),
        name("warn-g"),
        name("stall-g"),
        name("stop-g"),
    );

    // OK: a consumer reading everything as it arrives, committing as it goes.
    let reader: BaseConsumer = client_config()
        .set("group.id", &ok_g)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "100")
        .create()
        .expect("consumer");
    reader.subscribe(&[&ok_t]).expect("subscribe");
    let _ok_consumer = Background::spawn(move || {
        let _ = reader.poll(Duration::from_millis(50));
    });
    // WARNING: a member committing, but slower than records arrive.
    let slow: BaseConsumer = client_config()
        .set("group.id", &warn_g)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    slow.subscribe(&[&warn_t]).expect("subscribe");
    let warn_topic = warn_t.clone();
    let mut at = 0i64;
    let _slow_consumer = Background::spawn(move || {
        let _ = slow.poll(Duration::from_millis(100));
        if slow.assignment().map(|a| a.count()).unwrap_or(0) == 1 {
            at += 1;
            let mut tpl = rdkafka::TopicPartitionList::new();
            let _ = tpl.add_partition_offset(&warn_topic, 0, rdkafka::Offset::Offset(at));
            let _ = slow.commit(&tpl, CommitMode::Sync);
        }
        std::thread::sleep(Duration::from_millis(200));
    });
    // STALLED: a member that committed once and is stuck there while records arrive.
    let _stuck = LiveMember::join(&stall_g, &stall_t, "lh-stuck", 1, &[(0, 5)]);
    // STOPPED: no consumer at all, records arriving past its last commit.
    commit_offsets(&stop_g, &stop_t, &[(0, 5)]);

    let _producers: Vec<Background> = [&ok_t, &warn_t, &stall_t, &stop_t]
        .into_iter()
        .map(|t| steady_producer(t, Duration::from_millis(150)))
        .collect();

    wait_statuses(
        &server,
        &[
            (&ok_g, Status::Ok),
            (&warn_g, Status::Warning),
            (&stall_g, Status::Stalled),
            (&stop_g, Status::Stopped),
        ],
    )
    .await;

    // The samples were recorded while the consumer ran: its committed total moved forward.
    let h = history(&server, "local", &ok_g).await;
    let committed: Vec<i64> = h.totals.iter().filter_map(|p| p.committed).collect();
    assert!(committed.len() >= 3, "{h:?}");
    assert!(committed.last() > committed.first(), "{committed:?}");
    assert_eq!(h.topics.len(), 1);
    assert_eq!(h.topics[0].topic, ok_t);
    // The stalled group's lag grew while its committed offset stayed put.
    let h = history(&server, "local", &stall_g).await;
    let lags: Vec<i64> = h.totals.iter().filter_map(|p| p.lag).collect();
    assert!(lags.last() > lags.first(), "{lags:?}");
    assert!(h.totals.iter().filter_map(|p| p.committed).all(|c| c == 5));
    assert!(h.totals.iter().any(|p| p.active));

    // /metrics carries the top groups by lag and the cluster total.
    let metrics = server
        .http
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("rewind_cluster_lag_records{cluster=\"local\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rewind_group_lag_records{cluster=\"local\""),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_is_marked_where_the_offsets_moved_back_and_the_group_is_rewound() {
    let server = TestServer::start(SAMPLE_EVERY_SECOND).await;
    let (topic, group) = (unique("lh-reset"), unique("lh-reset-g"));
    create_topic(&topic, 2).await;
    produce_timestamped(&topic, 0, 100, now_ms() - 60_000, 10);
    produce_timestamped(&topic, 1, 100, now_ms() - 60_000, 10);
    commit_offsets(&group, &topic, &[(0, 100), (1, 100)]);
    // Three samples at the end, then the reset.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = history(&server, "local", &group).await;
        if h.totals.iter().filter(|p| p.lag == Some(0)).count() >= 3 {
            break;
        }
        assert!(Instant::now() < deadline, "no samples of the group: {h:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let s = spec(&group, Scope::AllTopics, Strategy::ShiftBy { shift: -40 });
    let p = preview(&server, &s).await.expect("preview");
    let report = execute(&server, &s, &p).await.expect("execute");
    let id = report.executions[0].id;

    wait_statuses(&server, &[(&group, Status::Rewound)]).await;
    let h = history(&server, "local", &group).await;
    // The group page names the execution that rewound it.
    assert_eq!(
        h.judgement.as_ref().map(|j| (j.status, j.rewound_by)),
        Some((Status::Rewound, Some(id))),
        "{h:?}"
    );
    let marker = h
        .markers
        .iter()
        .find(|m| m.execution_id == id)
        .expect("marker");
    // The marker sits between the last sample at the old offsets and the first at the new ones.
    let before = h
        .totals
        .iter()
        .filter(|p| p.committed == Some(200))
        .map(|p| p.t_ms)
        .max()
        .expect("before");
    let after = h
        .totals
        .iter()
        .filter(|p| p.committed == Some(120))
        .map(|p| p.t_ms)
        .min()
        .expect("after");
    // A pass is stamped when it begins reading, so an execution that starts during a pass may land
    // in it: the marker is within one interval of the boundary.
    let slack = h.interval_ms;
    assert!(
        before < marker.t_ms + slack && marker.t_ms <= after + slack,
        "{before} < {} <= {after} (+{slack})",
        marker.t_ms
    );
    assert_eq!(h.totals.iter().rev().find_map(|p| p.lag), Some(80));

    // Replay progress: nothing re-read yet (no consumer), 80 to go.
    let (status, body) = server
        .call("executions/replay-progress", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["to_reread"], 80, "{body}");
    assert_eq!(body["reread"], 0, "{body}");
    // A consumer re-reads 30 of them: progress follows the samples.
    commit_offsets(&group, &topic, &[(0, 75), (1, 75)]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = server
            .call("executions/replay-progress", &[("id", &id.to_string())])
            .await;
        if body["reread"] == 30 {
            assert!(
                body["rate_per_s"].as_f64().is_some_and(|r| r > 0.0),
                "{body}"
            );
            assert!(body["eta_ms"].as_i64().is_some(), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "progress never followed: {body}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // The CSV has a row per pass with the topic, the lag and the committed total.
    let (status, body) = server
        .call(
            "groups/lag-history-csv",
            &[("cluster", "local"), ("group", &group), ("window", "1h")],
        )
        .await;
    assert_eq!(status, 200);
    let csv = body.as_str().expect("csv text");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("timestamp_utc,timestamp_ms,topic,lag_records,committed_total,lag_time_ms,active")
    );
    assert!(
        csv.lines()
            .any(|l| l.contains(&format!(",{topic},80,120,"))),
        "{csv}"
    );
    // A window that is not one of the chart's is refused by name.
    let (status, body) = server
        .call(
            "groups/lag-history",
            &[("cluster", "local"), ("group", &group), ("window", "2h")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string()
            .contains("window '2h' is not one of 1h, 6h, 24h, 7d"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_is_a_gap_in_the_history_not_a_zero() {
    let port = 29_592;
    let (_broker, private, topic, group) = private_broker_with_group(port, "lh-gap").await;
    let config = format!(
        "{EVERY_SECOND}[[clusters]]\nname = \"local\"\nbootstrap_servers = \"{}\"\n[[clusters]]\nname = \"down\"\nbootstrap_servers = \"{private}\"\n",
        crate::support::bootstrap()
    );
    let server = TestServer::start(&config).await;
    let readable = |h: &LagHistory| h.totals.iter().filter(|p| p.lag.is_some()).count();
    let deadline = Instant::now() + Duration::from_secs(60);
    while readable(&history(&server, "down", &group).await) < 2 {
        assert!(Instant::now() < deadline, "no samples before the outage");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    kafka_sh(port, &["stop"]);
    // Wait for failed passes (each waits out the request timeout).
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let h = history(&server, "down", &group).await;
        if h.totals.last().is_some_and(|p| p.lag.is_none()) {
            assert_eq!(
                h.judgement.as_ref().map(|j| j.status),
                Some(Status::Error),
                "{h:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no gap while the broker is down: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    kafka_sh(port, &["start"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let h = history(&server, "down", &group).await;
        let last_gap = h.totals.iter().rposition(|p| p.lag.is_none());
        let after = last_gap.map_or(0, |i| {
            h.totals[i + 1..].iter().filter(|p| p.lag.is_some()).count()
        });
        if last_gap.is_some() && after >= 1 {
            // Before, a gap, after: the gap holds no value, and the values either side are the group's.
            let gap = &h.totals[last_gap.unwrap_or(0)];
            assert_eq!((gap.lag, gap.committed), (None, None));
            assert!(
                h.totals.iter().filter_map(|p| p.committed).all(|c| c == 0),
                "{h:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no samples after the broker came back: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = topic;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_the_group_leaves_ends_its_series_and_is_no_rewind() {
    let server = TestServer::start(SAMPLE_EVERY_SECOND).await;
    let (kept, left, group) = (unique("lh-kept"), unique("lh-left"), unique("lh-left-g"));
    for t in [&kept, &left] {
        create_topic(t, 1).await;
        produce_timestamped(t, 0, 50, now_ms() - 60_000, 10);
    }
    commit_offsets(&group, &kept, &[(0, 50)]);
    commit_offsets(&group, &left, &[(0, 50)]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while history(&server, "local", &group)
        .await
        .totals
        .iter()
        .filter(|p| p.committed == Some(100))
        .count()
        < 3
    {
        assert!(Instant::now() < deadline, "no samples of both topics");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Rewind's delete-offsets on one topic: the committed total halves, yet nothing was rewound.
    let (status, body) = server
        .call_json(
            "executions/delete-offsets",
            json!({ "cluster": "local", "group": group, "topics": [{ "topic": left, "partitions": null }] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = history(&server, "local", &group).await;
        let left_series = h
            .topics
            .iter()
            .find(|s| s.topic == left)
            .expect("left topic");
        let after = h.totals.iter().filter(|p| p.committed == Some(50)).count();
        if after >= 3 {
            // The topic it left ends there (its old value is not carried on); the total goes on.
            let ended_at = left_series.points.last().map(|p| p.t_ms);
            assert!(ended_at < h.totals.last().map(|p| p.t_ms), "{h:?}");
            assert!(
                h.totals.iter().all(|p| p.lag.is_some()),
                "no gap in the total: {h:?}"
            );
            assert_ne!(
                h.judgement.as_ref().map(|j| j.status),
                Some(Status::Rewound),
                "{h:?}"
            );
            assert!(h.totals.iter().all(|p| !p.moved_back), "{h:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the group never sampled on one topic: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn history_of_partitions(server: &TestServer, group: &str, topic: &str) -> LagHistory {
    let (status, body) = server
        .call(
            "groups/lag-history",
            &[
                ("cluster", "local"),
                ("group", group),
                ("window", "1h"),
                ("partitions_of", topic),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("LagHistory")
}

/// Each drawn partition's lag at its last sample.
fn last_lags(h: &LagHistory) -> Vec<(i32, Option<i64>)> {
    h.partitions
        .as_ref()
        .map(|p| {
            p.series
                .iter()
                .map(|s| {
                    let partition = s.topic.parse().expect("series named by partition");
                    (partition, s.points.iter().rev().find_map(|p| p.lag))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_and_watched_groups_are_sampled_per_partition_as_the_reference_tool_reads_them() {
    let server = TestServer::start(SAMPLE_EVERY_SECOND).await;
    let topic = unique("lh-parts");
    create_topic(&topic, 3).await;
    for (partition, count) in [(0, 10), (1, 6), (2, 4)] {
        produce_timestamped(&topic, partition, count, now_ms(), 1);
    }
    let (pinned, watched) = (unique("lh-pinned"), unique("lh-watched"));
    commit_offsets(&pinned, &topic, &[(0, 2), (1, 6), (2, 1)]);
    commit_offsets(&watched, &topic, &[(0, 9)]);

    // Pinning: an operator's decision, audited; nobody has to be looking for it to be sampled.
    let (status, body) = server
        .call(
            "groups/lag-pin",
            &[("cluster", "local"), ("group", &pinned), ("pinned", "true")],
        )
        .await;
    assert_eq!((status, body.clone()), (200, json!(true)), "{body}");
    let (status, audit) = server
        .call_json(
            "audit/list",
            json!({ "filter": { "action": "pin", "group": pinned } }),
        )
        .await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit[0]["result"], "succeeded", "{audit}");

    // A pin holds one of the cluster's few places: a group Kafka does not have gets none.
    let (status, body) = server
        .call(
            "groups/lag-pin",
            &[
                ("cluster", "local"),
                ("group", &unique("lh-nobody")),
                ("pinned", "true"),
            ],
        )
        .await;
    assert_eq!(status, 404, "{body}");

    // The per-partition lag, once sampled, is what the reference tool prints for the same group.
    let deadline = Instant::now() + Duration::from_secs(30);
    let h = loop {
        let h = history_of_partitions(&server, &pinned, &topic).await;
        if last_lags(&h).len() == 3 {
            break h;
        }
        assert!(
            Instant::now() < deadline,
            "never sampled per partition: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(h.pinned);
    assert_eq!(h.partition_topics, vec![topic.clone()]);
    assert_eq!(h.partitions.as_ref().map(|p| p.of), Some(3));
    let reference = crate::parity_describe::reference_describe(&pinned).await;
    let expected: Vec<(i32, Option<i64>)> = reference
        .iter()
        .map(|((_, partition), (_, _, lag, _))| (*partition, lag.parse().ok()))
        .collect();
    assert_eq!(last_lags(&h), expected, "reference: {reference:?}");
    assert_eq!(expected, [(0, Some(8)), (1, Some(0)), (2, Some(3))]);

    // A group nobody pinned is sampled per partition only once someone looks at it.
    let first = history_of_partitions(&server, &watched, &topic).await;
    assert!(first.partitions.is_none(), "{first:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = history_of_partitions(&server, &watched, &topic).await;
        if last_lags(&h) == [(0, Some(1))] {
            assert!(!h.pinned);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never sampled while watched: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Unpinned, it is no longer pinned (its lines continue only while someone watches it).
    let (status, body) = server
        .call(
            "groups/lag-pin",
            &[
                ("cluster", "local"),
                ("group", &pinned),
                ("pinned", "false"),
            ],
        )
        .await;
    assert_eq!((status, body.clone()), (200, json!(false)), "{body}");
    assert!(!history(&server, "local", &pinned).await.pinned);
}
