//! Consumer groups as Rewind's server functions report them, against the real broker.

use std::time::{Duration, Instant};

use crate::support::{
    commit_offsets, create_topic, delete_groups, unique, LiveMember, TestServer, LOCAL,
};
use app::domain::groups::RecordTime;
use app::domain::{GroupDetail, GroupPage, GroupState, GroupType};
use rewind_server::kafka::FRESH_FOR;

async fn list_groups(server: &TestServer, form: &[(&str, &str)]) -> GroupPage {
    let (status, json) = server.call("groups/list", form).await;
    assert_eq!(status, 200, "groups/list failed: {json}");
    serde_json::from_value(json).expect("GroupPage")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_a_live_group_as_stable_and_a_committed_one_as_empty() {
    let server = TestServer::start(LOCAL).await;
    let topic = unique("it-topic");
    let live = unique("it-live");
    let idle = unique("it-idle");

    // Nothing of ours exists before we create it.
    for id in [&live, &idle] {
        let before = list_groups(&server, &[("cluster", "local"), ("search", id)]).await;
        assert_eq!(before.matched, 0, "{id} exists already");
    }

    create_topic(&topic, 3).await;
    commit_offsets(&idle, &topic, &[(0, 0), (1, 0), (2, 0)]);
    let _member = LiveMember::join(&live, &topic, "it-live-member", 0, &[]);

    // Joining takes a moment (metadata, JoinGroup, SyncGroup): wait for the state, bounded.
    let deadline = Instant::now() + Duration::from_secs(60);
    let live_g = loop {
        let list = list_groups(&server, &[("cluster", "local"), ("search", &live)]).await;
        let g = list.groups.into_iter().find(|g| g.group_id == live);
        if g.as_ref().is_some_and(|g| g.state == GroupState::Stable) || Instant::now() > deadline {
            break g.expect("live group listed");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(live_g.state, GroupState::Stable);
    assert_eq!(live_g.members, Some(1));
    assert_eq!(live_g.group_type, GroupType::Classic);
    assert!(!live_g.simple);
    // A single broker is every group's coordinator (node.id=1 in scripts/kafka.sh).
    assert_eq!(live_g.coordinator, Some(1));

    let list = list_groups(&server, &[("cluster", "local"), ("search", &idle)]).await;
    let idle_g = list
        .groups
        .iter()
        .find(|g| g.group_id == idle)
        .expect("idle group listed");
    assert_eq!(idle_g.state, GroupState::Empty);
    assert_eq!(idle_g.members, Some(0));
    assert!(
        idle_g.simple,
        "a group that only committed offsets is a simple group"
    );

    // The list is sorted by group id, so pages are stable between refreshes.
    let all = list_groups(&server, &[("cluster", "local"), ("page_size", "500")]).await;
    assert!(all
        .groups
        .windows(2)
        .all(|w| w[0].group_id <= w[1].group_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip848_consumer_groups_are_listed_and_described() {
    let server = TestServer::start(LOCAL).await;
    let topic = unique("it-848-topic");
    let group = unique("it-848");
    create_topic(&topic, 4).await;
    let _member = LiveMember::join_with(&group, &topic, "it-live-member", "consumer", 0, &[]);

    let deadline = Instant::now() + Duration::from_secs(60);
    let listed = loop {
        let list = list_groups(&server, &[("cluster", "local"), ("search", &group)]).await;
        let g = list.groups.into_iter().find(|g| g.group_id == group);
        if g.as_ref()
            .is_some_and(|g| g.state == GroupState::Stable && g.members == Some(1))
            || Instant::now() > deadline
        {
            break g.expect("KIP-848 group listed");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(listed.group_type, GroupType::Consumer);
    assert_eq!(listed.state, GroupState::Stable);

    let (status, json) = server
        .call(
            "groups/describe",
            &[("cluster", "local"), ("group", &group)],
        )
        .await;
    assert_eq!(status, 200, "{json}");
    let d: app::domain::GroupDetail = serde_json::from_value(json).expect("GroupDetail");
    assert_eq!(d.group_type, GroupType::Consumer);
    assert_eq!(d.members.len(), 1);
    assert_eq!(d.members[0].client_id, "it-live-member");
    // The broker assigns every partition to the only member; none is committed yet.
    assert_eq!(d.partitions.len(), 4);
    assert!(d
        .partitions
        .iter()
        .all(|p| p.member == Some(0) && p.committed.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_state_filter_and_paging_are_done_on_the_server() {
    let server = TestServer::start(LOCAL).await;
    let topic = unique("it-paging-topic");
    create_topic(&topic, 1).await;
    let prefix = unique("it-page");
    let mut ids: Vec<String> = (0..7).map(|i| format!("{prefix}-{i}")).collect();
    for id in &ids {
        commit_offsets(id, &topic, &[(0, 0)]);
    }
    ids.sort();

    let mut seen = Vec::new();
    for (page, expected) in [("0", 3), ("1", 3), ("2", 1)] {
        let p = list_groups(
            &server,
            &[
                ("cluster", "local"),
                ("search", &prefix.to_uppercase()),
                ("page", page),
                ("page_size", "3"),
            ],
        )
        .await;
        assert_eq!(p.matched, 7, "search is a case-insensitive substring");
        assert_eq!(p.page_size, 3);
        assert_eq!(p.groups.len(), expected, "page {page}");
        assert!(p.total >= 7);
        seen.extend(p.groups.into_iter().map(|g| g.group_id));
    }
    assert_eq!(seen, ids, "pages cover every match once, sorted by id");

    let stable = list_groups(
        &server,
        &[
            ("cluster", "local"),
            ("search", &prefix),
            ("state", "Stable"),
        ],
    )
    .await;
    assert_eq!(stable.matched, 0);
    let empty = list_groups(
        &server,
        &[
            ("cluster", "local"),
            ("search", &prefix),
            ("state", "Empty"),
        ],
    )
    .await;
    assert_eq!(empty.matched, 7);
    let counted: u32 = empty.state_counts.iter().map(|(_, n)| n).sum();
    assert_eq!(counted, empty.total, "state counts cover every group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_cluster_is_a_specific_error() {
    let server = TestServer::start(LOCAL).await;
    let (status, json) = server.call("groups/list", &[("cluster", "nope")]).await;
    assert_ne!(status, 200);
    assert_eq!(json["kind"], "unknown_cluster", "{json}");
    assert_eq!(json["cluster"], "nope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_broker_is_reported_within_seconds() {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    let server = TestServer::start(&format!(
        "{LOCAL}[[clusters]]\nname = \"offline\"\nbootstrap_servers = \"127.0.0.1:1\"\n"
    ))
    .await;
    let started = Instant::now();
    let (status, json) = server.call("groups/list", &[("cluster", "offline")]).await;
    let took = started.elapsed();
    assert_ne!(status, 200);
    assert_eq!(json["kind"], "broker_unreachable", "{json}");
    assert_eq!(json["bootstrap"], "127.0.0.1:1");
    // Not a timing benchmark: a guard against hanging on librdkafka's 60 s defaults.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_list_never_carries_credentials() {
    let password = unique("pw-secret");
    let var = unique("RW_TEST_PW").replace('-', "_").to_uppercase();
    // The process env is shared by the tests in this binary; the variable name is unique to this one.
    std::env::set_var(&var, &password);
    let server = TestServer::start(&format!(
        "{LOCAL}[[clusters]]\nname = \"secured\"\nbootstrap_servers = \"127.0.0.1:1\"\n\
         security_protocol = \"SASL_PLAINTEXT\"\nsasl_mechanism = \"SCRAM-SHA-512\"\n\
         sasl_username = \"rewind\"\nsasl_password_env = \"{var}\"\n"
    ))
    .await;
    let (status, json) = server.call("clusters/list", &[]).await;
    assert_eq!(status, 200, "{json}");
    let names: Vec<&str> = json
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["local", "secured"]);
    assert_eq!(json[1]["security_protocol"], "SASL_PLAINTEXT");
    assert!(!json.to_string().contains(&password));
    assert!(
        !json.to_string().contains("rewind\""),
        "no usernames either: {json}"
    );
}

/// Issue 14.5: viewers of one group share its reads. Fifty concurrent page loads cost the broker one
/// read of the group (each load used to send its own, and open a new reader), and
/// a commit made elsewhere shows once the shared answer is older than `FRESH_FOR`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_viewers_of_a_group_share_one_read() {
    let server = TestServer::start_counting(LOCAL).await;
    let topic = unique("viewers");
    create_topic(&topic, 2).await;
    for p in 0..2 {
        crate::support::produce_timestamped(&topic, p, 10, rewind_server::now_ms() - 60_000, 1_000);
    }
    let group = unique("viewers-g");
    commit_offsets(&group, &topic, &[(0, 3), (1, 3)]);
    let describe = |server: &TestServer| {
        let http = server.http.clone();
        let url = format!("http://{}/api/groups/describe", server.addr);
        let group = group.clone();
        async move {
            let response = http
                .post(url)
                .form(&[("cluster", "local"), ("group", group.as_str())])
                .send()
                .await
                .expect("describe answers");
            assert_eq!(response.status(), 200);
            response.json::<GroupDetail>().await.expect("GroupDetail")
        }
    };
    // Connections open, then the answer goes stale.
    describe(&server).await;
    tokio::time::sleep(FRESH_FOR + Duration::from_millis(200)).await;

    let before = server.gateway.request_counts("local");
    let mut viewers = tokio::task::JoinSet::new();
    for _ in 0..50 {
        viewers.spawn(describe(&server));
    }
    let mut read_at = std::collections::BTreeSet::new();
    while let Some(detail) = viewers.join_next().await {
        let detail = detail.expect("viewer task");
        assert_eq!(detail.partitions.len(), 2, "{detail:?}");
        assert!(detail.partitions.iter().all(|p| p.committed == Some(3)));
        read_at.insert(detail.read_at);
    }
    let sent = server.requests_since(&before).await;
    assert_eq!(read_at.len(), 1, "one read shared by all: {read_at:?}");
    // One describe (librdkafka asks both group protocols) and one ListOffsets each for log start
    // and end. librdkafka's statistics do not count the admin client's OffsetFetch.
    assert_eq!(sent.get("DescribeGroups"), Some(&1), "{sent:?}");
    assert_eq!(sent.get("ConsumerGroupDescribe"), Some(&1), "{sent:?}");
    assert_eq!(sent.get("ListOffsets"), Some(&2), "{sent:?}");
    assert_eq!(
        sent.get("Fetch"),
        None,
        "the page data reads no records: {sent:?}"
    );

    // Lag in time is read after, and shared the same way: one record read for everyone.
    tokio::time::sleep(FRESH_FOR + Duration::from_millis(200)).await;
    let before = server.gateway.request_counts("local");
    let mut viewers = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (http, addr, group) = (server.http.clone(), server.addr, group.clone());
        viewers.spawn(async move {
            http.post(format!("http://{addr}/api/groups/record-times"))
                .form(&[("cluster", "local"), ("group", group.as_str())])
                .send()
                .await
                .expect("record times answer")
                .json::<Vec<RecordTime>>()
                .await
                .expect("record times")
        });
    }
    let mut answers = std::collections::BTreeSet::new();
    while let Some(times) = viewers.join_next().await {
        let times = times.expect("viewer task");
        assert_eq!(times.len(), 2, "{times:?}");
        assert!(times.iter().all(|t| t.offset == 3), "{times:?}");
        answers.insert(format!("{times:?}"));
    }
    assert_eq!(answers.len(), 1, "one read shared by all: {answers:?}");
    // The fifty share one read of the group's offsets (the record reader's own fetches are not in
    // librdkafka's counters between polls, so the shared describe under them is what is counted).
    let sent = server.requests_since(&before).await;
    assert_eq!(sent.get("DescribeGroups"), Some(&1), "{sent:?}");
    assert_eq!(sent.get("ListOffsets"), Some(&2), "{sent:?}");

    commit_offsets(&group, &topic, &[(0, 5), (1, 5)]);
    tokio::time::sleep(FRESH_FOR + Duration::from_millis(200)).await;
    let detail = describe(&server).await;
    assert!(
        detail.partitions.iter().all(|p| p.committed == Some(5)),
        "{detail:?}"
    );
}

/// A page of groups is described in one ConsumerGroupDescribe, and one DescribeGroups for its classic
/// groups, per coordinator: librdkafka alone sends a FindCoordinator and both requests for every group
/// (about 190 round trips for a page of 50). Each row still says what the group's own page says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_groups_is_described_in_one_request_per_coordinator() {
    let server = TestServer::start_counting(LOCAL).await;
    let prefix = unique("it-page");
    let topic = unique("it-page-topic");
    create_topic(&topic, 2).await;
    let classic = format!("{prefix}-classic");
    let kip848 = format!("{prefix}-kip848");
    let classic_member = LiveMember::join(&classic, &topic, "it-page-classic", 0, &[]);
    let kip848_member = LiveMember::join_with(&kip848, &topic, "it-page-848", "consumer", 0, &[]);
    let idle: Vec<String> = (0..6).map(|i| format!("{prefix}-idle-{i}")).collect();
    for g in &idle {
        commit_offsets(g, &topic, &[(0, 1)]);
    }
    let form = [("cluster", "local"), ("search", prefix.as_str())];

    // Both members join (metadata, then their group protocol): wait for them, bounded.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = list_groups(&server, &form).await;
        let live = page
            .groups
            .iter()
            .filter(|g| g.state == GroupState::Stable && g.members == Some(1))
            .count();
        if (page.matched == 8 && live == 2) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(FRESH_FOR + Duration::from_millis(200)).await;

    let before = server.gateway.request_counts("local");
    let page = list_groups(&server, &form).await;
    let sent = server.requests_since(&before).await;
    assert_eq!(page.matched, 8, "{page:?}");
    assert_eq!(sent.get("ConsumerGroupDescribe"), Some(&1), "{sent:?}");
    assert_eq!(sent.get("DescribeGroups"), Some(&1), "{sent:?}");
    assert!(
        sent.get("FindCoordinator").copied().unwrap_or(0) <= 1,
        "{sent:?}"
    );

    let row = |id: &str| {
        page.groups
            .iter()
            .find(|g| g.group_id == id)
            .unwrap_or_else(|| panic!("{id} is on the page: {page:?}"))
    };
    let c = row(&classic);
    assert_eq!(
        (c.state, c.group_type, c.members),
        (GroupState::Stable, GroupType::Classic, Some(1))
    );
    let k = row(&kip848);
    assert_eq!(
        (k.state, k.group_type, k.members),
        (GroupState::Stable, GroupType::Consumer, Some(1))
    );
    for g in &idle {
        let i = row(g);
        assert_eq!(
            (i.state, i.members, i.simple),
            (GroupState::Empty, Some(0), true),
            "{g}"
        );
    }
    // Every row as the group's own page (one group, described alone) has it.
    for g in &page.groups {
        let (status, json) = server
            .call(
                "groups/describe",
                &[("cluster", "local"), ("group", &g.group_id)],
            )
            .await;
        assert_eq!(status, 200, "{json}");
        let d: GroupDetail = serde_json::from_value(json).expect("GroupDetail");
        let alone = (
            d.state,
            d.group_type,
            d.simple,
            Some(d.members.len() as u32),
        );
        assert_eq!(
            (g.state, g.group_type, g.simple, g.members),
            alone,
            "{}",
            g.group_id
        );
        assert_eq!(g.coordinator, d.coordinator.map(|n| n.id), "{}", g.group_id);
    }

    // Members leave, and the eight groups go: they would sort before the demo groups on the shared
    // broker's first page, which the browser tests read afterwards.
    drop((classic_member, kip848_member));
    let ours: Vec<String> = page.groups.iter().map(|g| g.group_id.clone()).collect();
    delete_groups(&ours).await;
    tokio::time::sleep(FRESH_FOR + Duration::from_millis(200)).await;
    let after = list_groups(&server, &form).await;
    assert_eq!(after.matched, 0, "{after:?}");
}

/// A committed offset that points at a transaction marker has no record to read: a consumer starting
/// there skips the marker and waits at the log end. The lag-in-time read used to wait for it until its
/// 3 s budget (asking the broker again every 50 ms); it now stops once the reader's position reaches
/// the log end, and still reads the other partitions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lag_in_time_read_stops_at_a_transaction_marker() {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let server = TestServer::start(LOCAL).await;
    let topic = unique("txn");
    create_topic(&topic, 2).await;
    let producer: BaseProducer = crate::support::client_config()
        .set("transactional.id", unique("txn-producer"))
        .create()
        .expect("transactional producer");
    let timeout = Duration::from_secs(30);
    producer.init_transactions(timeout).expect("init");
    producer.begin_transaction().expect("begin");
    for i in 0..2 {
        let value = format!("v{i}");
        producer
            .send(BaseRecord::<(), _>::to(&topic).partition(0).payload(&value))
            .expect("enqueue");
    }
    // Records at 0 and 1, the commit marker at 2, the log end at 3. The broker writes the marker after
    // it has answered the commit: wait for it.
    producer.commit_transaction(timeout).expect("commit");
    let watcher: rdkafka::consumer::BaseConsumer =
        crate::support::client_config().create().expect("consumer");
    let deadline = Instant::now() + timeout;
    loop {
        use rdkafka::consumer::Consumer;
        let (_, high) = watcher
            .fetch_watermarks(&topic, 0, timeout)
            .expect("watermarks");
        if high == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no commit marker: log end {high}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    crate::support::produce_timestamped(&topic, 1, 3, rewind_server::now_ms() - 60_000, 1_000);
    let group = unique("txn-g");
    commit_offsets(&group, &topic, &[(0, 2), (1, 1)]);

    let (status, detail) = server
        .call(
            "groups/describe",
            &[("cluster", "local"), ("group", &group)],
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    let detail: GroupDetail = serde_json::from_value(detail).expect("GroupDetail");
    let p0 = detail.partitions.iter().find(|p| p.partition == 0);
    assert_eq!(p0.and_then(|p| p.log_end), Some(3), "{detail:?}");

    let started = Instant::now();
    let (status, times) = server
        .call(
            "groups/record-times",
            &[("cluster", "local"), ("group", &group)],
        )
        .await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{times}");
    let times: Vec<RecordTime> = serde_json::from_value(times).expect("record times");
    assert_eq!(
        times
            .iter()
            .map(|t| (t.partition, t.offset))
            .collect::<Vec<_>>(),
        [(1, 1)],
        "only partition 1 has a record at its committed offset: {times:?}"
    );
    // Not a speed figure: the old read always ran into its budget here (3 s and more).
    assert!(
        took < Duration::from_millis(2_500),
        "the read waited for its budget: {took:?}"
    );
}
