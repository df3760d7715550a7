//! One lag-sampling pass over every group of a cluster, with the lag index's batched reads (committed
//! offsets many groups per request, one ListOffsets per batch); the pass also refreshes the lag index, so sampling
//! and sorting by lag never read the same offsets twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use app::domain::GroupState;
use app::error::AppResult;

use super::lag_index::{committed_partitions, log_bounds, LagSnapshot, LAG_INDEX_BATCH};
use super::{retry_transient, timeout, KafkaGateway};
use crate::kafka::native::{self, OffsetSpec};
use crate::now_ms;

/// What a pass saw of one topic of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSample {
    pub topic: String,
    pub lag: i64,
    pub committed: i64,
}

/// What a pass saw of one group; `topics` None: its committed offsets could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSample {
    pub group: String,
    /// It had members (Stable or rebalancing).
    pub active: bool,
    pub topics: Option<Vec<TopicSample>>,
}

/// One partition of a group sampled per partition; `lag` None where the log end is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSample {
    pub topic: String,
    pub partition: i32,
    pub committed: i64,
    pub lag: Option<i64>,
}

/// Every group of a cluster at one moment.
#[derive(Debug, Clone, Default)]
pub struct ClusterSample {
    pub t_ms: i64,
    pub groups: Vec<GroupSample>,
    /// Per partition, for the groups asked for in detail whose offsets were readable.
    pub partitions: HashMap<String, Vec<PartitionSample>>,
}

impl KafkaGateway {
    /// Reads every group's lag per topic, in batches, and refreshes the lag index with the totals;
    /// per partition too for the groups in `detail` (the same reads: nothing more is asked of Kafka).
    pub async fn sample_lag(
        &self,
        cluster: &str,
        detail: HashSet<String>,
    ) -> AppResult<ClusterSample> {
        let client = self.cluster(cluster)?;
        let index = Arc::clone(&client.lag_index);
        let sample = self
            .blocking(client, "lag-sample", move |admin| {
                let t_ms = now_ms();
                let rk = native::handle(admin.inner())?;
                let listing = retry_transient(|| {
                    let listing = native::list_consumer_groups(rk, timeout())?;
                    // No broker answered at all: a gap, not a cluster without groups.
                    match listing.errors.first() {
                        Some(e) if listing.groups.is_empty() => Err(e.clone()),
                        _ => Ok(listing),
                    }
                })?;
                let mut groups = Vec::with_capacity(listing.groups.len());
                let mut detailed = HashMap::new();
                for batch in listing.groups.chunks(LAG_INDEX_BATCH) {
                    let ids: Vec<String> = batch.iter().map(|g| g.group_id.clone()).collect();
                    let (committed, partitions) = committed_partitions(admin, &ids)?;
                    let ends = log_bounds(rk, &partitions, OffsetSpec::Latest)?;
                    for (listed, offsets) in batch.iter().zip(committed) {
                        let active = !matches!(
                            GroupState::parse(listed.state),
                            GroupState::Empty | GroupState::Dead | GroupState::Unknown
                        );
                        let topics = match offsets {
                            Ok(offsets) => {
                                if detail.contains(&listed.group_id) {
                                    detailed.insert(
                                        listed.group_id.clone(),
                                        per_partition(&offsets, &ends),
                                    );
                                }
                                Some(per_topic(&offsets, &ends))
                            }
                            Err(e) => {
                                tracing::debug!(group = %listed.group_id, error = %e, "sample: offsets unreadable");
                                None
                            }
                        };
                        groups.push(GroupSample {
                            group: listed.group_id.clone(),
                            active,
                            topics,
                        });
                    }
                }
                Ok(ClusterSample {
                    t_ms,
                    groups,
                    partitions: detailed,
                })
            })
            .await?;
        let lags = sample
            .groups
            .iter()
            .filter_map(|g| {
                let topics = g.topics.as_ref().filter(|t| !t.is_empty())?;
                Some((g.group.clone(), topics.iter().map(|t| t.lag).sum()))
            })
            .collect();
        if let Ok(mut i) = index.lock() {
            i.snapshot = Some(Arc::new(LagSnapshot {
                as_of_ms: sample.t_ms,
                taken: Instant::now(),
                lags,
            }));
        }
        Ok(sample)
    }
}

/// Lag and committed total per topic, over the partitions with a committed offset and a known end
/// (the list's own rule, `group_lag`).
fn per_topic(
    offsets: &[native::CommittedOffset],
    ends: &HashMap<(String, i32), i64>,
) -> Vec<TopicSample> {
    let mut by_topic: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for c in offsets {
        let Some(o) = c.offset else { continue };
        let entry = by_topic.entry(c.topic.as_str()).or_default();
        entry.1 += o;
        if let Some(end) = ends.get(&(c.topic.clone(), c.partition)) {
            entry.0 += end - o;
        }
    }
    by_topic
        .into_iter()
        .map(|(topic, (lag, committed))| TopicSample {
            topic: topic.to_owned(),
            lag,
            committed,
        })
        .collect()
}

/// Each partition with a committed offset, with its lag where the end is known.
fn per_partition(
    offsets: &[native::CommittedOffset],
    ends: &HashMap<(String, i32), i64>,
) -> Vec<PartitionSample> {
    offsets
        .iter()
        .filter_map(|c| {
            let committed = c.offset?;
            Some(PartitionSample {
                topic: c.topic.clone(),
                partition: c.partition,
                committed,
                lag: ends
                    .get(&(c.topic.clone(), c.partition))
                    .map(|end| end - committed),
            })
        })
        .collect()
}
