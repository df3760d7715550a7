//! Lag for the groups list: a page's lag in records and in time on demand, and the lag index of
//! every group (rebuilt in the background when stale) that sorting by lag reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::groups::{group_lag, read_rounds, Committed, GroupLagTime};
use app::domain::GroupLag;
use app::error::AppResult;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;

use super::many_groups::{committed_of_groups, CommittedByGroup};
use super::records::record_timestamps;
use super::{retry_transient, timeout, tolerate_missing_leaders, ClusterClient, KafkaGateway};
use crate::kafka::native::{self, NativeError, OffsetSpec};
use crate::now_ms;

/// A cluster's lag index: the total lag of every group at one moment.
#[derive(Default)]
pub(super) struct LagIndex {
    pub(super) snapshot: Option<Arc<LagSnapshot>>,
    /// (groups done, groups in all) while a build runs.
    pub(super) building: Option<(u32, u32)>,
}

pub(super) struct LagSnapshot {
    /// When the build started (ms since the epoch): every lag in it is at least this fresh.
    pub(super) as_of_ms: i64,
    pub(super) taken: Instant,
    pub(super) lags: HashMap<String, i64>,
}

/// An index older than this is rebuilt when someone sorts by lag (and used meanwhile).
pub(super) const LAG_INDEX_TTL: Duration = Duration::from_secs(60);
/// Groups per batch while building the index: their committed offsets (200 per request), then one
/// ListOffsets for all their partitions.
pub(super) const LAG_INDEX_BATCH: usize = 500;

/// Record-read rounds for a page's lag in time: groups sharing a partition at different offsets need one
/// each; past this many the rest show no time rather than hold the page.
const LAG_TIME_ROUNDS: usize = 3;

/// Records a page's lag in time reads at most (a page of 50 groups of 100 partitions each).
const LAG_TIME_READS_MAX: usize = 5_000;

impl KafkaGateway {
    pub(super) async fn group_lags_impl(
        &self,
        cluster: &str,
        groups: Vec<String>,
    ) -> AppResult<Vec<GroupLag>> {
        let client = self.cluster(cluster)?;
        self.blocking(client, "group-lags", move |admin| lags_for(admin, groups))
            .await
    }

    /// How far behind in time `groups` are: their committed offsets and log bounds (batched as for
    /// their lag), then the record at each committed offset that has unread records after it, read in
    /// rounds where groups share a partition (at most `LAG_TIME_ROUNDS`, each within the record budget).
    pub(super) async fn group_lag_times_impl(
        &self,
        cluster: &str,
        groups: Vec<String>,
    ) -> AppResult<Vec<GroupLagTime>> {
        let client = self.cluster(cluster)?;
        let ids = groups.clone();
        let targets: Vec<Vec<(String, i32, i64)>> = self
            .blocking(client, "group-lag-times", move |admin| {
                let rk = native::handle(admin.inner())?;
                let (committed, partitions) = committed_partitions(admin, &ids)?;
                let (starts, ends) = (
                    log_bounds(rk, &partitions, OffsetSpec::Earliest)?,
                    log_bounds(rk, &partitions, OffsetSpec::Latest)?,
                );
                Ok(committed
                    .into_iter()
                    .map(|offsets| {
                        offsets
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(|c| {
                                let o = c.offset?;
                                let key = (c.topic, c.partition);
                                let unread = o >= *starts.get(&key)? && o < *ends.get(&key)?;
                                unread.then_some((key.0, key.1, o))
                            })
                            .collect()
                    })
                    .collect())
            })
            .await?;
        let mut wanted: Vec<(String, i32, i64)> = targets.iter().flatten().cloned().collect();
        // A page of very wide groups reads at most this many records; the rest show as partial.
        wanted.truncate(LAG_TIME_READS_MAX);
        let mut times: HashMap<(String, i32, i64), i64> = HashMap::new();
        for round in read_rounds(&wanted).into_iter().take(LAG_TIME_ROUNDS) {
            let offsets: HashMap<(String, i32), i64> = round
                .iter()
                .map(|(t, p, o)| ((t.clone(), *p), *o))
                .collect();
            for ((t, p), ts) in record_timestamps(&client.readers, round).await {
                if let Some(o) = offsets.get(&(t.clone(), p)) {
                    times.insert((t, p, *o), ts);
                }
            }
        }
        Ok(groups
            .into_iter()
            .zip(targets)
            .map(|(group_id, targets)| {
                let read: Vec<i64> = targets
                    .iter()
                    .filter_map(|k| times.get(k).copied())
                    .collect();
                GroupLagTime {
                    group_id,
                    oldest_unread_ms: read.iter().copied().min(),
                    partial: read.len() < targets.len(),
                }
            })
            .collect())
    }

    /// Starts building `client`'s lag index on the blocking pool unless a build is running.
    pub(super) fn start_lag_index_build(&self, client: &ClusterClient) {
        {
            let Ok(mut index) = client.lag_index.lock() else {
                return;
            };
            if index.building.is_some() {
                return;
            }
            index.building = Some((0, 0));
        }
        let admin = Arc::clone(&client.admin);
        let index = Arc::clone(&client.lag_index);
        let cluster = client.config.name.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let result = build_lag_index(&admin, &index);
            if let Ok(mut i) = index.lock() {
                i.building = None;
                match result {
                    Ok(snapshot) => {
                        tracing::info!(
                            %cluster,
                            groups = snapshot.lags.len(),
                            ms = started.elapsed().as_millis() as u64,
                            "lag index built"
                        );
                        i.snapshot = Some(Arc::new(snapshot));
                    }
                    Err(e) => tracing::warn!(%cluster, error = %e, "lag index build failed"),
                }
            }
        });
    }
}

/// Each group's committed offsets (many groups per request, by coordinator) and every partition any of
/// them committed on, sorted, for one ListOffsets over all of them.
pub(super) fn committed_partitions(
    admin: &AdminClient<DefaultClientContext>,
    groups: &[String],
) -> Result<(CommittedByGroup, Vec<(String, i32)>), NativeError> {
    let committed = committed_of_groups(admin, groups)?;
    let mut partitions: Vec<(String, i32)> = committed
        .iter()
        .flatten()
        .flatten()
        .map(|c| (c.topic.clone(), c.partition))
        .collect();
    partitions.sort();
    partitions.dedup();
    Ok((committed, partitions))
}

/// Each partition's log start or end (`spec`) in one ListOffsets; partitions without a leader are left out.
pub(super) fn log_bounds(
    rk: native::Handle<'_>,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
) -> Result<HashMap<(String, i32), i64>, NativeError> {
    Ok(
        tolerate_missing_leaders(native::list_offsets(rk, partitions, spec, timeout()))?
            .into_iter()
            .filter_map(|o| Some(((o.topic, o.partition), o.offset?)))
            .collect(),
    )
}

/// Total lag and topics of `groups`: their committed offsets (many groups per request) and one
/// ListOffsets for all their partitions.
fn lags_for(
    admin: &AdminClient<DefaultClientContext>,
    groups: Vec<String>,
) -> Result<Vec<GroupLag>, NativeError> {
    let rk = native::handle(admin.inner())?;
    let (committed, partitions) = committed_partitions(admin, &groups)?;
    let ends = log_bounds(rk, &partitions, OffsetSpec::Latest)?;
    Ok(groups
        .into_iter()
        .zip(committed)
        .map(|(group_id, offsets)| match offsets {
            Ok(offsets) => group_lag(group_id, &committed_rows(offsets), &ends),
            Err(e) => {
                tracing::warn!(group = %group_id, error = %e, "cannot read committed offsets");
                GroupLag {
                    group_id,
                    topics: Vec::new(),
                    committed_partitions: 0,
                    lag: None,
                }
            }
        })
        .collect())
}

/// A group's committed offsets as the domain's rules take them.
pub(super) fn committed_rows(offsets: Vec<native::CommittedOffset>) -> Vec<Committed> {
    offsets
        .into_iter()
        .map(|c| Committed {
            topic: c.topic,
            partition: c.partition,
            offset: c.offset,
            metadata: c.metadata,
        })
        .collect()
}

/// The lag of every group of the cluster, in batches, reporting progress into `index`.
fn build_lag_index(
    admin: &AdminClient<DefaultClientContext>,
    index: &Mutex<LagIndex>,
) -> Result<LagSnapshot, NativeError> {
    let as_of_ms = now_ms();
    let taken = Instant::now();
    let rk = native::handle(admin.inner())?;
    let listing = retry_transient(|| native::list_consumer_groups(rk, timeout()))?;
    let ids: Vec<String> = listing.groups.into_iter().map(|g| g.group_id).collect();
    let total = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let mut lags = HashMap::with_capacity(ids.len());
    let mut done = 0u32;
    for batch in ids.chunks(LAG_INDEX_BATCH) {
        for l in lags_for(admin, batch.to_vec())? {
            // A group without commits has no lag to sort by: it goes after every group that has one.
            if let (Some(lag), true) = (l.lag, l.committed_partitions > 0) {
                lags.insert(l.group_id, lag);
            }
        }
        done = done.saturating_add(u32::try_from(batch.len()).unwrap_or(u32::MAX));
        if let Ok(mut i) = index.lock() {
            i.building = Some((done, total));
        }
    }
    Ok(LagSnapshot {
        as_of_ms,
        taken,
        lags,
    })
}
