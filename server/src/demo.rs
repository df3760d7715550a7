//! `rewind demo seed`: demo topics, records spread over the last 48 hours, and consumer groups in the
//! states an operator meets (Empty with commits, Stable with a live member, far behind, partly committed).
//!
//! Re-running is safe: existing topics are left as they are, and the Empty groups' commits are absolute
//! offsets inside the seeded range, so they mean the same thing on every run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::{ClusterConfig, Config};
use crate::kafka::client_config;
use crate::now_ms;

/// A demo topic and how many records each of its partitions gets.
pub struct DemoTopic {
    pub name: &'static str,
    pub partitions: i32,
    pub records_per_partition: i64,
}

pub const TOPICS: &[DemoTopic] = &[
    DemoTopic {
        name: "orders",
        partitions: 6,
        records_per_partition: 2400,
    },
    DemoTopic {
        name: "payments",
        partitions: 4,
        records_per_partition: 1500,
    },
    DemoTopic {
        name: "inventory-events",
        partitions: 3,
        records_per_partition: 800,
    },
];

/// The group that has a live member while `--live` runs.
pub const LIVE_GROUP: &str = "payments-processor";
const LIVE_TOPIC: &str = "payments";

/// Commits of one topic: which partitions, and the offset as a function of records per partition.
struct DemoCommit {
    topic: &'static str,
    partitions: &'static [i32],
    offset: fn(i64) -> i64,
}

/// An Empty group and the commits a stopped consumer left behind.
struct DemoGroup {
    id: &'static str,
    commits: &'static [DemoCommit],
}

const fn commit(
    topic: &'static str,
    partitions: &'static [i32],
    offset: fn(i64) -> i64,
) -> DemoCommit {
    DemoCommit {
        topic,
        partitions,
        offset,
    }
}

const GROUPS: &[DemoGroup] = &[
    // Nearly caught up, then stopped: the usual candidate for "replay the last hour".
    DemoGroup {
        id: "billing-archiver",
        commits: &[
            commit("orders", &[0, 1, 2, 3, 4, 5], |n| n - 10),
            commit("payments", &[0, 1, 2, 3], |n| n - 5),
        ],
    },
    // Far behind: about 5% through 48 hours of data.
    DemoGroup {
        id: "analytics-backfill",
        commits: &[
            commit("orders", &[0, 1, 2, 3, 4, 5], |n| n / 20),
            commit("payments", &[0, 1, 2, 3], |n| n / 20),
        ],
    },
    // Never committed partitions 2 and 3 of payments.
    DemoGroup {
        id: "fraud-detector",
        commits: &[commit("payments", &[0, 1], |n| n / 2)],
    },
    // Fully caught up.
    DemoGroup {
        id: "inventory-sync",
        commits: &[commit("inventory-events", &[0, 1, 2], |n| n)],
    },
];

const SPAN_MS: i64 = 48 * 3600 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("no cluster named '{0}' is configured")]
    UnknownCluster(String),
    #[error("{what}: {source}")]
    Kafka { what: String, source: KafkaError },
    #[error("{0}")]
    Other(String),
}

fn kafka(what: impl Into<String>) -> impl FnOnce(KafkaError) -> DemoError {
    let what = what.into();
    move |source| DemoError::Kafka { what, source }
}

pub async fn run(config: &Config, cluster: &str, live: bool) -> Result<(), DemoError> {
    let cluster = config
        .clusters
        .iter()
        .find(|c| c.name == cluster)
        .ok_or_else(|| DemoError::UnknownCluster(cluster.to_owned()))?
        .clone();
    let created = create_topics(&cluster).await?;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || {
        produce_history(&c, &created)?;
        commit_groups(&c)
    })
    .await
    .map_err(|e| DemoError::Other(format!("seeding task failed: {e}")))??;
    println!(
        "demo: seeded cluster '{}' at {}",
        cluster.name, cluster.bootstrap_servers
    );
    if live {
        run_live(cluster).await?;
    }
    Ok(())
}

/// Creates the demo topics that do not exist yet; returns the names it created.
async fn create_topics(cluster: &ClusterConfig) -> Result<Vec<&'static str>, DemoError> {
    let admin: AdminClient<DefaultClientContext> = client_config(cluster)
        .create()
        .map_err(kafka("creating an admin client"))?;
    let new: Vec<NewTopic> = TOPICS
        .iter()
        .map(|t| NewTopic::new(t.name, t.partitions, TopicReplication::Fixed(1)))
        .collect();
    let opts = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(15)))
        .request_timeout(Some(Duration::from_secs(15)));
    let results = admin
        .create_topics(&new, &opts)
        .await
        .map_err(kafka("CreateTopics"))?;
    let mut created = Vec::new();
    for (topic, result) in TOPICS.iter().zip(results) {
        match result {
            Ok(_) => {
                println!(
                    "demo: created topic {} ({} partitions)",
                    topic.name, topic.partitions
                );
                created.push(topic.name);
            }
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                println!("demo: topic {} exists, keeping its records", topic.name);
            }
            Err((name, code)) => {
                return Err(DemoError::Other(format!(
                    "cannot create topic {name}: {code}"
                )));
            }
        }
    }
    Ok(created)
}

fn producer(cluster: &ClusterConfig) -> Result<BaseProducer, DemoError> {
    client_config(cluster)
        .set("linger.ms", "20")
        .set("queue.buffering.max.messages", "200000")
        .create()
        .map_err(kafka("creating a producer"))
}

/// Writes the history of the freshly created topics: per partition, records with increasing
/// timestamps evenly spread over the last 48 hours, so time-based resets have something to find.
fn produce_history(cluster: &ClusterConfig, created: &[&str]) -> Result<(), DemoError> {
    if created.is_empty() {
        return Ok(());
    }
    let producer = producer(cluster)?;
    let start = now_ms() - SPAN_MS;
    let mut total = 0u64;
    for topic in TOPICS.iter().filter(|t| created.contains(&t.name)) {
        let n = topic.records_per_partition;
        for p in 0..topic.partitions {
            for i in 0..n {
                // Stagger partitions by a few seconds so their timelines differ slightly.
                let ts = start + i * SPAN_MS / n + i64::from(p) * 3_000;
                let key = format!("{}-{}", topic.name, i64::from(p) * n + i);
                let value = format!(
                    r#"{{"topic":"{}","seq":{},"amount_cents":{},"ts":{}}}"#,
                    topic.name,
                    i,
                    (i * 7919 + i64::from(p) * 104_729) % 100_000,
                    ts
                );
                send(
                    &producer,
                    BaseRecord::to(topic.name)
                        .partition(p)
                        .key(&key)
                        .payload(&value)
                        .timestamp(ts),
                )?;
                total += 1;
            }
        }
    }
    producer
        .flush(Duration::from_secs(60))
        .map_err(kafka("flushing demo records"))?;
    println!("demo: produced {total} records spread over the last 48 hours");
    Ok(())
}

/// Sends one record, waiting for room in librdkafka's queue when it is full.
fn send(
    producer: &BaseProducer,
    mut record: BaseRecord<'_, String, String>,
) -> Result<(), DemoError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                producer.poll(Duration::from_millis(50));
                record = r;
            }
            Err((e, _)) => return Err(kafka("producing a demo record")(e)),
        }
    }
}

/// Commits the Empty groups' offsets, as a stopped consumer would have left them.
fn commit_groups(cluster: &ClusterConfig) -> Result<(), DemoError> {
    for group in GROUPS {
        let consumer: BaseConsumer = client_config(cluster)
            .set("group.id", group.id)
            .set("enable.auto.commit", "false")
            .create()
            .map_err(kafka(format!("creating a consumer for {}", group.id)))?;
        let mut tpl = TopicPartitionList::new();
        for c in group.commits {
            let n = TOPICS
                .iter()
                .find(|t| t.name == c.topic)
                .map(|t| t.records_per_partition)
                .unwrap_or(0);
            for p in c.partitions {
                tpl.add_partition_offset(c.topic, *p, Offset::Offset((c.offset)(n)))
                    .map_err(kafka("building the commit"))?;
            }
        }
        consumer
            .commit(&tpl, CommitMode::Sync)
            .map_err(kafka(format!("committing offsets for group {}", group.id)))?;
        println!(
            "demo: group {} committed {} partitions",
            group.id,
            tpl.count()
        );
    }
    Ok(())
}

/// Keeps `payments-processor` Stable with one live member and adds a record a second to each topic,
/// until SIGINT or SIGTERM. On stop the member leaves, so the group becomes Empty.
async fn run_live(cluster: ClusterConfig) -> Result<(), DemoError> {
    let stop = Arc::new(AtomicBool::new(false));
    let consumer: BaseConsumer = client_config(&cluster)
        .set("group.id", LIVE_GROUP)
        .set("client.id", "payments-processor-demo")
        .set("enable.auto.commit", "true")
        .set("auto.offset.reset", "earliest")
        .create()
        .map_err(kafka("creating the live consumer"))?;
    consumer
        .subscribe(&[LIVE_TOPIC])
        .map_err(kafka("subscribing the live consumer"))?;
    let producer = producer(&cluster)?;

    let consumer_stop = Arc::clone(&stop);
    let consumer_thread = std::thread::spawn(move || {
        let mut announced = false;
        while !consumer_stop.load(Ordering::Relaxed) {
            // Errors here are transient (rebalance, broker restart); the member keeps polling.
            let _ = consumer.poll(Duration::from_millis(200));
            if !announced
                && consumer
                    .assignment()
                    .map(|a| a.count() > 0)
                    .unwrap_or(false)
            {
                println!("demo: {LIVE_GROUP} has a live member (Stable)");
                announced = true;
            }
        }
        // Dropping the consumer closes it, which commits and leaves the group cleanly.
        drop(consumer);
    });
    let producer_stop = Arc::clone(&stop);
    let producer_thread = std::thread::spawn(move || {
        let mut seq = 0i64;
        while !producer_stop.load(Ordering::Relaxed) {
            for t in TOPICS {
                let key = format!("live-{seq}");
                let value = format!(r#"{{"topic":"{}","live_seq":{seq}}}"#, t.name);
                let p = i32::try_from(seq % i64::from(t.partitions)).unwrap_or(0);
                let _ = producer.send(
                    BaseRecord::to(t.name)
                        .partition(p)
                        .key(&key)
                        .payload(&value),
                );
            }
            producer.poll(Duration::from_millis(0));
            seq += 1;
            std::thread::sleep(Duration::from_secs(1));
        }
        let _ = producer.flush(Duration::from_secs(5));
    });

    println!("demo: live member and producer running; stop with Ctrl-C or SIGTERM");
    wait_for_stop().await;
    stop.store(true, Ordering::Relaxed);
    let joined = tokio::task::spawn_blocking(move || {
        let a = consumer_thread.join().is_ok();
        let b = producer_thread.join().is_ok();
        a && b
    })
    .await
    .unwrap_or(false);
    if !joined {
        return Err(DemoError::Other("a live demo thread panicked".into()));
    }
    println!("demo: stopped");
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
