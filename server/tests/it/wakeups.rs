//! The broker thread of a consumer assigned many partitions at once (the record reader's wide reads), counted
//! with librdkafka's own statistics on the real broker.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

use crate::support::{client_config, create_topic, unique};

const PARTITIONS: i32 = 1000;

/// The newest statistics and how many have come.
#[derive(Clone, Default)]
struct Latest(Arc<Mutex<(u64, Option<Value>)>>);

impl ClientContext for Latest {
    fn stats_raw(&self, statistics: &[u8]) {
        if let (Ok(v), Ok(mut latest)) = (serde_json::from_slice(statistics), self.0.lock()) {
            *latest = (latest.0 + 1, Some(v));
        }
    }
}

impl ConsumerContext for Latest {}

impl Latest {
    /// Statistics taken after this call, once `ready` holds for them. Statistics arrive as events the
    /// consumer's poll serves.
    fn next_where(
        &self,
        consumer: &BaseConsumer<Latest>,
        what: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        let seen = self.0.lock().unwrap().0;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let (n, Some(v)) = &*self.0.lock().unwrap() {
                if *n > seen + 1 && ready(v) {
                    return v.clone();
                }
            }
            if Instant::now() >= deadline {
                let last = self.0.lock().unwrap().1.clone().unwrap_or_default();
                panic!("never saw {what}; last statistics: {last}");
            }
            assert!(
                consumer.poll(Duration::from_millis(20)).is_none(),
                "the topic is empty"
            );
        }
    }
}

/// The broker that leads the partitions: passes of its serve loop (librdkafka's `wakeups`: every wake-up op
/// served ends one) and how many partitions it holds.
fn leader(stats: &Value) -> (u64, usize) {
    stats["brokers"]
        .as_object()
        .into_iter()
        .flat_map(|b| b.values())
        .filter(|b| b["nodeid"].as_i64().is_some_and(|id| id >= 0))
        .map(|b| {
            let held = b["toppars"].as_object().map_or(0, |t| t.len());
            (b["wakeups"].as_u64().unwrap_or(0), held)
        })
        .max_by_key(|&(_, held)| held)
        .unwrap_or((0, 0))
}

fn all_fetching(stats: &Value, topic: &str) -> bool {
    stats["topics"][topic]["partitions"]
        .as_object()
        .is_some_and(|parts| {
            let assigned = || parts.iter().filter(|(p, _)| p.as_str() != "-1");
            assigned().count() == PARTITIONS as usize
                && assigned().all(|(_, p)| p["fetch_state"] == "active")
        })
}

/// librdkafka 2.12.1 queued a wake-up op on a partition's broker for every partition whose fetch started while
/// that broker already held it, and the broker thread made a pass over all the partitions it holds for each
/// one. Assigning 10,000 partitions of one leader (a wide group's lag in time) cost 10^8 partition visits,
/// seconds of one core, and starved the PARTITION_JOIN ops queued behind the wake-ups: about one wide read in
/// five left a thousand partitions unread for its whole budget. The vendored librdkafka queues at most one
/// wake-up per broker (vendor/README.md, ninth patch). Assigning 1,000 held partitions now costs about ten
/// passes of the broker's loop; before, over 1,000.
#[tokio::test(flavor = "multi_thread")]
async fn assigning_partitions_a_broker_holds_wakes_it_a_handful_of_times() {
    let topic = unique("rw-wakeups");
    create_topic(&topic, PARTITIONS).await;
    let t = topic.clone();
    let (before, after) = tokio::task::spawn_blocking(move || {
        let latest = Latest::default();
        let consumer: BaseConsumer<Latest> = client_config()
            .set("group.id", unique("rw-wakeups"))
            .set("enable.auto.commit", "false")
            .set("statistics.interval.ms", "100")
            .create_with_context(latest.clone())
            .unwrap();
        let mut tpl = TopicPartitionList::with_capacity(PARTITIONS as usize);
        for p in 0..PARTITIONS {
            tpl.add_partition_offset(&t, p, Offset::Offset(0)).unwrap();
        }
        // The first assignment brings every partition to its leader's thread, where unassigning leaves it.
        consumer.assign(&tpl).unwrap();
        latest.next_where(&consumer, "every partition on its leader", |s| {
            leader(s).1 == PARTITIONS as usize && all_fetching(s, &t)
        });
        consumer.unassign().unwrap();
        let before = latest.next_where(&consumer, "the partitions stopped", |s| {
            s["topics"][&t]["partitions"]["0"]["fetch_state"] != "active"
        });
        consumer.assign(&tpl).unwrap();
        latest.next_where(&consumer, "every partition fetching again", |s| {
            all_fetching(s, &t)
        });
        // The wake-ups are served within milliseconds even unpatched; a few more statistics to be sure.
        latest.next_where(&consumer, "a few statistics more", |_| true);
        let after = latest.next_where(&consumer, "statistics after the assignment", |_| true);
        (leader(&before), leader(&after))
    })
    .await
    .unwrap();
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    admin
        .delete_topics(&[topic.as_str()], &AdminOptions::new())
        .await
        .unwrap();

    assert_eq!(
        after.1, PARTITIONS as usize,
        "the leader holds every partition"
    );
    let wakeups = after.0 - before.0;
    assert!(
        wakeups < u64::from(PARTITIONS.unsigned_abs()) / 10,
        "{wakeups} broker wake-ups for one assignment of {PARTITIONS} partitions"
    );
}
