//! The operator endpoints: `/healthz` (the process answers), `/readyz` (the store takes writes; each
//! cluster answered recently) and `/metrics` (Prometheus text). None needs a session or shows data.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::kafka::KafkaGateway;
use crate::lag_history::LagHistoryService;
use crate::metrics;
use crate::now_ms;
use crate::store::Store;

/// How long a store write check is reused: `/readyz` answers anyone, and each check is an fsync on
/// the connection every request shares.
const STORE_CHECK_EVERY: Duration = Duration::from_secs(5);

/// What the operator endpoints read.
#[derive(Clone)]
pub struct Ops {
    gateway: Arc<KafkaGateway>,
    store: Arc<dyn Store>,
    history: Arc<LagHistoryService>,
    /// The last store write check, shared by every `/readyz` within `STORE_CHECK_EVERY`.
    store_check: moka::future::Cache<(), bool>,
}

impl Ops {
    pub fn new(
        gateway: Arc<KafkaGateway>,
        store: Arc<dyn Store>,
        history: Arc<LagHistoryService>,
    ) -> Self {
        Self {
            gateway,
            store,
            history,
            store_check: moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(STORE_CHECK_EVERY)
                .build(),
        }
    }

    async fn store_writable(&self) -> bool {
        self.store_check
            .get_with((), async {
                match self.store.write_probe(now_ms()).await {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::error!(error = %e, "readiness: the store cannot take writes");
                        false
                    }
                }
            })
            .await
    }
}

/// Paths answered without resolving a session: probes come often and carry no cookie.
pub fn is_ops_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

pub fn routes(ops: Ops) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(ops)
}

async fn healthz() -> &'static str {
    "ok\n"
}

#[derive(Debug, Serialize)]
struct Readiness {
    /// The store takes writes. Kafka does not decide readiness: another instance would reach the
    /// same clusters, and the console explains an unreachable cluster better than a 503 would.
    ready: bool,
    store: StoreCheck,
    clusters: Vec<ClusterCheck>,
}

#[derive(Debug, Serialize)]
struct StoreCheck {
    writable: bool,
}

#[derive(Debug, Serialize)]
struct ClusterCheck {
    name: String,
    /// Answered within the last 30 s (a silent cluster is probed at most every 10 s).
    reachable: bool,
    /// None: no answer since Rewind started.
    last_answer_seconds_ago: Option<f64>,
}

async fn readyz(State(ops): State<Ops>) -> Response {
    let writable = ops.store_writable().await;
    let mut probes = tokio::task::JoinSet::new();
    for (i, name) in ops.gateway.cluster_names().into_iter().enumerate() {
        let gateway = Arc::clone(&ops.gateway);
        probes.spawn(async move {
            let ago = gateway.probe_if_silent(&name).await;
            (i, cluster_check(name, ago))
        });
    }
    let mut clusters = Vec::new();
    while let Some(done) = probes.join_next().await {
        if let Ok(check) = done {
            clusters.push(check);
        }
    }
    clusters.sort_by_key(|(i, _)| *i);
    let body = Readiness {
        ready: writable,
        store: StoreCheck { writable },
        clusters: clusters.into_iter().map(|(_, c)| c).collect(),
    };
    let status = if writable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

fn cluster_check(name: String, ago: Option<Duration>) -> ClusterCheck {
    ClusterCheck {
        name,
        reachable: crate::kafka::reachable(ago),
        last_answer_seconds_ago: ago.map(|a| (a.as_secs_f64() * 10.0).round() / 10.0),
    }
}

/// An age in seconds, or no series at all when there is nothing to be old (never 0, which would lie).
fn set_age(gauge: &prometheus::GaugeVec, labels: &[&str], age: Option<Duration>) {
    match age {
        Some(age) => gauge.with_label_values(labels).set(age.as_secs_f64()),
        None => {
            let _ = gauge.remove_label_values(labels);
        }
    }
}

/// Sets the gauges read at scrape time, then renders every metric.
async fn render_metrics(State(ops): State<Ops>) -> Response {
    let m = metrics::get();
    // Only the current top N of each cluster: a group that left it must not linger as a series.
    m.group_lag.reset();
    for name in ops.gateway.cluster_names() {
        let labels = [name.as_str()];
        let (top, total) = ops.history.top_lags(&name);
        for (group, lag) in top {
            m.group_lag
                .with_label_values(&[name.as_str(), group.as_str()])
                .set(lag);
        }
        match total {
            Some(total) => m.cluster_lag.with_label_values(&labels).set(total),
            None => {
                let _ = m.cluster_lag.remove_label_values(&labels);
            }
        }
        set_age(&m.lag_index_age, &labels, ops.gateway.lag_index_age(&name));
        let ago = ops.gateway.answered_ago(&name);
        set_age(&m.kafka_answer_age, &labels, ago);
        m.kafka_reachable
            .with_label_values(&labels)
            .set(i64::from(crate::kafka::reachable(ago)));
    }
    match ops.store.open_sessions(now_ms()).await {
        Ok(n) => m.sessions_open.set(i64::try_from(n).unwrap_or(i64::MAX)),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count sessions"),
    }
    match m.render() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
