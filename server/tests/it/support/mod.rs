//! Test helpers: the real router served in-process on 127.0.0.1:0, and unique Kafka names per test.

pub mod child;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::domain::reset::{ResetSpec, Scope, Strategy};
use leptos::prelude::LeptosOptions;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;
use rewind_server::config::Config;
use rewind_server::kafka::{GatewayOptions, KafkaGateway};
use rewind_server::router;

/// How often a counting server's clients report their requests.
pub const STATISTICS_INTERVAL: Duration = Duration::from_millis(100);

/// The configuration most tests serve: one cluster, `local`, on the test broker.
pub const LOCAL: &str = "[[clusters]]\nname = \"local\"\nbootstrap_servers = \"{bootstrap}\"\n";

/// A reset of one group on cluster `local`.
pub fn spec(group: &str, scope: Scope, strategy: Strategy) -> ResetSpec {
    ResetSpec {
        cluster: "local".into(),
        groups: vec![group.into()],
        scope,
        strategy,
    }
}

/// The broker the tests use; `scripts/test.sh` starts a fresh one and exports this.
pub fn bootstrap() -> String {
    std::env::var("REWIND_TEST_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn client_config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap());
    c
}

pub async fn create_topic(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = client_config().create().expect("admin client");
    let res = admin
        .create_topics(
            &[NewTopic::new(name, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .expect("CreateTopics request");
    for r in res {
        r.expect("topic created");
    }
    // CreateTopics answers once the controller has the topic; the broker's metadata image that the group
    // coordinator checks commits against can lag it, and a commit then fails with UnknownTopicOrPartition.
    let topic = name.to_owned();
    tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let md = admin
                .inner()
                .fetch_metadata(Some(&topic), Duration::from_secs(5))
                .expect("metadata");
            let ready = md.topics().iter().any(|t| {
                t.name() == topic
                    && t.error().is_none()
                    && t.partitions().len() == partitions as usize
                    && t.partitions()
                        .iter()
                        .all(|p| p.leader() >= 0 && p.error().is_none())
            });
            if ready {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "topic {topic} never became visible"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .expect("metadata wait");
}

/// Deletes `groups` (their members gone), asking again while the broker still counts a departing member.
/// Tests that leave many groups behind call it: the browser tests run on the same broker afterwards and
/// expect the demo groups on the groups list's first page.
pub async fn delete_groups(groups: &[String]) {
    let admin: AdminClient<DefaultClientContext> = client_config().create().expect("admin client");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut left: Vec<String> = groups.to_vec();
    while !left.is_empty() {
        let ids: Vec<&str> = left.iter().map(String::as_str).collect();
        let results = admin
            .delete_groups(&ids, &AdminOptions::new())
            .await
            .expect("DeleteGroups request");
        left = results
            .into_iter()
            .filter_map(|r| match r {
                Ok(_) | Err((_, rdkafka::types::RDKafkaErrorCode::GroupIdNotFound)) => None,
                Err((group, code)) => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "cannot delete group {group}: {code}"
                    );
                    Some(group)
                }
            })
            .collect();
        if !left.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// A running Rewind server over `config_toml` (with `{bootstrap}` replaced by the test broker).
pub struct TestServer {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// Where this server keeps its store (`rewind.db`).
    pub data_dir: std::path::PathBuf,
    /// The server's Kafka gateway, for its request counts (`start_counting`).
    pub gateway: Arc<KafkaGateway>,
}

impl TestServer {
    /// Sign-in off (`--insecure-no-auth`): for tests about everything but sign-in.
    pub async fn start(config_toml: &str) -> Self {
        Self::start_with(config_toml, true, GatewayOptions::default(), None).await
    }

    /// As `start`, serving the site's files from `site_root`.
    pub async fn start_with_site(config_toml: &str, site_root: &std::path::Path) -> Self {
        Self::start_with(
            config_toml,
            true,
            GatewayOptions::default(),
            Some(site_root),
        )
        .await
    }

    /// Sign-in on, as configured in `config_toml`.
    pub async fn start_secure(config_toml: &str) -> Self {
        Self::start_with(config_toml, false, GatewayOptions::default(), None).await
    }

    /// As `start`, with librdkafka statistics every 100 ms feeding `gateway.request_counts`.
    pub async fn start_counting(config_toml: &str) -> Self {
        let options = GatewayOptions {
            statistics_interval: Some(STATISTICS_INTERVAL),
        };
        Self::start_with(config_toml, true, options, None).await
    }

    async fn start_with(
        config_toml: &str,
        insecure: bool,
        options: GatewayOptions,
        site_root: Option<&std::path::Path>,
    ) -> Self {
        let dir = std::env::temp_dir().join(unique("rewind-config"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("rewind.toml");
        // Each server keeps its own store in its temp dir, never in the source tree. The lag sampler
        // runs only where a test asks for it: a pass over every group at each server's start is load
        // that timing-sensitive tests (sign-in throttling) need not share.
        let sampler = if config_toml.contains("[lag_history]") {
            ""
        } else {
            "[lag_history]\nenabled = false\n"
        };
        let toml = format!(
            "data_dir = \"{}\"\n{sampler}{}",
            dir.join("data").display(),
            config_toml.replace("{bootstrap}", &bootstrap())
        );
        std::fs::write(&path, toml).expect("write config");
        let mut config = Config::load(Some(&path)).expect("config loads");
        config.auth.insecure_no_auth = insecure;
        let gateway = Arc::new(KafkaGateway::with_options(&config, options).expect("gateway"));
        let services = router::services_with(&config, Arc::clone(&gateway)).expect("services");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        // The listen address is the name the server answers to (its Host allow-list).
        let options = LeptosOptions::builder()
            .output_name("rewind")
            .site_addr(addr)
            // Leptos's own default, the working directory, unless the test brings a site.
            .site_root(site_root.map_or_else(|| ".".to_owned(), |r| r.display().to_string()))
            .build();
        let app = router::build(options, services);
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("server runs");
        });
        Self {
            addr,
            http: reqwest::Client::new(),
            data_dir: config.data_dir.clone(),
            gateway,
        }
    }

    /// Broker requests sent since `before` (both from `gateway.request_counts`), per request type,
    /// once every client has reported (statistics come every `STATISTICS_INTERVAL`).
    pub async fn requests_since(&self, before: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
        tokio::time::sleep(STATISTICS_INTERVAL * 3).await;
        self.gateway
            .request_counts("local")
            .into_iter()
            .map(|(k, v)| (k.clone(), v - before.get(&k).copied().unwrap_or(0)))
            .filter(|(_, v)| *v != 0)
            .collect()
    }

    /// Calls a server function by its endpoint (`/api/<endpoint>`) with form-encoded arguments,
    /// as the browser does, and returns the status and the JSON body.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        self.form_as("", endpoint, form).await
    }

    /// Calls a server function whose input encoding is JSON.
    pub async fn call_json(
        &self,
        endpoint: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.call_as("", endpoint, body).await
    }

    /// Signs in with the password form as the browser does: `Ok(session cookie header)`, or the
    /// status and page of the refusal.
    pub async fn sign_in(&self, name: &str, password: &str) -> Result<SignedIn, (u16, String)> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let resp = client
            .post(format!("http://{}/login", self.addr))
            .header("origin", format!("http://{}", self.addr))
            .form(&[("name", name), ("password", password), ("next", "/")])
            .send()
            .await
            .expect("login request");
        let status = resp.status().as_u16();
        let set_cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("rewind_session=") || c.starts_with("__Host-rewind_session="))
            .map(str::to_owned);
        match (status, set_cookie) {
            (303, Some(set_cookie)) => Ok(SignedIn {
                cookie: set_cookie.split(';').next().unwrap_or_default().to_owned(),
                set_cookie,
            }),
            _ => Err((status, resp.text().await.unwrap_or_default())),
        }
    }

    /// Calls a JSON server function with a session cookie (`""`: none).
    pub async fn call_as(
        &self,
        cookie: &str,
        endpoint: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send_as(cookie, endpoint, |r| r.json(&body)).await
    }

    /// Calls a form-encoded server function with a session cookie (`""`: none).
    pub async fn form_as(
        &self,
        cookie: &str,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        self.send_as(cookie, endpoint, |r| r.form(form)).await
    }

    async fn send_as(
        &self,
        cookie: &str,
        endpoint: &str,
        body: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> (u16, serde_json::Value) {
        let mut req = body(
            self.http
                .post(format!("http://{}/api/{endpoint}", self.addr)),
        );
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        Self::read(req.send().await.expect("server function request")).await
    }

    async fn read(resp: reqwest::Response) -> (u16, serde_json::Value) {
        let status = resp.status().as_u16();
        let body = resp.text().await.expect("body");
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
        (status, json)
    }
}

/// A signed-in session: the `Cookie` header to send, and the `Set-Cookie` the server answered.
pub struct SignedIn {
    pub cookie: String,
    pub set_cookie: String,
}

/// The server crate's directory in the checkout being tested. Cargo sets it for `cargo test` runs;
/// the compile-time value is only a fallback, since a target directory shared by several checkouts
/// (as on a developer machine) can hand one checkout a test binary another one built.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Kafka's own `kafka-consumer-groups` (the reference oracle).
pub fn oracle() -> std::path::PathBuf {
    std::env::var_os("REWIND_KAFKA_CONSUMER_GROUPS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../scripts/kafka-consumer-groups"))
}

/// Runs the reference tool against the test broker: (exit code, stdout, stderr).
pub async fn run_oracle(args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(oracle())
        .arg("--bootstrap-server")
        .arg(bootstrap())
        .args(args)
        .output()
        .await
        .expect("run kafka-consumer-groups");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Produces `count` records to one partition, the i-th with timestamp `base_ts + i * step_ms`.
pub fn produce_timestamped(topic: &str, partition: i32, count: i64, base_ts: i64, step_ms: i64) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = client_config().create().expect("producer");
    for i in 0..count {
        let key = format!("k{i}");
        let value = format!("value-{i}");
        producer
            .send(
                BaseRecord::to(topic)
                    .partition(partition)
                    .key(&key)
                    .payload(&value)
                    .timestamp(base_ts + i * step_ms),
            )
            .expect("enqueue");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// Commits offsets for `group` as a simple consumer (the group must not have active members).
pub fn commit_offsets(group: &str, topic: &str, offsets: &[(i32, i64)]) {
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    let c: BaseConsumer = client_config()
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = rdkafka::TopicPartitionList::new();
    for (p, o) in offsets {
        tpl.add_partition_offset(topic, *p, rdkafka::Offset::Offset(*o))
            .expect("tpl");
    }
    c.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// The committed offsets of `group` on `topic`'s first `partitions` partitions (absent: none).
pub fn committed_offsets(
    group: &str,
    topic: &str,
    partitions: i32,
) -> std::collections::BTreeMap<i32, i64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let c: BaseConsumer = client_config()
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    got.elements()
        .iter()
        .filter_map(|e| match e.offset() {
            rdkafka::Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

/// Deletes the records of `topic`/`partition` before `offset` (moves the log start).
pub async fn delete_records(topic: &str, partition: i32, offset: i64) {
    let admin: AdminClient<DefaultClientContext> = client_config().create().expect("admin client");
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, rdkafka::Offset::Offset(offset))
        .expect("tpl");
    admin
        .delete_records(&tpl, &AdminOptions::new())
        .await
        .expect("DeleteRecords");
}

/// Runs `step` again and again on a thread of its own until dropped: a consumer that must keep
/// polling (to stay a member) or committing (to imitate one).
pub struct Background {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn spawn(mut step: impl FnMut() + Send + 'static) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                step();
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A consumer that joined `group` (subscribed to `topic`) and keeps polling on its own thread until
/// dropped, so the group stays Stable with it as a member.
pub struct LiveMember {
    _poller: Background,
}

impl LiveMember {
    /// Joins and waits until the member owns `partitions` partitions, then commits `commits` as the
    /// member (an active group accepts commits only from its members).
    pub fn join(
        group: &str,
        topic: &str,
        client_id: &str,
        partitions: usize,
        commits: &[(i32, i64)],
    ) -> Self {
        Self::join_with(group, topic, client_id, "classic", partitions, commits)
    }

    /// As `join`, with librdkafka's `group.protocol`: `classic`, or `consumer` for KIP-848 groups.
    pub fn join_with(
        group: &str,
        topic: &str,
        client_id: &str,
        protocol: &str,
        partitions: usize,
        commits: &[(i32, i64)],
    ) -> Self {
        use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
        let member: BaseConsumer = client_config()
            .set("group.id", group)
            .set("group.protocol", protocol)
            .set("client.id", client_id)
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer");
        member.subscribe(&[topic]).expect("subscribe");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while member.assignment().map(|a| a.count()).unwrap_or(0) < partitions {
            assert!(
                std::time::Instant::now() < deadline,
                "member never got its assignment"
            );
            let _ = member.poll(Duration::from_millis(100));
        }
        if !commits.is_empty() {
            let mut tpl = rdkafka::TopicPartitionList::new();
            for (p, o) in commits {
                tpl.add_partition_offset(topic, *p, rdkafka::Offset::Offset(*o))
                    .expect("tpl");
            }
            member.commit(&tpl, CommitMode::Sync).expect("commit");
        }
        Self {
            _poller: Background::spawn(move || {
                let _ = member.poll(Duration::from_millis(100));
            }),
        }
    }
}
