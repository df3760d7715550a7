//! Rewind's Prometheus metrics: one registry, what records into it, and its text exposition.
//!
//! Labels are bounded on purpose: endpoints are the router's own route patterns (`/plans/{id}`, each
//! server function's path), whatever matched no route is `other` (static files `/pkg/*`), clusters
//! come from the config, error kinds from `AppError`'s tags. Group ids, users, topics and raw request
//! paths never become labels: they are unbounded, anyone can send them, and some are other teams'
//! business.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use app::error::AppError;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{GaugeVec, IntGaugeVec};
use prometheus::{
    HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Seconds: from a cached page answer (~1 ms) to a 10,000-partition execute (~10 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    kafka_operations: IntCounterVec,
    kafka_errors: IntCounterVec,
    kafka_seconds: HistogramVec,
    executions: IntCounterVec,
    /// Set when scraped.
    pub lag_index_age: GaugeVec,
    pub kafka_answer_age: GaugeVec,
    pub kafka_reachable: IntGaugeVec,
    pub sessions_open: IntGauge,
    pub lag_sample_seconds: HistogramVec,
    /// The groups with most lag at the last sample, top N per cluster (bounded cardinality).
    pub group_lag: IntGaugeVec,
    pub cluster_lag: IntGaugeVec,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

pub fn get() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let registry =
            Registry::new_custom(Some("rewind".into()), None).unwrap_or_else(|_| Registry::new());
        let counter = |name: &str, help: &str, labels: &[&str]| {
            registered(&registry, IntCounterVec::new(Opts::new(name, help), labels))
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
            registered(&registry, HistogramVec::new(opts, labels))
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            registered(&registry, GaugeVec::new(Opts::new(name, help), labels))
        };
        let kafka_reachable = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "kafka_reachable",
                    "1 when the cluster answered within the readiness window, else 0.",
                ),
                &["cluster"],
            ),
        );
        let sessions_open = registered(
            &registry,
            IntGauge::new("sessions_open", "Unexpired sign-in sessions in the store."),
        );
        let int_gauge = |name: &str, help: &str, labels: &[&str]| {
            registered(&registry, IntGaugeVec::new(Opts::new(name, help), labels))
        };
        Self {
            lag_sample_seconds: histogram(
                "lag_sample_duration_seconds",
                "Time a lag-sampling pass over every group of a cluster took.",
                &["cluster"],
            ),
            group_lag: int_gauge(
                "group_lag_records",
                "Lag in records at the last sample of the groups with the most lag (top N per cluster, [lag_history] metrics_top).",
                &["cluster", "group"],
            ),
            cluster_lag: int_gauge(
                "cluster_lag_records",
                "Lag in records of every group of the cluster, summed, at the last sample.",
                &["cluster"],
            ),
            http_requests: counter(
                "http_requests_total",
                "HTTP requests answered, by endpoint and status.",
                &["endpoint", "status"],
            ),
            http_seconds: histogram(
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by endpoint.",
                &["endpoint"],
            ),
            kafka_operations: counter(
                "kafka_operations_total",
                "Kafka operations (one or more batched broker requests), by cluster and kind.",
                &["cluster", "operation"],
            ),
            kafka_errors: counter(
                "kafka_errors_total",
                "Kafka operations that failed, by cluster, kind and error.",
                &["cluster", "operation", "error"],
            ),
            kafka_seconds: histogram(
                "kafka_operation_duration_seconds",
                "Time a Kafka operation took, by cluster and kind.",
                &["cluster", "operation"],
            ),
            executions: counter(
                "executions_total",
                "Executions and undos that finished, by result.",
                &["result"],
            ),
            lag_index_age: gauge(
                "lag_index_age_seconds",
                "Age of the newest complete lag index (sorting by lag), by cluster; absent before the first.",
                &["cluster"],
            ),
            kafka_answer_age: gauge(
                "kafka_last_answer_age_seconds",
                "Seconds since the cluster last answered a request; absent before the first answer.",
                &["cluster"],
            ),
            kafka_reachable,
            sessions_open,
            registry,
        }
    }

    /// One Kafka operation's outcome.
    pub fn kafka(&self, cluster: &str, operation: &str, took: Duration, error: Option<&AppError>) {
        self.kafka_operations
            .with_label_values(&[cluster, operation])
            .inc();
        self.kafka_seconds
            .with_label_values(&[cluster, operation])
            .observe(took.as_secs_f64());
        if let Some(e) = error {
            self.kafka_errors
                .with_label_values(&[cluster, operation, &error_kind(e)])
                .inc();
        }
    }

    pub fn execution_finished(&self, result: &str) {
        self.executions.with_label_values(&[result]).inc();
    }

    /// Everything in Prometheus' text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        TextEncoder::new().encode_to_string(&self.registry.gather())
    }
}

/// Registers a metric made from constant names and help texts: failing to make one is a programming
/// error, which the unit tests (they build every metric) catch.
fn registered<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    made: prometheus::Result<M>,
) -> M {
    let metric = made.unwrap_or_else(|e| panic!("invalid metric definition: {e}"));
    if let Err(e) = registry.register(Box::new(metric.clone())) {
        tracing::error!(error = %e, "cannot register a metric");
    }
    metric
}

/// The `kind` tag `AppError` is serialised with (`broker_unreachable`, ...): one source for names.
fn error_kind(e: &AppError) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(str::to_owned)))
        .unwrap_or_else(|| "unknown".into())
}

/// The endpoint label of a request: the route it matched (a pattern, never the raw path), else
/// `/pkg/*` for the site's files and `other` for everything else, so no request can add a label.
fn endpoint(matched: Option<&str>, path: &str) -> String {
    match matched {
        Some(route) => route.to_owned(),
        None if path.starts_with("/pkg/") => "/pkg/*".into(),
        None => "other".into(),
    }
}

/// Counts and times every request (outermost layer: it sees refusals and the final status). Added
/// with `Router::layer`, it runs per route, after routing, so the matched route is known.
pub async fn track(request: Request, next: Next) -> Response {
    let endpoint = endpoint(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
        request.uri().path(),
    );
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    let m = get();
    m.http_requests
        .with_label_values(&[endpoint.as_str(), status.as_str()])
        .inc();
    m.http_seconds
        .with_label_values(&[endpoint.as_str()])
        .observe(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded_and_errors_are_named_by_their_tag() {
        let api = "/api/groups/describe";
        assert_eq!(endpoint(Some(api), api), api);
        assert_eq!(
            endpoint(Some("/plans/{id}"), "/plans/abc123"),
            "/plans/{id}"
        );
        assert_eq!(endpoint(None, "/pkg/rewind.wasm"), "/pkg/*");
        assert_eq!(endpoint(None, "/wp-admin/x.php"), "other");
        let e = AppError::UnknownCluster {
            cluster: "x".into(),
        };
        assert_eq!(error_kind(&e), "unknown_cluster");
    }

    #[test]
    fn renders_prometheus_text() {
        let m = get();
        m.kafka("local", "describe-group", Duration::from_millis(3), None);
        m.execution_finished("succeeded");
        let text = m.render().unwrap_or_default();
        assert!(
            text.contains(
                "rewind_kafka_operations_total{cluster=\"local\",operation=\"describe-group\"}"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE rewind_kafka_operation_duration_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("rewind_executions_total{result=\"succeeded\"}"),
            "{text}"
        );
    }
}
