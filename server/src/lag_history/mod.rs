//! The lag sampler: one batched pass per cluster per interval (never per viewer), change-only writes
//! to the store, retention, and the reads the console makes of it (charts, sparklines, statuses,
//! replay progress, CSV, `/metrics`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use app::api::ports::KafkaReader;
use app::domain::lag_history::{self as lh, Point, TopicValue};

use crate::config::LagHistoryConfig;
use crate::kafka::{ClusterSample, KafkaGateway};
use crate::now_ms;
use crate::store::{PartitionRow, SampleRow, Store};

mod reads;

/// A group stays watched (its lag in time sampled) this long after someone last looked at it.
const WATCH_FOR: Duration = Duration::from_secs(15 * 60);
/// Watched groups whose lag in time one pass reads, at most (a record per lagging partition each).
const WATCHED_MAX: usize = 20;
/// Groups pinned per cluster at most: each is sampled per partition on every pass.
pub(crate) const PINS_MAX: usize = 100;
/// Views remembered at most (expired ones are dropped first when full).
const WATCHED_KEPT: usize = 10_000;
/// Points a chart series is drawn with, at most.
const CHART_POINTS: usize = 720;
/// Points of a list sparkline.
const SPARK_POINTS: usize = 30;
/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The watched groups whose record times a pass read, and the age of the oldest unread record per
/// (group, topic) among them.
type Watched = (HashSet<String>, HashMap<(String, String), i64>);

/// A group's partitions as last written: (topic, partition) to (lag, committed).
type PartitionValues = HashMap<(String, i32), (Option<i64>, i64)>;

/// What the last passes of a cluster left in memory: enough to judge and sort every group without
/// reading the store (the newest `STATUS_SAMPLES` totals per group) and to write only changes.
#[derive(Default)]
struct ClusterMemory {
    recent: HashMap<String, VecDeque<Point>>,
    /// Per group, per topic: the value last written (what the store carries until the next change).
    written: HashMap<String, HashMap<String, TopicValue>>,
    /// Per group sampled per partition: (topic, partition) to the (lag, committed) last written.
    partitions_written: HashMap<String, PartitionValues>,
    latest_lag: HashMap<String, i64>,
}

pub struct LagHistoryService {
    gateway: Arc<KafkaGateway>,
    store: Arc<dyn Store>,
    config: LagHistoryConfig,
    watched: Mutex<HashMap<(String, String), Instant>>,
    memory: RwLock<HashMap<String, ClusterMemory>>,
}

impl LagHistoryService {
    pub fn new(
        gateway: Arc<KafkaGateway>,
        store: Arc<dyn Store>,
        config: LagHistoryConfig,
    ) -> Self {
        Self {
            gateway,
            store,
            config,
            watched: Mutex::new(HashMap::new()),
            memory: RwLock::new(HashMap::new()),
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.config.interval_secs.max(1))
    }

    /// Starts one sampling task per cluster (and retention), unless sampling is off.
    pub fn spawn(self: &Arc<Self>) {
        if !self.config.enabled {
            return;
        }
        for cluster in self.gateway.cluster_names() {
            let me = Arc::clone(self);
            tokio::spawn(async move {
                // Nothing was sampled while Rewind was not running: a gap, so no value stored before
                // a restart carries across the time it was down.
                if let Err(e) = me
                    .store
                    .record_pass(cluster.clone(), now_ms(), false, Vec::new(), Vec::new())
                    .await
                {
                    tracing::warn!(%cluster, error = %e, "cannot store the start-up gap");
                }
                let mut tick = tokio::time::interval(me.interval());
                // A pass slower than the interval delays the next one; passes never pile up.
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    me.pass(&cluster).await;
                }
            });
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRUNE_EVERY);
            loop {
                tick.tick().await;
                let keep = Duration::from_secs(me.config.retention_days * 86_400);
                let cut = now_ms() - i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
                match me.store.prune_lag(cut).await {
                    Ok(n) => tracing::debug!(rows = n, "lag history pruned"),
                    Err(e) => tracing::warn!(error = %e, "cannot prune lag history"),
                }
            }
        });
    }

    /// One pass: read every group, write what changed (or a gap), remember the newest totals.
    pub async fn pass(&self, cluster: &str) {
        let started = Instant::now();
        let detail = self.detailed_groups(cluster).await;
        match self.gateway.sample_lag(cluster, detail).await {
            Ok(sample) => {
                let times = self.watched_times(cluster, &sample).await;
                let rows = self.remember(cluster, &sample, &times);
                let partitions = self.remember_partitions(cluster, &sample);
                let n = rows.len() + partitions.len();
                if let Err(e) = self
                    .store
                    .record_pass(cluster.to_owned(), sample.t_ms, true, rows, partitions)
                    .await
                {
                    tracing::warn!(%cluster, error = %e, "cannot store a lag sample");
                    // What was not stored must be written again at the next pass.
                    self.forget_written(cluster);
                }
                tracing::debug!(%cluster, groups = sample.groups.len(), written = n,
                    ms = started.elapsed().as_millis() as u64, "lag sampled");
                crate::metrics::get()
                    .lag_sample_seconds
                    .with_label_values(&[cluster])
                    .observe(started.elapsed().as_secs_f64());
            }
            Err(e) => {
                tracing::info!(%cluster, error = %e, "lag sample failed: a gap in the history");
                let t_ms = now_ms();
                self.gap(cluster, t_ms);
                if let Err(e) = self
                    .store
                    .record_pass(cluster.to_owned(), t_ms, false, Vec::new(), Vec::new())
                    .await
                {
                    tracing::warn!(%cluster, error = %e, "cannot store a lag gap");
                }
            }
        }
    }

    /// The `WATCHED_MAX` most recently viewed groups of `cluster` that `exists` (a name nobody has
    /// cannot crowd out real ones).
    fn recently_watched(&self, cluster: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
        let Ok(mut w) = self.watched.lock() else {
            return Vec::new();
        };
        w.retain(|_, at| at.elapsed() < WATCH_FOR);
        let mut mine: Vec<(&String, &Instant)> = w
            .iter()
            .filter(|((c, g), _)| c == cluster && exists(g))
            .map(|((_, g), at)| (g, at))
            .collect();
        mine.sort_by(|a, b| b.1.cmp(a.1));
        mine.into_iter()
            .take(WATCHED_MAX)
            .map(|(g, _)| g.clone())
            .collect()
    }

    /// The groups a pass samples per partition: the pinned ones and the recently watched ones that
    /// the last pass saw (before the first pass, any).
    async fn detailed_groups(&self, cluster: &str) -> HashSet<String> {
        let mut out: HashSet<String> = match self.store.pins(cluster.to_owned()).await {
            Ok(pins) => pins.into_iter().collect(),
            Err(e) => {
                tracing::warn!(%cluster, error = %e, "cannot read the pinned groups");
                HashSet::new()
            }
        };
        let known: Option<HashSet<String>> = self.memory.read().ok().and_then(|m| {
            m.get(cluster)
                .filter(|m| !m.written.is_empty())
                .map(|m| m.written.keys().cloned().collect())
        });
        out.extend(
            self.recently_watched(cluster, |g| known.as_ref().is_none_or(|k| k.contains(g))),
        );
        out
    }

    /// Age of the oldest unread record per topic, for the groups someone watches (a record read per
    /// lagging partition each, so never for every group).
    async fn watched_times(&self, cluster: &str, sample: &ClusterSample) -> Watched {
        let listed: HashSet<&str> = sample.groups.iter().map(|g| g.group.as_str()).collect();
        let groups = self.recently_watched(cluster, |g| listed.contains(g));
        let mut out = HashMap::new();
        let mut read = HashSet::new();
        for g in groups {
            let Ok(times) = self.gateway.record_times(cluster, &g).await else {
                continue;
            };
            for t in times {
                let age = (sample.t_ms - t.timestamp).max(0);
                let e = out.entry((g.clone(), t.topic)).or_insert(age);
                *e = (*e).max(age);
            }
            read.insert(g);
        }
        (read, out)
    }

    /// Updates the cluster's memory from a pass and returns the rows that changed since last written.
    fn remember(
        &self,
        cluster: &str,
        sample: &ClusterSample,
        (watched, times): &Watched,
    ) -> Vec<SampleRow> {
        let Ok(mut memory) = self.memory.write() else {
            return Vec::new();
        };
        let m = memory.entry(cluster.to_owned()).or_default();
        let mut rows = Vec::new();
        let mut seen = HashSet::with_capacity(sample.groups.len());
        let gap = |v: &TopicValue| TopicValue {
            lag: None,
            time_lag_ms: None,
            ..*v
        };
        for g in &sample.groups {
            seen.insert(g.group.as_str());
            let before = m.written.remove(&g.group).unwrap_or_default();
            let mut now: HashMap<String, TopicValue> = HashMap::new();
            let mut moved_back = false;
            match &g.topics {
                Some(topics) => {
                    for t in topics {
                        // A watched group caught up on a topic has nothing unread there: no age.
                        let time_lag_ms = times
                            .get(&(g.group.clone(), t.topic.clone()))
                            .copied()
                            .or((t.lag == 0 && watched.contains(&g.group)).then_some(0));
                        let v = TopicValue {
                            lag: Some(t.lag),
                            committed: t.committed,
                            time_lag_ms,
                            active: g.active,
                            ended: false,
                        };
                        // Per topic, so a topic the group left is no rewind of the rest.
                        moved_back |= before
                            .get(&t.topic)
                            .is_some_and(|b| b.lag.is_some() && t.committed < b.committed);
                        now.insert(t.topic.clone(), v);
                    }
                    // Topics it no longer has offsets on end there, never carried values.
                    for (topic, v) in &before {
                        if !now.contains_key(topic) {
                            rows.push(SampleRow {
                                group: g.group.clone(),
                                topic: topic.clone(),
                                value: TopicValue {
                                    ended: true,
                                    ..gap(v)
                                },
                            });
                        }
                    }
                }
                // Unreadable: each topic it had becomes a gap of its own.
                None => {
                    for (topic, v) in &before {
                        now.insert(topic.clone(), gap(v));
                    }
                }
            }
            if g.topics.as_ref().is_some_and(|t| t.is_empty()) {
                // Listed, but no committed offsets (left): nothing to draw or judge any more.
                m.recent.remove(&g.group);
                m.latest_lag.remove(&g.group);
                continue;
            }
            let point = Point {
                t_ms: sample.t_ms,
                lag: g.topics.as_ref().map(|t| t.iter().map(|t| t.lag).sum()),
                committed: g
                    .topics
                    .as_ref()
                    .map(|t| t.iter().map(|t| t.committed).sum()),
                time_lag_ms: now.values().filter_map(|v| v.time_lag_ms).max(),
                active: g.active,
                moved_back,
            };
            let recent = m.recent.entry(g.group.clone()).or_default();
            recent.push_back(point);
            while recent.len() > lh::STATUS_SAMPLES {
                recent.pop_front();
            }
            match point.lag {
                Some(lag) => m.latest_lag.insert(g.group.clone(), lag),
                None => m.latest_lag.remove(&g.group),
            };
            for (topic, v) in &now {
                if before.get(topic) != Some(v) {
                    rows.push(SampleRow {
                        group: g.group.clone(),
                        topic: topic.clone(),
                        value: *v,
                    });
                }
            }
            m.written.insert(g.group.clone(), now);
        }
        // A group this pass did not see (deleted, or its coordinator did not answer the listing) is
        // a gap from here on, not its last value carried forward: one row with no lag says so.
        for (group, topics) in &m.written {
            if !seen.contains(group.as_str()) {
                for (topic, v) in topics {
                    if v.lag.is_some() {
                        rows.push(SampleRow {
                            group: group.clone(),
                            topic: topic.clone(),
                            value: gap(v),
                        });
                    }
                }
            }
        }
        // Deleted groups leave the memory (their stored history stays until retention).
        m.recent.retain(|g, _| seen.contains(g.as_str()));
        m.latest_lag.retain(|g, _| seen.contains(g.as_str()));
        m.written.retain(|g, _| seen.contains(g.as_str()));
        rows
    }

    /// Updates the per-partition memory from a pass and returns the rows that changed. A partition no
    /// longer sampled (the group is no longer watched, unreadable, gone, or left the partition) ends
    /// its line, so no value carries over a time it was not read.
    fn remember_partitions(&self, cluster: &str, sample: &ClusterSample) -> Vec<PartitionRow> {
        let Ok(mut memory) = self.memory.write() else {
            return Vec::new();
        };
        let m = memory.entry(cluster.to_owned()).or_default();
        let ended =
            |group: &str, (topic, partition): &(String, i32), committed: i64| PartitionRow {
                group: group.to_owned(),
                topic: topic.clone(),
                partition: *partition,
                lag: None,
                committed,
                ended: true,
            };
        let mut rows = Vec::new();
        for (group, parts) in &sample.partitions {
            let before = m.partitions_written.remove(group).unwrap_or_default();
            let mut now = HashMap::with_capacity(parts.len());
            for p in parts {
                let key = (p.topic.clone(), p.partition);
                let value = (p.lag, p.committed);
                if before.get(&key) != Some(&value) {
                    rows.push(PartitionRow {
                        group: group.clone(),
                        topic: p.topic.clone(),
                        partition: p.partition,
                        lag: p.lag,
                        committed: p.committed,
                        ended: false,
                    });
                }
                now.insert(key, value);
            }
            for (key, (_, committed)) in &before {
                if !now.contains_key(key) {
                    rows.push(ended(group, key, *committed));
                }
            }
            m.partitions_written.insert(group.clone(), now);
        }
        let stopped: Vec<String> = m
            .partitions_written
            .keys()
            .filter(|g| !sample.partitions.contains_key(*g))
            .cloned()
            .collect();
        for group in stopped {
            for (key, (_, committed)) in m.partitions_written.remove(&group).unwrap_or_default() {
                rows.push(ended(&group, &key, committed));
            }
        }
        rows
    }

    fn gap(&self, cluster: &str, t_ms: i64) {
        if let Ok(mut memory) = self.memory.write() {
            let m = memory.entry(cluster.to_owned()).or_default();
            // After a gap every value is written afresh: an unchanged value must not bridge it.
            m.written.clear();
            m.partitions_written.clear();
            for recent in m.recent.values_mut() {
                recent.push_back(Point {
                    t_ms,
                    lag: None,
                    committed: None,
                    time_lag_ms: None,
                    active: false,
                    moved_back: false,
                });
                while recent.len() > lh::STATUS_SAMPLES {
                    recent.pop_front();
                }
            }
        }
    }

    fn forget_written(&self, cluster: &str) {
        if let Ok(mut memory) = self.memory.write() {
            if let Some(m) = memory.get_mut(cluster) {
                m.written.clear();
                // Kept, but unknown: the next pass writes every value again and still ends the lines
                // of groups it no longer samples (forgetting them would leave their last value in force).
                for values in m.partitions_written.values_mut() {
                    for v in values.values_mut() {
                        *v = (None, i64::MIN);
                    }
                }
            }
        }
    }

    fn watch(&self, cluster: &str, group: &str) {
        if let Ok(mut w) = self.watched.lock() {
            if w.len() >= WATCHED_KEPT {
                w.retain(|_, at| at.elapsed() < WATCH_FOR);
            }
            w.insert((cluster.to_owned(), group.to_owned()), Instant::now());
        }
    }
}
