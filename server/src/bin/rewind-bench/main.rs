//! `rewind-bench`: builds a large cluster on a local broker (many groups, one very wide group) and prints
//! how fast Rewind reads it through its real HTTP endpoints: latency, broker requests per operation
//! (librdkafka's own counters), response size, and the server's RSS. Figures, not assertions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use leptos::prelude::LeptosOptions;
use rewind_server::config::Config;
use rewind_server::kafka::{GatewayOptions, KafkaGateway, FRESH_FOR};
use rewind_server::router;

mod history;
mod resets;
mod setup;
mod viewers;

#[derive(Parser)]
#[command(
    name = "rewind-bench",
    about = "Measures Rewind against a large cluster on a local broker"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9092")]
    bootstrap: String,
    /// Consumer groups to create (each commits one partition).
    #[arg(long, default_value_t = 10_000)]
    groups: usize,
    /// Partitions of the wide topic, all committed by one group.
    #[arg(long, default_value_t = 10_000)]
    partitions: i32,
    /// Timed runs per operation.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Also time Kafka's own `kafka-consumer-groups --describe` on the wide group (path to the wrapper).
    #[arg(long)]
    oracle: Option<String>,
    /// Seconds each round of the many-viewers benchmark (1, 10 and 100 viewers) lasts.
    #[arg(long, default_value_t = 10)]
    viewer_seconds: u64,
    /// Share of groups whose lag changes at every sample in the lag-history storage week (0.01: 1 %).
    #[arg(long, default_value_t = 0.01)]
    history_active_share: f64,
}

const WIDE_TOPIC: &str = "rewind-bench-wide";
/// Kept short on purpose: a group's commit is one __consumer_offsets batch capped at ~1 MiB, and the
/// records librdkafka 2.12 writes for 10,000 partitions under a 23-character id exceed it (Kafka's own
/// tool still fits). Measured while building this bench; see the project notes.
const WIDE_GROUP: &str = "rb-wide";
const SMALL_TOPIC: &str = "rewind-bench-small";
const GROUP_PREFIX: &str = "rewind-bench-g-";

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> BenchResult<()> {
    // The server's own logs, when asked for (BENCH_LOG=rewind_server=debug); quiet otherwise.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("BENCH_LOG") {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("rewind-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("rewind.toml");
    std::fs::write(
        &path,
        format!(
            // The sampler is timed on its own (`history`), never in the background of other figures.
            "data_dir = \"{}\"\n[lag_history]\nenabled = false\n[[clusters]]\nname = \"local\"\nbootstrap_servers = \"{}\"\n",
            dir.join("data").display(),
            args.bootstrap
        ),
    )?;
    let mut config = Config::load(Some(&path))?;
    // The benchmark measures Kafka reads, not sign-in.
    config.auth.insecure_no_auth = true;
    let cluster = config.clusters[0].clone();

    println!(
        "rewind-bench: {} groups, one group over {} partitions, on {}",
        args.groups, args.partitions, args.bootstrap
    );
    let t = Instant::now();
    setup::setup(&cluster, &args).await?;
    println!("setup: {:.1} s", t.elapsed().as_secs_f64());

    let gateway = Arc::new(KafkaGateway::with_options(
        &config,
        GatewayOptions {
            statistics_interval: Some(Duration::from_millis(100)),
        },
    )?);
    let base = serve(&config, gateway.clone()).await?;
    let http = reqwest::Client::new();

    let search_one = format!("{GROUP_PREFIX}{:05}", args.groups / 2);
    let search_many = format!("{GROUP_PREFIX}{:03}", (args.groups / 2) / 100);
    let ops: Vec<(&str, Request)> = vec![
        (
            "first page of groups (50 of all)",
            Request::post("groups/list", &[("cluster", "local")]),
        ),
        (
            "search, 1 match",
            Request::post(
                "groups/list",
                &[("cluster", "local"), ("search", &search_one)],
            ),
        ),
        (
            "search, ~100 matches",
            Request::post(
                "groups/list",
                &[("cluster", "local"), ("search", &search_many)],
            ),
        ),
        (
            "wide group: describe (data)",
            Request::post(
                "groups/describe",
                &[("cluster", "local"), ("group", WIDE_GROUP)],
            ),
        ),
        (
            "wide group: page (SSR HTML)",
            Request::get(&format!("/group?cluster=local&id={WIDE_GROUP}")),
        ),
        (
            "wide group: lag in time (after)",
            Request::post(
                "groups/record-times",
                &[("cluster", "local"), ("group", WIDE_GROUP)],
            ),
        ),
    ];

    println!();
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10}  broker requests per run (librdkafka counters)",
        "operation", "first ms", "min ms", "median", "max ms", "bytes", "wire (br)"
    );
    for ((name, req), timed) in ops
        .iter()
        .zip(time_runs(&ops, &http, &base, args.runs, Some(&gateway)).await?)
    {
        let (_, plain) = req.send(&http, &base).await?;
        print_row(name, &timed, plain.len());
    }

    // The row above pays for the counters: a consumer of 10,000 partitions builds megabytes of librdkafka
    // statistics every 100 ms, parsed inside the read's own poll loop. Time the same read as `rewind serve`
    // runs, without statistics, on a server of its own (own data directory; asked nothing else, so it
    // builds no groups index in the background).
    let plain_config = Config {
        data_dir: dir.join("data-plain"),
        ..config.clone()
    };
    let plain = serve(&plain_config, Arc::new(KafkaGateway::new(&plain_config)?)).await?;
    let record_times = Request::post(
        "groups/record-times",
        &[("cluster", "local"), ("group", WIDE_GROUP)],
    );
    let name = "  same, no librdkafka statistics";
    let timed = time_runs(
        &[(name, record_times.clone())],
        &http,
        &plain,
        args.runs,
        None,
    )
    .await?;
    let (_, body) = record_times.send(&http, &plain).await?;
    print_row(name, &timed[0], body.len());

    // Sorting by lag needs the lag of every group: time the background index build end to end.
    let t = Instant::now();
    let before = gateway.request_counts("local");
    let sort = Request::post("groups/list", &[("cluster", "local"), ("sort", "Lag")]);
    loop {
        let (status, body) = sort.send(&http, &base).await?;
        let page: serde_json::Value = serde_json::from_slice(&body)?;
        if status != 200 {
            return Err(format!("sort by lag: HTTP {status}: {page}").into());
        }
        if !page["lag_index"]["as_of"].is_null() {
            break;
        }
        if t.elapsed() > Duration::from_secs(600) {
            return Err("the lag index did not finish within 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let built = t.elapsed().as_secs_f64() * 1000.0;
    settle().await;
    let requests = diff(&before, &gateway.request_counts("local"));
    let reqs = format_requests(&requests);
    println!(
        "{:<34} {:>9.1}  (one run, every group; polled every 100 ms)  {reqs}",
        "lag index for sort by lag", built
    );
    let t = Instant::now();
    let (status, _) = sort.send(&http, &base).await?;
    println!(
        "{:<34} {:>9.1}  (HTTP {status})",
        "first page sorted by lag (indexed)",
        t.elapsed().as_secs_f64() * 1000.0
    );

    let viewed = format!("{GROUP_PREFIX}{:05}", 0);
    viewers::bench_viewers(&http, &base, &gateway, &viewed, args.viewer_seconds).await?;

    resets::bench_resets(&http, &base, &gateway, &args).await?;

    time_oracle(&args, "--describe", &["--describe", "--group", WIDE_GROUP]).await?;
    history::bench_history(
        gateway.clone(),
        &dir,
        args.groups,
        args.runs,
        args.history_active_share,
    )
    .await?;
    println!();
    println!(
        "server RSS (in-process, includes the bench client): {} MiB",
        rss_kib().unwrap_or(0) / 1024
    );
    Ok(())
}

/// One operation's figures from `time_runs`.
#[derive(Default)]
struct Timed {
    /// The untimed warm-up request (ms): the first wide read after a server or broker start pays for
    /// cold caches (metadata of 10,000 partitions, the broker's JIT), which says nothing of the next.
    first: Option<f64>,
    /// The timed runs (ms).
    times: Vec<f64>,
    /// The answer's size on the wire (compressed).
    wire: usize,
    /// Broker requests of the first timed run, when counted.
    requests: BTreeMap<String, i64>,
}

/// Times `ops` against `base` as a browser asks them (compressed: the times include the server's
/// compression), one operation after the other: one untimed warm-up request, then `runs` timed ones,
/// each request after `settle`. With `counted`, the broker requests of each operation's first timed run
/// on that gateway.
async fn time_runs(
    ops: &[(&str, Request)],
    http: &reqwest::Client,
    base: &str,
    runs: usize,
    counted: Option<&KafkaGateway>,
) -> BenchResult<Vec<Timed>> {
    let mut timed = Vec::with_capacity(ops.len());
    for (name, req) in ops {
        let mut row = Timed::default();
        for run in 0..=runs {
            settle().await;
            let before = counted.map(|g| g.request_counts("local"));
            let t = Instant::now();
            let (status, body) = req.send_compressed(http, base).await?;
            let took = t.elapsed().as_secs_f64() * 1000.0;
            if status != 200 {
                return Err(format!(
                    "{name}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                )
                .into());
            }
            if run == 0 {
                row.first = Some(took);
                continue;
            }
            row.times.push(took);
            row.wire = body.len();
            if let (1, Some(gateway), Some(before)) = (run, counted, before) {
                settle().await;
                row.requests = diff(&before, &gateway.request_counts("local"));
            }
        }
        timed.push(row);
    }
    Ok(timed)
}

/// Serves Rewind on `gateway` on a free local port; its base URL.
async fn serve(config: &Config, gateway: Arc<KafkaGateway>) -> BenchResult<String> {
    let services = router::services_with(config, gateway)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let options = LeptosOptions::builder()
        .output_name("rewind")
        .site_addr(addr)
        .build();
    let app = router::build(options, services);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        {
            eprintln!("server stopped: {e}");
        }
    });
    Ok(format!("http://{addr}"))
}

/// One line of figures: the warm-up's time, min, median and max of the timed runs (ms), the answer's
/// bytes (uncompressed, and on the wire as a browser gets it), broker requests.
fn print_row(name: &str, timed: &Timed, bytes: usize) {
    let mut times = timed.times.clone();
    times.sort_by(f64::total_cmp);
    let first = timed
        .first
        .map_or_else(|| "-".to_owned(), |f| format!("{f:.1}"));
    println!(
        "{:<34} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>10} {:>10}  {}",
        name,
        first,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        bytes,
        timed.wire,
        format_requests(&timed.requests)
    );
}

/// Times one run of Kafka's own tool (JVM start included) with `tool_args`, when `--oracle` is given.
async fn time_oracle(args: &Args, label: &str, tool_args: &[&str]) -> BenchResult<()> {
    let Some(oracle) = &args.oracle else {
        return Ok(());
    };
    let t = Instant::now();
    let out = tokio::process::Command::new(oracle)
        .args(["--bootstrap-server", &args.bootstrap])
        .args(tool_args)
        .output()
        .await?;
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with(WIDE_GROUP))
        .count();
    println!(
        "{:<34} {:>9.1}  (one run, includes JVM start; {rows} rows printed; {})",
        format!("kafka-consumer-groups {label}"),
        t.elapsed().as_secs_f64() * 1000.0,
        out.status
    );
    Ok(())
}

/// Waits for librdkafka's next statistics so counters before and after an operation are its own, and
/// for answers pages share (`FRESH_FOR`) to go stale, so every timed run reads Kafka.
async fn settle() {
    tokio::time::sleep(FRESH_FOR + Duration::from_millis(350)).await;
}

fn diff(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    after
        .iter()
        .filter_map(|(k, v)| {
            let d = v - before.get(k).copied().unwrap_or(0);
            (d > 0).then(|| (k.clone(), d))
        })
        .collect()
}

/// `ListOffsets=2 Metadata=1`, or `-` when no request was counted.
fn format_requests(requests: &BTreeMap<String, i64>) -> String {
    if requests.is_empty() {
        return "-".into();
    }
    requests
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[derive(Clone)]
enum Request {
    Post {
        endpoint: String,
        form: Vec<(String, String)>,
    },
    Get {
        path: String,
    },
    /// A server function that takes a JSON body (plans, executions).
    Json {
        endpoint: String,
        body: serde_json::Value,
    },
}

impl Request {
    fn post(endpoint: &str, form: &[(&str, &str)]) -> Self {
        Self::Post {
            endpoint: endpoint.into(),
            form: form
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn get(path: &str) -> Self {
        Self::Get { path: path.into() }
    }

    fn json(endpoint: &str, body: serde_json::Value) -> Self {
        Self::Json {
            endpoint: endpoint.into(),
            body,
        }
    }

    async fn send(&self, http: &reqwest::Client, base: &str) -> BenchResult<(u16, Vec<u8>)> {
        self.send_with(http, base, None).await
    }

    /// As a browser asks (brotli accepted); the body stays compressed, so its length is the wire size.
    async fn send_compressed(
        &self,
        http: &reqwest::Client,
        base: &str,
    ) -> BenchResult<(u16, Vec<u8>)> {
        self.send_with(http, base, Some("gzip, deflate, br")).await
    }

    async fn send_with(
        &self,
        http: &reqwest::Client,
        base: &str,
        accept: Option<&str>,
    ) -> BenchResult<(u16, Vec<u8>)> {
        let request = match self {
            Self::Post { endpoint, form } => http.post(format!("{base}/api/{endpoint}")).form(form),
            Self::Get { path } => http.get(format!("{base}{path}")),
            Self::Json { endpoint, body } => http.post(format!("{base}/api/{endpoint}")).json(body),
        };
        let request = match accept {
            Some(accept) => request.header("accept-encoding", accept),
            None => request,
        };
        let resp = request.send().await?;
        let status = resp.status().as_u16();
        Ok((status, resp.bytes().await?.to_vec()))
    }
}
