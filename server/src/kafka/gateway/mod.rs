//! `KafkaGateway`: the `KafkaReader` implementation over librdkafka's admin API.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::api::ports::{BoxFuture, KafkaReader};
use app::domain::{
    BrokerNode, ClusterSummary, GroupDetail, GroupLag, GroupMember, GroupPage, GroupQuery,
    GroupSort, GroupState, GroupSummary, GroupType, LagIndexInfo, PartitionPosition,
};
use app::error::{AppError, AppResult};
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::client::client_config;
use super::errors::map_native_error;
use super::native::{self, NativeError, OffsetSpec};
use crate::config::{ClusterConfig, Config};
use crate::now_ms;

mod coalesce;
mod commit_log;
mod health;
mod offsets;
mod records;
mod stats;

use coalesce::SharedReads;
pub use coalesce::FRESH_FOR;
pub use health::reachable;
use records::{landing_records, record_timestamps, ReaderPool};
use stats::{ClientCounts, RequestCounter};

/// One cluster's long-lived clients. `AdminClient` runs its own thread that polls librdkafka's queue,
/// so events never pile up while the console is idle. Admin calls use private queues of their own.
struct ClusterClient {
    config: ClusterConfig,
    admin: Arc<AdminClient<DefaultClientContext>>,
    /// The consumers that read the record at a committed offset (for lag in time): reused, never
    /// joining a group, committing nothing.
    readers: Arc<ReaderPool>,
    /// Requests sent by this cluster's clients, per request type, from librdkafka's statistics.
    requests: Arc<RequestCounter>,
    /// What pages show, shared by everyone viewing it at once.
    shared: SharedReads,
    /// When the cluster last answered a request (`/readyz`, `/metrics`).
    answered: Mutex<Option<Instant>>,
    /// The readiness probe's last outcome, kept so probes never pile up on a silent cluster.
    probe: health::Probe,
    /// The lag of every group, for sorting by lag; rebuilt in the background when asked for and stale.
    lag_index: Arc<Mutex<LagIndex>>,
    /// The last SASL or TLS failure librdkafka reported for this cluster, and when: requests then
    /// only time out, so this is what tells an operator the credentials or certificates are wrong.
    auth_failure: LastConnectFailure,
    stop: Arc<AtomicBool>,
}

/// How long a reported authentication failure explains the cluster's timeouts.
const AUTH_FAILURE_WINDOW: Duration = Duration::from_secs(120);

/// Why connections to a cluster failed before any request could be sent.
#[derive(Debug, Clone)]
enum ConnectFailure {
    /// SASL: wrong user, password or mechanism.
    Credentials(String),
    /// TLS: the broker's certificate is not trusted, or ours was refused or missing.
    Tls(String),
}

type LastConnectFailure = Arc<Mutex<Option<(Instant, ConnectFailure)>>>;

/// librdkafka's TLS message without the broker prefix and timing suffix, with a hint where the broker
/// refused us (librdkafka already adds one when we refuse the broker).
fn tls_reason(message: &str) -> String {
    let text = message
        .find("://")
        .and_then(|i| message[i..].find(": ").map(|j| &message[i + j + 2..]))
        .unwrap_or(message);
    let text = text.rsplit_once(" (after ").map_or(text, |(t, _)| t).trim();
    if text.contains("alert bad certificate")
        || text.contains("alert certificate required")
        || text.contains("alert unknown ca")
    {
        format!("{text} (the broker refused Rewind's client certificate, or none is configured: check ssl_certificate_location and ssl_key_location)")
    } else {
        text.to_owned()
    }
}

/// A TLS failure: librdkafka reports our own refusal of the broker as `SSL`, and the broker's alert
/// about our certificate as a transport failure carrying OpenSSL's reason.
fn is_tls_failure(code: RDKafkaErrorCode, message: &str) -> bool {
    code == RDKafkaErrorCode::SSL
        || (code == RDKafkaErrorCode::BrokerTransportFailure
            && (message.contains("SSL routines") || message.contains("SSL alert")))
}

impl ClusterClient {
    /// `map_native_error`, naming a recent authentication failure instead of "unreachable".
    fn map_error(&self, err: &NativeError) -> AppError {
        let mapped = map_native_error(&self.config, err);
        if !matches!(mapped, AppError::BrokerUnreachable { .. }) {
            return mapped;
        }
        let recent = self
            .auth_failure
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .filter(|(at, _)| at.elapsed() < AUTH_FAILURE_WINDOW);
        match recent {
            Some((_, ConnectFailure::Credentials(detail))) => AppError::KafkaAuthentication {
                cluster: self.config.name.clone(),
                detail,
            },
            Some((_, ConnectFailure::Tls(detail))) => AppError::KafkaTls {
                cluster: self.config.name.clone(),
                detail,
            },
            None => mapped,
        }
    }
}

impl Drop for ClusterClient {
    fn drop(&mut self) {
        // The main-queue thread holds its own reference to the admin client and exits within 200 ms.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A cluster's lag index: the total lag of every group at one moment.
#[derive(Default)]
struct LagIndex {
    snapshot: Option<Arc<LagSnapshot>>,
    /// (groups done, groups in all) while a build runs.
    building: Option<(u32, u32)>,
}

struct LagSnapshot {
    /// When the build started (ms since the epoch): every lag in it is at least this fresh.
    as_of_ms: i64,
    taken: Instant,
    lags: HashMap<String, i64>,
}

/// An index older than this is rebuilt when someone sorts by lag (and used meanwhile).
const LAG_INDEX_TTL: Duration = Duration::from_secs(60);
/// Groups per batch while building the index: committed offsets pipelined, then one ListOffsets.
const LAG_INDEX_BATCH: usize = 500;

/// Gateway settings that are not per cluster.
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    /// Emit librdkafka statistics this often, feeding `request_counts` (benchmarks); off when None.
    pub statistics_interval: Option<Duration>,
}

/// Committed-offset requests in flight at once when computing a page's lag (librdkafka takes one group
/// per request; more in flight would only queue at the coordinator).
const LAG_IN_FLIGHT: usize = 32;

pub struct KafkaGateway {
    clusters: BTreeMap<String, ClusterClient>,
    /// Configured order, which is the order the UI lists clusters in.
    order: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot create a Kafka client for cluster '{cluster}': {source}")]
pub struct GatewayError {
    cluster: String,
    source: KafkaError,
}

/// The librdkafka timeout for the next call: the whole budget, or what a retry loop has left of it.
fn timeout() -> Duration {
    super::budget::timeout()
}

/// Errors a coordinator gives while it moves or loads (after a broker start or a leader change):
/// asking again shortly succeeds.
fn is_transient(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::CoordinatorLoadInProgress
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::NotCoordinator
            | RDKafkaErrorCode::LeaderNotAvailable
    )
}

/// Runs `call` again while it fails with a transient coordinator error, backing off from 100 ms up to
/// 1 s; any other outcome is returned as it is. All attempts share one request budget
/// (`kafka::budget`): a retry no longer gets a fresh timeout of its own near the end, which made a
/// dead cluster answer after 10 s while saying "within 5 s". Blocking: only for closures already
/// running on the blocking pool.
fn retry_transient<T>(mut call: impl FnMut() -> Result<T, NativeError>) -> Result<T, NativeError> {
    super::budget::within(super::budget::total(), || {
        let deadline = Instant::now() + timeout();
        let mut pause = Duration::from_millis(100);
        loop {
            match call() {
                Err(e) if is_transient(e.code) && Instant::now() + pause < deadline => {
                    tracing::debug!(error = %e, "transient coordinator error; retrying");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    })
}

/// Metadata of one topic: one small request to one broker. A client-side failure (nothing answered)
/// counts as a timeout, which is what it nearly always is.
fn topic_metadata(
    admin: &AdminClient<DefaultClientContext>,
    topic: &str,
    timeout: Duration,
) -> Result<rdkafka::metadata::Metadata, NativeError> {
    admin
        .inner()
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| NativeError {
            operation: "Metadata",
            code: e
                .rdkafka_error_code()
                .unwrap_or(RDKafkaErrorCode::OperationTimedOut),
            message: e.to_string(),
        })
}

fn group_type(t: native::GroupType) -> GroupType {
    match t {
        native::GroupType::Classic => GroupType::Classic,
        native::GroupType::Consumer => GroupType::Consumer,
        native::GroupType::Unknown => GroupType::Unknown,
    }
}

impl KafkaGateway {
    /// Creates one client per cluster. librdkafka connects lazily, so this does not need the brokers up.
    pub fn new(config: &Config) -> Result<Self, GatewayError> {
        Self::with_options(config, GatewayOptions::default())
    }

    pub fn with_options(config: &Config, options: GatewayOptions) -> Result<Self, GatewayError> {
        let mut clusters = BTreeMap::new();
        let mut order = Vec::new();
        for c in &config.clusters {
            let mut admin_config = client_config(c);
            if let Some(i) = options.statistics_interval {
                admin_config.set("statistics.interval.ms", i.as_millis().max(1).to_string());
            }
            let admin: Arc<AdminClient<DefaultClientContext>> =
                Arc::new(admin_config.create().map_err(|source| GatewayError {
                    cluster: c.name.clone(),
                    source,
                })?);
            let err = |source| GatewayError {
                cluster: c.name.clone(),
                source,
            };
            let mut reader = client_config(c);
            reader
                // librdkafka's assign() needs a group id even though this consumer never joins a group
                // and never commits: the id is not created on the broker.
                .set("group.id", "rewind-internal-timestamp-reader")
                .set("enable.auto.commit", "false")
                .set("enable.auto.offset.store", "false")
                .set("enable.partition.eof", "false")
                // A committed offset below the log start has no record; never jump elsewhere.
                .set("auto.offset.reset", "error")
                .set("isolation.level", "read_uncommitted")
                // We need one record per partition, not a buffer: small per-partition fetches, totals
                // bounded for groups of 10,000 partitions. (Combined with a small per-partition size,
                // queued.min.messages=1 stalls every partition but the first: leave it at its default.)
                .set("fetch.wait.max.ms", "50")
                .set("max.partition.fetch.bytes", "65536")
                .set("fetch.max.bytes", "16777216")
                .set("queued.max.messages.kbytes", "65536");
            if let Some(i) = options.statistics_interval {
                reader.set("statistics.interval.ms", i.as_millis().max(1).to_string());
            }
            let requests = Arc::new(RequestCounter::default());
            let readers = ReaderPool::new(reader, Arc::clone(&requests)).map_err(err)?;
            let auth_failure = Arc::new(Mutex::new(None));
            let stop = Arc::new(AtomicBool::new(false));
            spawn_main_queue_server(
                &c.name,
                Arc::clone(&admin),
                Arc::clone(&requests),
                Arc::clone(&auth_failure),
                Arc::clone(&stop),
            )
            .map_err(|e| GatewayError {
                cluster: c.name.clone(),
                source: KafkaError::ClientCreation(format!(
                    "cannot start the main-queue thread: {e}"
                )),
            })?;
            order.push(c.name.clone());
            clusters.insert(
                c.name.clone(),
                ClusterClient {
                    config: c.clone(),
                    admin,
                    readers: Arc::new(readers),
                    requests,
                    shared: SharedReads::new(FRESH_FOR),
                    answered: Mutex::new(None),
                    probe: health::Probe::new(),
                    auth_failure,
                    lag_index: Arc::new(Mutex::new(LagIndex::default())),
                    stop,
                },
            );
        }
        Ok(Self { clusters, order })
    }

    /// Requests the admin client of `cluster` has sent so far, per request type (for example
    /// `ListOffsets`), summed over brokers. Empty unless statistics are on (`GatewayOptions`).
    pub fn request_counts(&self, cluster: &str) -> BTreeMap<String, i64> {
        self.clusters
            .get(cluster)
            .map(|c| c.requests.totals())
            .unwrap_or_default()
    }

    fn cluster(&self, name: &str) -> AppResult<&ClusterClient> {
        self.clusters
            .get(name)
            .ok_or_else(|| AppError::UnknownCluster {
                cluster: name.to_owned(),
            })
    }

    /// Runs blocking librdkafka work on the blocking pool with this cluster's client.
    async fn blocking<T: Send + 'static>(
        &self,
        client: &ClusterClient,
        what: &'static str,
        work: impl FnOnce(&AdminClient<DefaultClientContext>) -> Result<T, NativeError> + Send + 'static,
    ) -> AppResult<T> {
        let admin = Arc::clone(&client.admin);
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || work(&admin))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, what, "Kafka task failed");
                AppError::Internal {
                    reference: what.into(),
                }
            })?
            .map_err(|e| client.map_error(&e));
        client.record(what, started.elapsed(), result.as_ref().err());
        result
    }

    async fn list_groups_impl(&self, cluster: &str, query: GroupQuery) -> AppResult<GroupPage> {
        let client = self.cluster(cluster)?;
        let cluster_name = cluster.to_owned();
        // Sorting by lag uses the newest complete index; a stale or missing one is rebuilt meanwhile.
        let snapshot = if query.sort == GroupSort::Lag {
            let snapshot = client
                .lag_index
                .lock()
                .ok()
                .and_then(|i| i.snapshot.clone());
            if snapshot
                .as_ref()
                .is_none_or(|s| s.taken.elapsed() > LAG_INDEX_TTL)
            {
                self.start_lag_index_build(client);
            }
            snapshot
        } else {
            None
        };
        let lag_index = (query.sort == GroupSort::Lag).then(|| LagIndexInfo {
            as_of: snapshot.as_ref().map(|s| s.as_of_ms),
            building: client.lag_index.lock().ok().and_then(|i| i.building),
        });
        let sort_by = snapshot.clone();
        let listing = client
            .shared
            .listing(self.blocking(client, "list-groups", |admin| {
                let rk = native::handle(admin.inner())?;
                retry_transient(|| {
                    let listing = native::list_consumer_groups(rk, timeout())?;
                    // No broker answered at all: that is an error, not an empty cluster.
                    match listing.errors.first() {
                        Some(e) if listing.groups.is_empty() => Err(e.clone()),
                        _ => Ok(listing),
                    }
                })
            }))
            .await?;
        self.blocking(client, "describe-page", move |admin| {
            let rk = native::handle(admin.inner())?;
            let warnings: Vec<String> = listing
                .errors
                .iter()
                .map(|e| format!("{} ({})", e.code, e.operation))
                .collect();
            let mut all: Vec<(String, GroupState, native::GroupType, bool)> = listing
                .groups
                .iter()
                .map(|g| {
                    (
                        g.group_id.clone(),
                        GroupState::parse(&g.state),
                        g.group_type,
                        g.simple,
                    )
                })
                .filter(|g| query.visible(&g.0))
                .collect();
            all.sort_by(|a, b| a.0.cmp(&b.0));
            let mut counts: BTreeMap<GroupState, u32> = BTreeMap::new();
            for g in &all {
                *counts.entry(g.1).or_default() += 1;
            }
            let mut matching: Vec<&(String, GroupState, native::GroupType, bool)> =
                all.iter().filter(|g| query.matches(&g.0, g.1)).collect();
            if let Some(index) = &sort_by {
                // Highest lag first; groups the index does not know (no commits, or newer) last, by id.
                matching.sort_by(|a, b| {
                    let (la, lb) = (index.lags.get(&a.0), index.lags.get(&b.0));
                    lb.cmp(&la).then_with(|| a.0.cmp(&b.0))
                });
            }
            let size = query.effective_page_size() as usize;
            let start = (query.page as usize).saturating_mul(size);
            let page: Vec<&(String, GroupState, native::GroupType, bool)> =
                matching.iter().skip(start).take(size).copied().collect();
            // Only the visible page is described: member counts for 50,000 groups would cost 50,000
            // DescribeGroups requests (librdkafka sends one per group).
            let ids: Vec<String> = page.iter().map(|g| g.0.clone()).collect();
            let described: HashMap<String, native::GroupDescription> =
                native::describe_consumer_groups(rk, &ids, timeout())?
                    .into_iter()
                    .map(|d| (d.group_id.clone(), d))
                    .collect();
            let groups = page
                .into_iter()
                .map(|(id, state, ty, simple)| {
                    let d = described.get(id).filter(|d| d.error.is_none());
                    GroupSummary {
                        group_id: id.clone(),
                        // The description is newer than the listing.
                        state: d.map(|d| GroupState::parse(&d.state)).unwrap_or(*state),
                        group_type: group_type(d.map(|d| d.group_type).unwrap_or(*ty)),
                        simple: d.map(|d| d.simple).unwrap_or(*simple),
                        members: d.map(|d| u32::try_from(d.members.len()).unwrap_or(u32::MAX)),
                        coordinator: d.and_then(|d| d.coordinator.as_ref().map(|n| n.id)),
                    }
                })
                .collect();
            Ok(GroupPage {
                cluster: cluster_name,
                total: u32::try_from(all.len()).unwrap_or(u32::MAX),
                matched: u32::try_from(matching.len()).unwrap_or(u32::MAX),
                state_counts: counts.into_iter().collect(),
                page: query.page,
                page_size: size as u32,
                groups,
                warnings,
                lag_index,
            })
        })
        .await
    }

    async fn group_lags_impl(
        &self,
        cluster: &str,
        groups: Vec<String>,
    ) -> AppResult<Vec<GroupLag>> {
        let client = self.cluster(cluster)?;
        self.blocking(client, "group-lags", move |admin| {
            lags_for(native::handle(admin.inner())?, groups)
        })
        .await
    }

    /// Starts building `client`'s lag index on the blocking pool unless a build is running.
    fn start_lag_index_build(&self, client: &ClusterClient) {
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

    /// The group as its page shows it, read at most `FRESH_FOR` ago: viewers of one group share reads.
    async fn describe_group_impl(&self, cluster: &str, group: &str) -> AppResult<GroupDetail> {
        let client = self.cluster(cluster)?;
        client
            .shared
            .detail(group, self.read_group_detail(client, group))
            .await
    }

    async fn read_group_detail(
        &self,
        client: &ClusterClient,
        group: &str,
    ) -> AppResult<GroupDetail> {
        let started = Instant::now();
        let cluster = client.config.name.as_str();
        let group_id = group.to_owned();
        let (desc, committed) = self
            .blocking(client, "describe-group", move |admin| {
                let rk = native::handle(admin.inner())?;
                let ids = [group_id];
                let desc = retry_transient(|| {
                    let d = native::describe_consumer_groups(rk, &ids, timeout())?
                        .into_iter()
                        .next();
                    match d.as_ref().and_then(|g| g.error.clone()) {
                        Some(e) if is_transient(e.code) => Err(e),
                        _ => Ok(d),
                    }
                })?;
                let committed = retry_transient(|| {
                    native::list_committed_offsets(rk, &ids, timeout(), 1)?
                        .into_iter()
                        .next()
                        .unwrap_or_else(|| Ok(Vec::new()))
                })?;
                Ok((desc, committed))
            })
            .await?;
        let unknown = || AppError::UnknownGroup {
            cluster: cluster.to_owned(),
            group: group.to_owned(),
        };
        let desc = desc.ok_or_else(unknown)?;
        if let Some(e) = &desc.error {
            return Err(match e.code {
                RDKafkaErrorCode::GroupIdNotFound => unknown(),
                _ => client.map_error(e),
            });
        }
        let state = GroupState::parse(&desc.state);
        // The broker describes a group it does not know as Dead; with no offsets either, it does not exist.
        if state == GroupState::Dead && committed.is_empty() {
            return Err(unknown());
        }

        let members: Vec<GroupMember> = desc
            .members
            .iter()
            .map(|m| GroupMember {
                member_id: m.member_id.clone(),
                client_id: m.client_id.clone(),
                host: m.host.clone(),
                group_instance_id: m.group_instance_id.clone(),
                assignment: m.assignment.clone(),
            })
            .collect();
        let mut positions: BTreeMap<(String, i32), PartitionPosition> = BTreeMap::new();
        let blank = |topic: &str, partition: i32| PartitionPosition {
            topic: topic.to_owned(),
            partition,
            committed: None,
            metadata: None,
            log_start: None,
            log_end: None,
            member: None,
            committed_timestamp: None,
        };
        for (i, m) in members.iter().enumerate() {
            for (t, p) in &m.assignment {
                positions
                    .entry((t.clone(), *p))
                    .or_insert_with(|| blank(t, *p))
                    .member = Some(i);
            }
        }
        for c in committed {
            let pos = positions
                .entry((c.topic.clone(), c.partition))
                .or_insert_with(|| blank(&c.topic, c.partition));
            pos.committed = c.offset;
            pos.metadata = c.metadata.filter(|m| !m.is_empty());
        }

        let keys: Vec<(String, i32)> = positions.keys().cloned().collect();
        let (earliest, latest) = self
            .blocking(client, "list-offsets", move |admin| {
                let rk = native::handle(admin.inner())?;
                let earliest = tolerate_missing_leaders(native::list_offsets(
                    rk,
                    &keys,
                    OffsetSpec::Earliest,
                    timeout(),
                ))?;
                let latest = tolerate_missing_leaders(native::list_offsets(
                    rk,
                    &keys,
                    OffsetSpec::Latest,
                    timeout(),
                ))?;
                Ok((earliest, latest))
            })
            .await?;
        for o in earliest {
            if let Some(p) = positions.get_mut(&(o.topic, o.partition)) {
                p.log_start = o.offset;
            }
        }
        for o in latest {
            if let Some(p) = positions.get_mut(&(o.topic, o.partition)) {
                p.log_end = o.offset;
            }
        }

        // Lag in time needs the record at each committed offset that still has one to read.
        let wanted: Vec<(String, i32, i64)> = positions
            .values()
            .filter_map(|p| {
                let c = p.committed?;
                (c < p.log_end? && c >= p.log_start?).then(|| (p.topic.clone(), p.partition, c))
            })
            .collect();
        if !wanted.is_empty() {
            for ((t, p), ts) in record_timestamps(&client.readers, wanted).await {
                if let Some(pos) = positions.get_mut(&(t, p)) {
                    pos.committed_timestamp = Some(ts);
                }
            }
        }

        tracing::debug!(cluster, group, elapsed = ?started.elapsed(), "described a group");
        Ok(GroupDetail {
            cluster: cluster.to_owned(),
            group_id: group.to_owned(),
            state,
            group_type: group_type(desc.group_type),
            simple: desc.simple,
            assignor: desc.assignor,
            coordinator: desc.coordinator.map(|n| BrokerNode {
                id: n.id,
                host: n.host,
                port: n.port,
            }),
            members,
            partitions: positions.into_values().collect(),
            read_at: now_ms(),
        })
    }
}

/// Total lag and topics of `groups`: their committed offsets (pipelined, one request per group as
/// librdkafka requires) and one ListOffsets for all their partitions.
fn lags_for(rk: native::Handle<'_>, groups: Vec<String>) -> Result<Vec<GroupLag>, NativeError> {
    let committed = native::list_committed_offsets(rk, &groups, timeout(), LAG_IN_FLIGHT)?;
    let mut partitions: Vec<(String, i32)> = committed
        .iter()
        .flatten()
        .flatten()
        .map(|c| (c.topic.clone(), c.partition))
        .collect();
    partitions.sort();
    partitions.dedup();
    let ends: HashMap<(String, i32), i64> = tolerate_missing_leaders(native::list_offsets(
        rk,
        &partitions,
        OffsetSpec::Latest,
        timeout(),
    ))?
    .into_iter()
    .filter_map(|o| Some(((o.topic, o.partition), o.offset?)))
    .collect();
    Ok(groups
        .into_iter()
        .zip(committed)
        .map(|(group_id, offsets)| match offsets {
            Ok(offsets) => {
                let mut topics: Vec<String> = offsets.iter().map(|c| c.topic.clone()).collect();
                topics.sort();
                topics.dedup();
                let lag = offsets
                    .iter()
                    .filter_map(|c| Some(ends.get(&(c.topic.clone(), c.partition))? - c.offset?))
                    .sum();
                GroupLag {
                    group_id,
                    topics,
                    committed_partitions: offsets.iter().filter(|c| c.offset.is_some()).count()
                        as u32,
                    lag: Some(lag),
                }
            }
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
        for l in lags_for(rk, batch.to_vec())? {
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

/// Serves the admin client's main queue on a thread of its own: logs and errors go to tracing,
/// statistics update `requests`.
fn spawn_main_queue_server(
    cluster: &str,
    admin: Arc<AdminClient<DefaultClientContext>>,
    requests: Arc<RequestCounter>,
    auth_failure: LastConnectFailure,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    let name = cluster.to_owned();
    std::thread::Builder::new().name(format!("kafka-main-{name}")).spawn(move || {
        let Ok(rk) = native::handle(admin.inner()) else { return };
        let counts = ClientCounts::default();
        native::serve_main_queue(rk, &stop, |ev| match ev {
            native::MainEvent::Stats(json) => {
                if let Err(e) = requests.observe(&counts, json.as_bytes()) {
                    tracing::debug!(cluster = %name, error = %e, "unreadable librdkafka statistics");
                }
            }
            native::MainEvent::Log { level, facility, message } => {
                if level <= 3 {
                    tracing::error!(cluster = %name, %facility, "librdkafka: {message}");
                } else {
                    tracing::warn!(cluster = %name, %facility, "librdkafka: {message}");
                }
            }
            native::MainEvent::Error { code, message } => {
                tracing::warn!(cluster = %name, %code, "librdkafka error: {message}");
                let failure = match code {
                    RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed => {
                        Some(ConnectFailure::Credentials(message.to_owned()))
                    }
                    _ if is_tls_failure(code, &message) => Some(ConnectFailure::Tls(tls_reason(&message))),
                    _ => None,
                };
                if let (Some(failure), Ok(mut f)) = (failure, auth_failure.lock()) {
                    *f = Some((Instant::now(), failure));
                }
            }
        });
    })?;
    Ok(())
}

/// librdkafka fails a whole ListOffsets when no requested partition has a leader (for example a group
/// whose only topic was deleted); Kafka's tool shows "-" for those, and so do we.
fn tolerate_missing_leaders(
    r: Result<Vec<native::ListedOffset>, NativeError>,
) -> Result<Vec<native::ListedOffset>, NativeError> {
    match r {
        Err(e)
            if matches!(
                e.code,
                RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::NoEnt
            ) =>
        {
            Ok(Vec::new())
        }
        other => other,
    }
}

impl KafkaReader for KafkaGateway {
    fn clusters(&self) -> Vec<ClusterSummary> {
        self.order
            .iter()
            .filter_map(|n| self.clusters.get(n))
            .map(|c| ClusterSummary {
                name: c.config.name.clone(),
                bootstrap_servers: c.config.bootstrap_servers.clone(),
                security_protocol: c.config.security_protocol.as_str().to_owned(),
            })
            .collect()
    }

    fn list_groups<'a>(
        &'a self,
        cluster: &'a str,
        query: GroupQuery,
    ) -> BoxFuture<'a, AppResult<GroupPage>> {
        Box::pin(self.list_groups_impl(cluster, query))
    }

    fn group_lags<'a>(
        &'a self,
        cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<GroupLag>>> {
        Box::pin(self.group_lags_impl(cluster, groups))
    }

    fn describe_group<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, AppResult<GroupDetail>> {
        Box::pin(self.describe_group_impl(cluster, group))
    }
}

#[cfg(test)]
mod tls_tests {
    use super::{is_tls_failure, tls_reason};
    use rdkafka::error::RDKafkaErrorCode as C;

    #[test]
    fn tls_failures_are_recognised_and_explained() {
        let refused = "ssl://127.0.0.1:19095/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42 (after 0ms in state APIVERSION_QUERY)";
        assert!(is_tls_failure(C::BrokerTransportFailure, refused));
        let reason = tls_reason(refused);
        assert!(
            reason.starts_with("Receive failed: error:0A000412"),
            "{reason}"
        );
        assert!(
            reason.contains("check ssl_certificate_location"),
            "{reason}"
        );
        let untrusted = "ssl://127.0.0.1:19095/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package) (after 2ms in state SSL_HANDSHAKE)";
        assert!(is_tls_failure(C::SSL, untrusted));
        assert!(tls_reason(untrusted).ends_with("(install ca-certificates package)"));
        assert!(!is_tls_failure(
            C::BrokerTransportFailure,
            "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused"
        ));
    }
}
