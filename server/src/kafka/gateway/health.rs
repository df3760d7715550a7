//! Whether each cluster answers, for `/readyz` and `/metrics`, without adding load: a cluster that
//! answered a request recently is not asked again, and a silent one at most once per `PROBE_EVERY`.

use std::time::{Duration, Instant};

use app::error::AppError;
use moka::future::Cache;

use super::{topic_metadata, ClusterClient, KafkaGateway};
use crate::metrics;

/// An answer this recent says the cluster is reachable.
const ANSWERED_WITHIN: Duration = Duration::from_secs(30);

/// Whether an answer `ago` says the cluster is reachable (None: no answer since Rewind started).
pub fn reachable(ago: Option<Duration>) -> bool {
    ago.is_some_and(|a| a < ANSWERED_WITHIN)
}

/// A cluster with no recent answer is probed at most this often, whatever asks.
const PROBE_EVERY: Duration = Duration::from_secs(10);

/// How long a probe waits for the cluster.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A topic every cluster has: asking for its metadata is one small request to one broker.
const PROBE_TOPIC: &str = "__consumer_offsets";

pub(super) struct Probe(Cache<(), bool>);

impl Probe {
    pub(super) fn new() -> Self {
        Self(
            Cache::builder()
                .max_capacity(1)
                .time_to_live(PROBE_EVERY)
                .build(),
        )
    }
}

impl ClusterClient {
    /// Records one operation's outcome: metrics, and the time of the answer unless the cluster never
    /// answered (a refusal such as "unknown group" is an answer).
    pub(super) fn record(&self, operation: &str, took: Duration, error: Option<&AppError>) {
        metrics::get().kafka(&self.config.name, operation, took, error);
        let unanswered = matches!(
            error,
            Some(
                AppError::BrokerUnreachable { .. }
                    | AppError::KafkaAuthentication { .. }
                    | AppError::KafkaTls { .. }
                    | AppError::Internal { .. }
            )
        );
        if !unanswered {
            if let Ok(mut at) = self.answered.lock() {
                *at = Some(Instant::now());
            }
        }
    }

    fn last_answer(&self) -> Option<Duration> {
        self.answered
            .lock()
            .ok()
            .and_then(|a| a.map(|at| at.elapsed()))
    }
}

impl KafkaGateway {
    /// Configured cluster names, in the configured order.
    pub fn cluster_names(&self) -> Vec<String> {
        self.order.clone()
    }

    /// How old `cluster`'s newest complete lag index is; None before the first.
    pub fn lag_index_age(&self, cluster: &str) -> Option<Duration> {
        let client = self.clusters.get(cluster)?;
        let index = client.lag_index.lock().ok()?;
        index.snapshot.as_ref().map(|s| s.taken.elapsed())
    }

    /// How long ago `cluster` last answered; None: not since Rewind started. Never asks Kafka.
    pub fn answered_ago(&self, cluster: &str) -> Option<Duration> {
        self.clusters.get(cluster)?.last_answer()
    }

    /// How long ago `cluster` last answered, probing it first (bounded, see the module note) when
    /// that was longer ago than `ANSWERED_WITHIN`. None: it has not answered since Rewind started.
    pub async fn probe_if_silent(&self, cluster: &str) -> Option<Duration> {
        let client = self.clusters.get(cluster)?;
        let ago = client.last_answer();
        if reachable(ago) {
            return ago;
        }
        let probe = self.blocking(client, "probe", |admin| {
            topic_metadata(admin, PROBE_TOPIC, PROBE_TIMEOUT).map(drop)
        });
        client
            .probe
            .0
            .get_with((), async { probe.await.is_ok() })
            .await;
        client.last_answer()
    }
}
