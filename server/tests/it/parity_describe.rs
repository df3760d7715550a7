//! Parity with Kafka's own `kafka-consumer-groups --describe`: for groups in several states, the committed
//! offset, log-end offset, lag and owning member Rewind reports per partition equal what the reference tool
//! prints for the same group on the same broker at the same moment.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::{
    bootstrap, client_config, commit_offsets, create_topic, oracle, unique, LiveMember, TestServer,
    LOCAL,
};
use app::domain::groups::RecordTime;
use app::domain::{GroupDetail, GroupState};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// (committed, log end, lag, consumer id) per (topic, partition), as strings the way the tool prints them.
type Rows = BTreeMap<(String, i32), (String, String, String, String)>;

/// Runs `kafka-consumer-groups --describe --group G` and parses its rows.
pub(crate) async fn reference_describe(group: &str) -> Rows {
    let out = tokio::process::Command::new(oracle())
        .args([
            "--bootstrap-server",
            &bootstrap(),
            "--describe",
            "--group",
            group,
        ])
        .output()
        .await
        .expect("run kafka-consumer-groups");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kafka-consumer-groups failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows = Rows::new();
    for line in stdout.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
        if cols.len() < 9 || cols[0] != group {
            continue;
        }
        let partition: i32 = cols[2].parse().expect("partition number");
        rows.insert(
            (cols[1].to_owned(), partition),
            (
                cols[3].to_owned(),
                cols[4].to_owned(),
                cols[5].to_owned(),
                cols[6].to_owned(),
            ),
        );
    }
    rows
}

/// Rewind's rows as the tool prints them. Rewind also lists the partitions a group never committed on,
/// on the topics it committed on (issue 18, item 10); the tool prints none of those.
fn rewind_rows(d: &GroupDetail) -> Rows {
    let dash = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    d.partitions
        .iter()
        .filter(|p| p.committed.is_some() || p.member.is_some())
        .map(|p| {
            let member = p
                .member
                .and_then(|i| d.members.get(i))
                .map(|m| m.member_id.clone())
                .unwrap_or_else(|| "-".into());
            (
                (p.topic.clone(), p.partition),
                (dash(p.committed), dash(p.log_end), dash(p.lag()), member),
            )
        })
        .collect()
}

async fn describe(server: &TestServer, group: &str) -> GroupDetail {
    let (status, json) = server
        .call("groups/describe", &[("cluster", "local"), ("group", group)])
        .await;
    assert_eq!(status, 200, "groups/describe failed: {json}");
    serde_json::from_value(json).expect("GroupDetail")
}

fn produce(topic: &str, per_partition: &[i64]) {
    let producer: BaseProducer = client_config().create().expect("producer");
    for (p, n) in per_partition.iter().enumerate() {
        for i in 0..*n {
            let key = format!("k{i}");
            let partition = i32::try_from(p).expect("partition");
            producer
                .send(
                    BaseRecord::to(topic)
                        .partition(partition)
                        .key(&key)
                        .payload("v"),
                )
                .expect("enqueue");
        }
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_matches_kafka_consumer_groups() {
    let server = TestServer::start(LOCAL).await;
    let topic = unique("parity-topic");
    create_topic(&topic, 3).await;
    produce(&topic, &[30, 20, 0]);

    // Empty, with commits on two of three partitions (one of them at the log end).
    let empty = unique("parity-empty");
    commit_offsets(&empty, &topic, &[(0, 10), (1, 20)]);

    // Stable, with a live member that committed explicit offsets on all its partitions.
    let stable = unique("parity-stable");
    let member = LiveMember::join(&stable, &topic, "parity-member", 3, &[(0, 5), (1, 20)]);

    for (group, expect_state, expect_rows) in [
        (&empty, GroupState::Empty, 2),
        (&stable, GroupState::Stable, 3),
    ] {
        let mine = describe(&server, group).await;
        let theirs = reference_describe(group).await;
        assert_eq!(mine.state, expect_state, "{group}");
        assert_eq!(
            theirs.len(),
            expect_rows,
            "reference rows for {group}: {theirs:?}"
        );
        assert_eq!(
            rewind_rows(&mine),
            theirs,
            "Rewind and kafka-consumer-groups disagree on {group}"
        );
        // Every partition of the topic is listed, the never-committed one too (the tool omits it).
        let rows: Vec<(i32, Option<i64>)> = mine
            .partitions
            .iter()
            .map(|p| (p.partition, p.committed))
            .collect();
        if group == &empty {
            assert_eq!(
                rows,
                vec![(0, Some(10)), (1, Some(20)), (2, None)],
                "{group}"
            );
            let never = &mine.partitions[2];
            assert_eq!((never.log_end, never.lag()), (Some(0), None), "{never:?}");
        }
        // Log start is not printed by the tool; it is 0 here since nothing was deleted.
        assert!(
            mine.partitions.iter().all(|p| p.log_start == Some(0)),
            "{mine:?}"
        );
    }

    // Lag in time is read apart from the page data (a record per partition): the record at a committed
    // offset below the log end has a time; at the log end there is none.
    let mine = describe(&server, &empty).await;
    assert!(
        mine.partitions
            .iter()
            .all(|p| p.committed_timestamp.is_none()),
        "the page data reads no records"
    );
    let (status, body) = server
        .call(
            "groups/record-times",
            &[("cluster", "local"), ("group", &empty)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let times: Vec<RecordTime> = serde_json::from_value(body).expect("record times");
    let mine = mine.with_record_times(&times);
    let p0 = mine
        .partitions
        .iter()
        .find(|p| p.partition == 0)
        .expect("p0");
    let ts = p0
        .committed_timestamp
        .expect("timestamp of the record at offset 10");
    assert!(
        ts <= mine.read_at && mine.read_at - ts < 600_000,
        "{ts} vs {}",
        mine.read_at
    );
    let p1 = mine
        .partitions
        .iter()
        .find(|p| p.partition == 1)
        .expect("p1");
    assert_eq!(p1.time_lag_ms(mine.read_at), Some(0), "caught up");

    drop(member);
}

/// Issue 18, item 10: the list's lag in time is the time of each group's oldest unread record, also
/// where two groups read the same partition at different offsets; a caught-up group has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_lag_times_are_the_oldest_unread_record_of_each_group() {
    let server = TestServer::start(LOCAL).await;
    let topic = unique("lag-time-topic");
    create_topic(&topic, 2).await;
    let base = 1_700_000_000_000;
    crate::support::produce_timestamped(&topic, 0, 10, base, 1_000);
    crate::support::produce_timestamped(&topic, 1, 10, base + 500, 1_000);
    let (early, late, done) = (
        unique("time-lag-early"),
        unique("time-lag-late"),
        unique("time-lag-done"),
    );
    commit_offsets(&early, &topic, &[(0, 2), (1, 7)]);
    commit_offsets(&late, &topic, &[(0, 6), (1, 8)]);
    commit_offsets(&done, &topic, &[(0, 10), (1, 10)]);
    let (status, json) = server
        .call_json(
            "groups/lag-times",
            serde_json::json!({ "cluster": "local", "groups": [early, late, done] }),
        )
        .await;
    assert_eq!(status, 200, "{json}");
    let times: Vec<app::domain::groups::GroupLagTime> =
        serde_json::from_value(json).expect("GroupLagTime list");
    let got: Vec<(&str, Option<i64>, bool)> = times
        .iter()
        .map(|t| (t.group_id.as_str(), t.oldest_unread_ms, t.partial))
        .collect();
    assert_eq!(
        got,
        vec![
            (early.as_str(), Some(base + 2_000), false),
            (late.as_str(), Some(base + 6_000), false),
            (done.as_str(), None, false),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_lags_sum_committed_partitions_and_keep_the_order_asked() {
    let server = TestServer::start(LOCAL).await;
    let topic = unique("lag-topic");
    create_topic(&topic, 2).await;
    produce(&topic, &[10, 10]);
    let behind = unique("lag-behind");
    commit_offsets(&behind, &topic, &[(0, 4)]);
    let never = unique("lag-never");

    let (status, json) = server
        .call_json(
            "groups/lag",
            serde_json::json!({ "cluster": "local", "groups": [never, behind] }),
        )
        .await;
    assert_eq!(status, 200, "{json}");
    let lags: Vec<app::domain::GroupLag> = serde_json::from_value(json).expect("GroupLag list");
    assert_eq!(lags.len(), 2);
    assert_eq!(lags[0].group_id, never);
    assert_eq!(lags[0].committed_partitions, 0);
    assert!(lags[0].topics.is_empty());
    assert_eq!(lags[1].group_id, behind);
    // Only partition 0 is committed (at 4 of 10): partition 1, never committed, adds nothing.
    assert_eq!(lags[1].lag, Some(6));
    assert_eq!(lags[1].committed_partitions, 1);
    assert_eq!(lags[1].topics, vec![topic]);

    // A group named twice is read once and answered twice (one OffsetFetch carries both groups).
    let (status, json) = server
        .call_json(
            "groups/lag",
            serde_json::json!({ "cluster": "local", "groups": [behind, never, behind] }),
        )
        .await;
    assert_eq!(status, 200, "{json}");
    let lags: Vec<app::domain::GroupLag> = serde_json::from_value(json).expect("GroupLag list");
    let got: Vec<(&str, Option<i64>)> = lags.iter().map(|l| (l.group_id.as_str(), l.lag)).collect();
    assert_eq!(
        got,
        vec![
            (behind.as_str(), Some(6)),
            (never.as_str(), lags[1].lag),
            (behind.as_str(), Some(6))
        ]
    );
    assert_eq!(lags[1].committed_partitions, 0);

    let too_many: Vec<String> = (0..501).map(|i| format!("g{i}")).collect();
    let (status, json) = server
        .call_json(
            "groups/lag",
            serde_json::json!({ "cluster": "local", "groups": too_many }),
        )
        .await;
    assert_ne!(status, 200);
    assert_eq!(json["kind"], "invalid_input", "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sorting_by_lag_comes_from_an_index_built_in_the_background() {
    // Without the lag sampler, whose passes also refresh the index: this is the build a sort starts
    // (a pass begun before these groups existed would give an index without them).
    let server = TestServer::start(&format!("[lag_history]\nenabled = false\n{LOCAL}")).await;
    let topic = unique("sort-topic");
    create_topic(&topic, 1).await;
    produce(&topic, &[10]);
    let prefix = unique("sort-lag");
    // Lags 1, 7 and 4, created in an order that is neither by id nor by lag.
    for (suffix, committed) in [("a", 9), ("b", 3), ("c", 6)] {
        commit_offsets(&format!("{prefix}-{suffix}"), &topic, &[(0, committed)]);
    }
    let form = [
        ("cluster", "local"),
        ("search", prefix.as_str()),
        ("sort", "Lag"),
    ];

    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let (status, json) = server.call("groups/list", &form).await;
        assert_eq!(status, 200, "{json}");
        let page: app::domain::GroupPage = serde_json::from_value(json).expect("GroupPage");
        let info = page
            .lag_index
            .clone()
            .expect("lag index info when sorting by lag");
        if info.as_of.is_some() || Instant::now() > deadline {
            break page;
        }
        // No index yet: the page is in id order and says a build is under way.
        assert!(info.building.is_some(), "{info:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let order: Vec<String> = page.groups.iter().map(|g| g.group_id.clone()).collect();
    assert_eq!(
        order,
        [
            format!("{prefix}-b"),
            format!("{prefix}-c"),
            format!("{prefix}-a")
        ]
    );

    // Sorting by name never builds or mentions an index.
    let (_, json) = server
        .call(
            "groups/list",
            &[("cluster", "local"), ("search", prefix.as_str())],
        )
        .await;
    assert!(json["lag_index"].is_null(), "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_group_is_a_specific_error() {
    let server = TestServer::start(LOCAL).await;
    let group = unique("never-existed");
    let (status, json) = server
        .call(
            "groups/describe",
            &[("cluster", "local"), ("group", &group)],
        )
        .await;
    assert_ne!(status, 200);
    assert_eq!(json["kind"], "unknown_group", "{json}");
    assert_eq!(json["group"], group.as_str());
}
