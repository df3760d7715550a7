//! `KafkaGateway`: the `KafkaReader` implementation over librdkafka's admin API.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::api::ports::{BoxFuture, KafkaReader};
use app::domain::{ClusterSummary, GroupDetail, GroupLag, GroupPage, GroupQuery, GroupType};
use app::error::{AppError, AppResult};
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::client::client_config;
use super::native::{self, NativeError, OffsetSpec};
use crate::config::{ClusterConfig, Config};

mod coalesce;
mod commit_log;
mod diagnostics;
mod groups;
mod health;
mod lag_index;
mod many_groups;
mod offsets;
mod records;
mod sampling;
mod stats;

use coalesce::SharedReads;
pub use coalesce::FRESH_FOR;
use diagnostics::{spawn_main_queue_server, LastConnectFailure};
pub use health::reachable;
use lag_index::LagIndex;
use records::{landing_records, record_timestamps, ReaderPool};
pub use sampling::{ClusterSample, GroupSample, PartitionSample, TopicSample};
use stats::RequestCounter;

/// One cluster's long-lived clients. Admin calls use private queues of their own; the rdkafka crate's
/// `AdminClient` polls only its result queue, so `diagnostics` serves the main queue (logs, errors,
/// statistics) on a thread of its own, and nothing piles up while the console is idle.
struct ClusterClient {
    config: ClusterConfig,
    admin: Arc<AdminClient<DefaultClientContext>>,
    /// A second admin client, so a second connection to each broker, for a read that should not wait
    /// behind another on `admin`: a broker serves one connection's requests one at a time, so a wide
    /// group's two ListOffsets (log start and end) sent at once on one connection answered 50 ms apart.
    /// It keeps its own metadata cache: its first read costs a Metadata request, and while a leader
    /// moves one bound may fail where the other is read, which shows as an unknown bound until the
    /// next read, as any failed bound does.
    beside: Arc<AdminClient<DefaultClientContext>>,
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

impl Drop for ClusterClient {
    fn drop(&mut self) {
        // Each main-queue thread holds its own reference to its admin client and exits within 200 ms.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Gateway settings that are not per cluster.
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    /// Emit librdkafka statistics this often, feeding `request_counts` (benchmarks); off when None.
    pub statistics_interval: Option<Duration>,
}

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
    /// Creates each cluster's clients. librdkafka connects lazily, so this does not need the brokers up.
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
            let err = |source| GatewayError {
                cluster: c.name.clone(),
                source,
            };
            let admin: Arc<AdminClient<DefaultClientContext>> =
                Arc::new(admin_config.create().map_err(err)?);
            let beside: Arc<AdminClient<DefaultClientContext>> =
                Arc::new(admin_config.create().map_err(err)?);
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
                // Never a delayed fetch: once a read has fetched its partitions' records, librdkafka
                // asks again for those it has not yet handed out, all at their log end, until the read
                // pauses them. The broker parks such a fetch in its purgatory and keeps it in every
                // partition's watch list until a purge, every 1,000 delayed fetches: on a quiet broker
                // each wide read pinned about 8,000 of them (jmap), and 1 GB of heap ran out after
                // about 200 reads (docs/performance/wide-group.md). Empty answers at once cost the
                // broker a few more requests instead; `read_records` stops at the log end.
                .set("fetch.wait.max.ms", "0")
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
            for client in [&admin, &beside] {
                spawn_main_queue_server(
                    &c.name,
                    Arc::clone(client),
                    Arc::clone(&requests),
                    Arc::clone(&auth_failure),
                    Arc::clone(&stop),
                )
                .map_err(|e| {
                    // A thread already started for the first client must not outlive the failure.
                    stop.store(true, Ordering::Relaxed);
                    GatewayError {
                        cluster: c.name.clone(),
                        source: KafkaError::ClientCreation(format!(
                            "cannot start the main-queue thread: {e}"
                        )),
                    }
                })?;
            }
            order.push(c.name.clone());
            clusters.insert(
                c.name.clone(),
                ClusterClient {
                    config: c.clone(),
                    admin,
                    beside,
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

    /// Requests the admin clients of `cluster` have sent so far, per request type (for example
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
        Self::blocking_on(client, &client.admin, what, work).await
    }

    /// Log start and log end of `partitions`, read at once, each on a connection of its own
    /// (`ClusterClient::beside`). A partition without a leader is left out, as Kafka's tool shows "-".
    async fn log_bounds(
        &self,
        client: &ClusterClient,
        partitions: Arc<Vec<(String, i32)>>,
    ) -> AppResult<(Vec<native::ListedOffset>, Vec<native::ListedOffset>)> {
        let bound = |spec: OffsetSpec| {
            let partitions = Arc::clone(&partitions);
            move |admin: &AdminClient<DefaultClientContext>| {
                let rk = native::handle(admin.inner())?;
                tolerate_missing_leaders(native::list_offsets(rk, &partitions, spec, timeout()))
            }
        };
        let (earliest, latest) = tokio::join!(
            self.blocking(client, "list-offsets", bound(OffsetSpec::Earliest)),
            Self::blocking_on(
                client,
                &client.beside,
                "list-offsets",
                bound(OffsetSpec::Latest)
            ),
        );
        let earliest = earliest?;
        // The second connection saves time and must never fail a read the first would answer: right
        // after a broker restart its client can still lack the leaders the first one has (a preview
        // then failed with an incomplete snapshot). Whatever it answered worse is asked again there.
        let known = |offsets: &[native::ListedOffset]| {
            offsets.iter().filter(|o| o.offset.is_some()).count()
        };
        let latest = match latest {
            Ok(latest) if known(&latest) >= known(&earliest) => latest,
            other => {
                let answered = other.as_ref().map(|l| known(l));
                tracing::debug!(
                    cluster = %client.config.name,
                    ?answered,
                    "log ends read again on the first connection"
                );
                self.blocking(client, "list-offsets", bound(OffsetSpec::Latest))
                    .await?
            }
        };
        Ok((earliest, latest))
    }

    /// `blocking` on one of the cluster's admin clients: `log_bounds` alone picks the second.
    async fn blocking_on<T: Send + 'static>(
        client: &ClusterClient,
        admin: &Arc<AdminClient<DefaultClientContext>>,
        what: &'static str,
        work: impl FnOnce(&AdminClient<DefaultClientContext>) -> Result<T, NativeError> + Send + 'static,
    ) -> AppResult<T> {
        let admin = Arc::clone(admin);
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
        let elapsed = started.elapsed();
        tracing::trace!(what, ?elapsed, "Kafka call");
        client.record(what, elapsed, result.as_ref().err());
        result
    }
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

    fn group_lag_times<'a>(
        &'a self,
        cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<app::domain::groups::GroupLagTime>>> {
        Box::pin(self.group_lag_times_impl(cluster, groups))
    }

    fn describe_group<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, AppResult<GroupDetail>> {
        Box::pin(self.describe_group_impl(cluster, group))
    }

    fn record_times<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<app::domain::groups::RecordTime>>> {
        Box::pin(self.record_times_impl(cluster, group))
    }
}
