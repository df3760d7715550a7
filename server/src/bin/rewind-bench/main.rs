//! `rewind-bench`: builds a large cluster on a local broker (many groups, one very wide group) and prints
//! how fast Rewind reads it through its real HTTP endpoints: latency, broker requests per operation
//! (librdkafka's own counters), response size, and the server's RSS. Figures, not assertions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use leptos::prelude::LeptosOptions;
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rewind_server::config::Config;
use rewind_server::kafka::{client_config, native, GatewayOptions, KafkaGateway, FRESH_FOR};
use rewind_server::router;

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
            "data_dir = \"{}\"\n[[clusters]]\nname = \"local\"\nbootstrap_servers = \"{}\"\n",
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
    setup(&cluster, &args).await?;
    println!("setup: {:.1} s", t.elapsed().as_secs_f64());

    let gateway = Arc::new(KafkaGateway::with_options(
        &config,
        GatewayOptions {
            statistics_interval: Some(Duration::from_millis(100)),
        },
    )?);
    let services = router::services_with(&config, gateway.clone())?;
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
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");

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
    ];

    println!();
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>10}  broker requests per run (librdkafka counters)",
        "operation", "min ms", "median", "max ms", "bytes"
    );
    for (name, req) in &ops {
        let mut times = Vec::with_capacity(args.runs);
        let mut bytes = 0usize;
        let mut requests = BTreeMap::new();
        for run in 0..args.runs {
            settle().await;
            let before = gateway.request_counts("local");
            let t = Instant::now();
            let (status, body) = req.send(&http, &base).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                return Err(format!(
                    "{name}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                )
                .into());
            }
            bytes = body.len();
            if run == 0 {
                settle().await;
                requests = diff(&before, &gateway.request_counts("local"));
            }
        }
        print_row(name, times, bytes, &requests);
    }

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

    bench_resets(&http, &base, &gateway, &args).await?;

    time_oracle(&args, "--describe", &["--describe", "--group", WIDE_GROUP]).await?;
    println!();
    println!(
        "server RSS (in-process, includes the bench client): {} MiB",
        rss_kib().unwrap_or(0) / 1024
    );
    Ok(())
}

/// Preview and execute over the wide group, next to Kafka's own tool on the same broker and group.
async fn bench_resets(
    http: &reqwest::Client,
    base: &str,
    gateway: &KafkaGateway,
    args: &Args,
) -> BenchResult<()> {
    use app::domain::execution::{ExecuteReport, Preview};
    use app::domain::reset::{ResetSpec, Scope, Strategy};
    let spec = |strategy: Strategy| ResetSpec {
        cluster: "local".into(),
        groups: vec![WIDE_GROUP.into()],
        scope: Scope::AllTopics,
        strategy,
    };
    let post = |endpoint: &'static str, body: serde_json::Value| {
        let request = http.post(format!("{base}/api/{endpoint}")).json(&body);
        async move {
            let resp = request.send().await?;
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await?.to_vec();
            if status != 200 {
                return Err::<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>(
                    format!(
                        "{endpoint}: HTTP {status}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
                    )
                    .into(),
                );
            }
            Ok(bytes)
        }
    };
    println!();
    println!(
        "resets on {WIDE_GROUP} ({} partitions, all committed):",
        args.partitions
    );
    let shift = spec(Strategy::ShiftBy { shift: -1 });
    let at = spec(Strategy::ToDatetime {
        input: "2020-01-01T00:00:00.000".into(),
        zone: None,
    });
    for (name, s) in [
        ("preview shift-by -1", &shift),
        ("preview to-datetime", &at),
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        let mut requests = BTreeMap::new();
        for run in 0..args.runs {
            settle().await;
            let before = gateway.request_counts("local");
            let t = Instant::now();
            let body = post("plans/preview", serde_json::json!({ "spec": s })).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            bytes = body.len();
            if run == 0 {
                settle().await;
                requests = diff(&before, &gateway.request_counts("local"));
            }
        }
        print_row(name, times, bytes, &requests);
    }
    time_oracle(
        args,
        "--dry-run",
        &[
            "--group",
            WIDE_GROUP,
            "--reset-offsets",
            "--all-topics",
            "--shift-by",
            "-1",
            "--dry-run",
        ],
    )
    .await?;
    // Execute (backup, one commit, read back, record), then undo it the same way.
    let preview: Preview = serde_json::from_slice(
        &post("plans/preview", serde_json::json!({ "spec": shift })).await?,
    )?;
    settle().await;
    let before = gateway.request_counts("local");
    let t = Instant::now();
    let report: ExecuteReport = serde_json::from_slice(
        &post(
            "executions/execute",
            serde_json::json!({ "spec": shift, "fingerprint": preview.plan.fingerprint }),
        )
        .await?,
    )?;
    let took = t.elapsed().as_secs_f64() * 1000.0;
    settle().await;
    let requests = diff(&before, &gateway.request_counts("local"));
    let e = &report.executions[0];
    println!(
        "{:<34} {:>9.1}  ({:?}, {} partitions verified)  {}",
        "execute shift-by -1",
        took,
        e.status,
        e.partitions.iter().filter(|p| p.verified()).count(),
        format_requests(&requests)
    );
    let undo = spec(Strategy::RestoreBackup { execution: e.id });
    let t = Instant::now();
    let preview: Preview =
        serde_json::from_slice(&post("plans/preview", serde_json::json!({ "spec": undo })).await?)?;
    let report: ExecuteReport = serde_json::from_slice(
        &post(
            "executions/execute",
            serde_json::json!({ "spec": undo, "fingerprint": preview.plan.fingerprint }),
        )
        .await?,
    )?;
    println!(
        "{:<34} {:>9.1}  ({:?})",
        "undo (preview + execute)",
        t.elapsed().as_secs_f64() * 1000.0,
        report.executions[0].status
    );
    time_oracle(
        args,
        "--execute",
        &[
            "--group",
            WIDE_GROUP,
            "--reset-offsets",
            "--all-topics",
            "--to-current",
            "--execute",
        ],
    )
    .await?;
    Ok(())
}

/// One line of figures: min, median and max of `times` (ms), response bytes, broker requests.
fn print_row(name: &str, mut times: Vec<f64>, bytes: usize, requests: &BTreeMap<String, i64>) {
    times.sort_by(f64::total_cmp);
    println!(
        "{:<34} {:>9.1} {:>9.1} {:>9.1} {:>10}  {}",
        name,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        bytes,
        format_requests(requests)
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

    async fn send(&self, http: &reqwest::Client, base: &str) -> BenchResult<(u16, Vec<u8>)> {
        let resp = match self {
            Self::Post { endpoint, form } => {
                http.post(format!("{base}/api/{endpoint}"))
                    .form(form)
                    .send()
                    .await?
            }
            Self::Get { path } => http.get(format!("{base}{path}")).send().await?,
        };
        let status = resp.status().as_u16();
        Ok((status, resp.bytes().await?.to_vec()))
    }
}

/// Creates what is missing: the topics, their records, and the groups' commits (re-committing is harmless).
async fn setup(cluster: &rewind_server::config::ClusterConfig, args: &Args) -> BenchResult<()> {
    let admin: Arc<AdminClient<DefaultClientContext>> = Arc::new(client_config(cluster).create()?);
    // KRaft controllers refuse to create more than 2,000 partitions in one request (by default):
    // create the wide topic at that size and grow it in steps.
    const STEP: i32 = 2_000;
    let topics = [
        NewTopic::new(
            WIDE_TOPIC,
            args.partitions.min(STEP),
            TopicReplication::Fixed(1),
        ),
        NewTopic::new(SMALL_TOPIC, 1, TopicReplication::Fixed(1)),
    ];
    let opts = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(300)))
        .request_timeout(Some(Duration::from_secs(300)));
    let t = Instant::now();
    let mut fresh = Vec::new();
    for r in admin.create_topics(&topics, &opts).await? {
        match r {
            Ok(name) => fresh.push(name),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(format!("cannot create {name}: {code}").into()),
        }
    }
    if fresh.iter().any(|n| n == WIDE_TOPIC) {
        let mut size = args.partitions.min(STEP);
        while size < args.partitions {
            size = (size + STEP).min(args.partitions);
            let grow = NewPartitions::new(WIDE_TOPIC, usize::try_from(size)?);
            for r in admin.create_partitions(&[grow], &opts).await? {
                r.map_err(|(name, code)| {
                    format!("cannot grow {name} to {size} partitions: {code}")
                })?;
            }
        }
        // New partitions reach the producer's metadata with its next refresh; give the broker a moment.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    println!(
        "  topics ready in {:.1} s (created: {fresh:?})",
        t.elapsed().as_secs_f64()
    );

    if fresh.iter().any(|n| n == WIDE_TOPIC) {
        let t = Instant::now();
        let producer: BaseProducer = client_config(cluster).set("linger.ms", "50").create()?;
        // A topic grown in steps reaches every broker's metadata a little later; the producer would
        // otherwise see too few partitions and wait for its next periodic refresh (minutes).
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let seen = producer
                .client()
                .fetch_metadata(Some(WIDE_TOPIC), Duration::from_secs(10))?
                .topics()
                .first()
                .map_or(0, |t| t.partitions().len());
            if seen >= usize::try_from(args.partitions)? {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{WIDE_TOPIC} shows {seen} partitions after 2 minutes").into());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        for p in 0..args.partitions {
            // Two records a partition: committing offset 1 leaves a lag of 1 with a record to read.
            for i in 0..2 {
                let key = format!("k{p}-{i}");
                loop {
                    match producer.send(
                        BaseRecord::to(WIDE_TOPIC)
                            .partition(p)
                            .key(&key)
                            .payload("v"),
                    ) {
                        Ok(()) => break,
                        Err((_, _)) => {
                            producer.poll(Duration::from_millis(20));
                        }
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(120))?;
        println!(
            "  produced {} records in {:.1} s",
            2 * i64::from(args.partitions),
            t.elapsed().as_secs_f64()
        );
    }

    let wide: Vec<(String, i32, i64)> = (0..args.partitions)
        .map(|p| (WIDE_TOPIC.to_owned(), p, 1))
        .collect();
    let many: Vec<native::GroupOffsets> = (0..args.groups)
        .map(|i| {
            (
                format!("{GROUP_PREFIX}{i:05}"),
                vec![(SMALL_TOPIC.to_owned(), 0, 0)],
            )
        })
        .collect();
    // On a fresh broker the first commit also creates and loads __consumer_offsets, which waits behind
    // the controller's backlog of new partitions: wait until a one-partition commit goes through.
    let warm = Arc::clone(&admin);
    let t = Instant::now();
    tokio::task::spawn_blocking(move || {
        let rk = native::handle(warm.inner())?;
        let probe = vec![(
            format!("{GROUP_PREFIX}warm-up"),
            vec![(SMALL_TOPIC.to_owned(), 0, 0)],
        )];
        loop {
            match native::alter_committed_offsets(rk, &probe, None, Duration::from_secs(10), 1)?
                .pop()
            {
                Some(Ok(refused)) if refused.is_empty() => return Ok::<_, native::NativeError>(()),
                _ if t.elapsed() > Duration::from_secs(300) => {
                    return Err(native::NativeError {
                        operation: "warm-up commit",
                        code: RDKafkaErrorCode::OperationTimedOut,
                        message: "the group coordinator was not ready within 5 minutes".into(),
                    })
                }
                _ => std::thread::sleep(Duration::from_millis(500)),
            }
        }
    })
    .await??;
    println!(
        "  group coordinator ready after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let committer = Arc::clone(&admin);
    let t = Instant::now();
    let (wide_result, many_results) = tokio::task::spawn_blocking(move || {
        let rk = native::handle(committer.inner())?;
        let timeout = Duration::from_secs(120);
        let wide = native::alter_committed_offsets(
            rk,
            &[(WIDE_GROUP.to_owned(), wide)],
            Some("rewind-bench"),
            timeout,
            1,
        )?;
        let many = native::alter_committed_offsets(rk, &many, Some("rewind-bench"), timeout, 64)?;
        Ok::<_, native::NativeError>((wide, many))
    })
    .await??;
    match wide_result.first() {
        Some(Ok(refused)) if refused.is_empty() => {
            println!(
                "  committed {} partitions of {WIDE_GROUP} in one request",
                args.partitions
            )
        }
        Some(Ok(refused)) => {
            return Err(format!(
                "committing {WIDE_GROUP}: the broker refused {} partitions (first: {:?})",
                refused.len(),
                refused.first()
            )
            .into())
        }
        Some(Err(e)) => return Err(format!("committing {WIDE_GROUP} failed: {e}").into()),
        None => return Err(format!("committing {WIDE_GROUP}: no result").into()),
    }
    let failures: Vec<String> = many_results
        .iter()
        .filter_map(|r| match r {
            Ok(refused) if refused.is_empty() => None,
            Ok(refused) => Some(format!(
                "{} partitions refused, first {:?}",
                refused.len(),
                refused.first()
            )),
            Err(e) => Some(e.to_string()),
        })
        .collect();
    println!(
        "  committed offsets in {:.1} s; {} of {} groups failed{}",
        t.elapsed().as_secs_f64(),
        failures.len(),
        args.groups,
        failures
            .first()
            .map(|f| format!(" (first: {f})"))
            .unwrap_or_default()
    );
    drop(admin);
    Ok(())
}
