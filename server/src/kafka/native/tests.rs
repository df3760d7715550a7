//! Tests of the bindings: request lists without a broker, and every call against the real broker
//! (`REWIND_TEST_BOOTSTRAP`, as the integration tests use). Run once under valgrind: see the README.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::bindings as rd;
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use super::raw::RequestPartitions;
use super::*;

type Admin = AdminClient<DefaultClientContext>;

const TIMEOUT: Duration = Duration::from_secs(10);

fn bootstrap() -> String {
    std::env::var("REWIND_TEST_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

fn admin(bootstrap: &str) -> Admin {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("an admin client")
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{nanos}")
}

fn create_topic(admin: &Admin, topic: &str, partitions: i32) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let results = rt
        .block_on(admin.create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        ))
        .expect("create_topics answered");
    for r in results {
        r.expect("the topic was created");
    }
}

#[test]
fn metadata_is_copied_into_memory_the_list_owns() {
    let meta = "rewind:execution=7 ünïcode".to_owned();
    let mut list = RequestPartitions::new("test", 2).expect("a list");
    list.add("test", "t", 0, 42, Some(meta.as_bytes()))
        .expect("added");
    list.add("test", "t", 1, 43, None).expect("added");
    drop(meta); // the list must not point into the caller's string
                // SAFETY: the list is live; the copy is ours and destroyed below.
    let copy = unsafe { rd::rd_kafka_topic_partition_list_copy(list.as_ptr()) };
    drop(list);
    let copy = std::ptr::NonNull::new(copy).expect("a copy");
    // SAFETY: the copy is live and has two initialised elements.
    let elems = unsafe { std::slice::from_raw_parts(copy.as_ref().elems, 2) };
    let first = elems[0];
    // SAFETY: librdkafka copied metadata_size bytes of metadata.
    let bytes =
        unsafe { std::slice::from_raw_parts(first.metadata.cast::<u8>(), first.metadata_size) };
    assert_eq!(std::str::from_utf8(bytes), Ok("rewind:execution=7 ünïcode"));
    assert_eq!((first.partition, first.offset), (0, 42));
    assert!(elems[1].metadata.is_null());
    assert_eq!((elems[1].partition, elems[1].offset), (1, 43));
    // SAFETY: ours, destroyed once (with its metadata).
    unsafe { rd::rd_kafka_topic_partition_list_destroy(copy.as_ptr()) };
}

#[test]
fn state_names_are_librdkafkas_own() {
    use rd::rd_kafka_consumer_group_state_t as S;
    for state in [
        S::RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN,
        S::RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE,
        S::RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE,
        S::RD_KAFKA_CONSUMER_GROUP_STATE_STABLE,
        S::RD_KAFKA_CONSUMER_GROUP_STATE_DEAD,
        S::RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY,
    ] {
        // SAFETY: returns a static string (or NULL) for any enum value.
        let theirs =
            unsafe { super::raw::copy_string(rd::rd_kafka_consumer_group_state_name(state)) };
        assert_eq!(
            theirs.as_deref(),
            Some(super::groups::state_name(state)),
            "{state:?}"
        );
    }
}

#[test]
fn names_with_nul_are_refused_before_anything_is_sent() {
    let admin = admin("127.0.0.1:1");
    let rk = Handle::of(admin.inner()).expect("a handle");
    let err = describe_consumer_groups(rk, &["a\0b".into()], TIMEOUT).expect_err("refused");
    assert_eq!(err.code, RDKafkaErrorCode::InvalidArgument);
    let outcomes = list_committed_offsets(rk, &["ok".into(), "a\0b".into()], Duration::ZERO, 2)
        .expect("a result per group");
    assert_eq!(outcomes.len(), 2);
    assert_eq!(
        outcomes[1].as_ref().map_err(|e| e.code),
        Err(RDKafkaErrorCode::InvalidArgument)
    );
}

#[test]
fn an_unreachable_cluster_answers_with_timeouts_not_hangs() {
    let admin = admin("127.0.0.1:1");
    let rk = Handle::of(admin.inner()).expect("a handle");
    let short = Duration::from_millis(500);
    let listing = list_consumer_groups(rk, short);
    assert!(
        listing.is_err() || listing.as_ref().is_ok_and(|l| !l.errors.is_empty()),
        "{listing:?}"
    );
    let per_group = list_committed_offsets(rk, &["g1".into(), "g2".into()], short, 2)
        .expect("a result per group");
    assert_eq!(per_group.len(), 2);
    assert!(per_group.iter().all(Result::is_err), "{per_group:?}");
    let offsets = list_offsets(rk, &[("t".into(), 0)], OffsetSpec::Latest, short);
    assert!(offsets.is_err(), "{offsets:?}");
}

/// Every call on one group, against the real broker: commit with metadata, read it back, describe,
/// list, look up offsets, delete one partition's offset.
#[test]
fn every_call_round_trips_against_the_broker() {
    let admin = admin(&bootstrap());
    let topic = unique("native-t");
    let group = unique("native-g");
    create_topic(&admin, &topic, 3);
    let rk = Handle::of(admin.inner()).expect("a handle");
    let meta = "rewind:execution=42";

    let offsets: Vec<(String, i32, i64)> = (0..3).map(|p| (topic.clone(), p, 0)).collect();
    // On a fresh broker the group coordinator (__consumer_offsets) may still be loading: retry the
    // answers that say so, as the gateway does. This is the first commit on the test broker, sent while
    // the other tests create topics, and CI once saw the broker take longer than TIMEOUT to answer it
    // (`OperationTimedOut`): a commit of the same offsets is idempotent, so that is retried too.
    let coordinator_not_ready = |code: RDKafkaErrorCode| {
        matches!(
            code,
            RDKafkaErrorCode::NotCoordinator
                | RDKafkaErrorCode::CoordinatorLoadInProgress
                | RDKafkaErrorCode::CoordinatorNotAvailable
                | RDKafkaErrorCode::OperationTimedOut
                | RDKafkaErrorCode::RequestTimedOut
        )
    };
    let mut outcome = Vec::new();
    for _ in 0..50 {
        let request = [(group.clone(), offsets.clone())];
        outcome = alter_committed_offsets(rk, &request, Some(meta), TIMEOUT, 1)
            .expect("the commit answered");
        let retry = match &outcome[..] {
            [Ok(refused)] => refused.iter().any(|(_, _, c)| coordinator_not_ready(*c)),
            [Err(e)] => coordinator_not_ready(e.code),
            _ => false,
        };
        if !retry {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(outcome, vec![Ok(vec![])]);

    let committed =
        list_committed_offsets(rk, &[group.clone(), unique("none")], TIMEOUT, 2).expect("listed");
    let mut mine = committed[0].clone().expect("the group's offsets");
    mine.sort_by_key(|c| c.partition);
    assert_eq!(mine.len(), 3);
    for (p, c) in mine.iter().enumerate() {
        assert_eq!((c.topic.as_str(), c.partition), (topic.as_str(), p as i32));
        assert_eq!(c.offset, Some(0));
        assert_eq!(c.metadata.as_deref(), Some(meta));
        assert_eq!(c.error, None);
    }
    assert_eq!(committed[1], Ok(vec![]), "a group with no commits has none");

    // Many whole groups in one OffsetFetch (vendor/README.md's fourth patch) answer each group exactly
    // as a request of its own does: offsets, metadata, a group without commits.
    let other = unique("native-g2");
    let request = [(
        other.clone(),
        vec![(topic.clone(), 0, 7), (topic.clone(), 2, 9)],
    )];
    let outcome = alter_committed_offsets(rk, &request, None, TIMEOUT, 1).expect("committed");
    assert_eq!(outcome, vec![Ok(vec![])]);
    let batch = vec![group.clone(), unique("none"), other.clone()];
    let answers = list_committed_offsets_batched(rk, std::slice::from_ref(&batch), TIMEOUT, 1)
        .expect("listed");
    let [Ok(results)] = &answers[..] else {
        panic!("one answer for the batch: {answers:?}");
    };
    assert_eq!(results.len(), 3, "{results:?}");
    let sorted = |r: &Result<Vec<CommittedOffset>, NativeError>| {
        r.clone().map(|mut v| {
            v.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
            v
        })
    };
    let singles = list_committed_offsets(rk, &batch, TIMEOUT, 3).expect("listed");
    for (g, single) in batch.iter().zip(&singles) {
        let batched = results
            .iter()
            .find(|(name, _)| name == g)
            .map(|(_, r)| sorted(r))
            .unwrap_or_else(|| panic!("{g} is in the batch's answer"));
        assert_eq!(batched, sorted(single), "{g}");
    }
    let other_offsets: Vec<(i32, Option<i64>)> = sorted(&singles[2])
        .expect("the second group's offsets")
        .iter()
        .map(|c| (c.partition, c.offset))
        .collect();
    assert_eq!(other_offsets, vec![(0, Some(7)), (2, Some(9))]);

    // A commit of more than 16 partitions is matched to the broker's answer through a sorted index
    // (vendor/README.md's fifth patch): each refusal lands on its own partition, nothing else is refused.
    let wide = unique("native-wide");
    create_topic(&admin, &wide, 20);
    let missing = unique("native-missing");
    let wide_group = unique("native-wide-g");
    let mut offsets: Vec<(String, i32, i64)> = (0..20)
        .map(|p| (missing.clone(), p, 1))
        .chain((0..20).rev().map(|p| (wide.clone(), p, i64::from(p) * 3)))
        .collect();
    offsets.swap(3, 30);
    let mut refused = Vec::new();
    // The broker may not know the new topic for a moment: wait until only the missing one is refused.
    for _ in 0..50 {
        let request = [(wide_group.clone(), offsets.clone())];
        let outcome = alter_committed_offsets(rk, &request, None, TIMEOUT, 1).expect("answered");
        let [Ok(r)] = &outcome[..] else {
            panic!("one answer: {outcome:?}");
        };
        refused = r.clone();
        if refused.iter().all(|(t, _, _)| *t == missing) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    refused.sort_by_key(|(_, p, _)| *p);
    let expected: Vec<(String, i32, RDKafkaErrorCode)> = (0..20)
        .map(|p| {
            (
                missing.clone(),
                p,
                RDKafkaErrorCode::UnknownTopicOrPartition,
            )
        })
        .collect();
    assert_eq!(refused, expected);
    let mut back: Vec<(i32, Option<i64>)> =
        list_committed_offsets(rk, std::slice::from_ref(&wide_group), TIMEOUT, 1)
            .expect("listed")
            .remove(0)
            .expect("the group's offsets")
            .iter()
            .map(|c| (c.partition, c.offset))
            .collect();
    back.sort();
    assert_eq!(
        back,
        (0..20)
            .map(|p| (p, Some(i64::from(p) * 3)))
            .collect::<Vec<_>>()
    );

    let described =
        describe_consumer_groups(rk, std::slice::from_ref(&group), TIMEOUT).expect("described");
    assert_eq!(described.len(), 1);
    assert_eq!(described[0].group_id, group);
    assert_eq!(described[0].error, None);
    assert_eq!(described[0].state, "Empty");
    assert!(described[0].members.is_empty());
    assert!(described[0].coordinator.is_some());

    // The eighth librdkafka patch moves the listings through the parse, the merge and the result
    // instead of copying them: each group comes out once, whole, with its state and type.
    let listed = list_consumer_groups(rk, TIMEOUT).expect("listed");
    assert!(listed.errors.is_empty(), "{listed:?}");
    for id in [&group, &other, &wide_group] {
        let mine: Vec<&GroupListing> = listed.groups.iter().filter(|g| &g.group_id == id).collect();
        let [g] = &mine[..] else {
            panic!("{id} listed once: {mine:?}");
        };
        assert_eq!(
            (g.state, g.group_type, g.simple),
            ("Empty", GroupType::Classic, true),
            "{g:?}"
        );
    }
    assert!(listed.groups.iter().all(|g| !g.group_id.is_empty()));

    let partitions: Vec<(String, i32)> = (0..3).map(|p| (topic.clone(), p)).collect();
    for spec in [OffsetSpec::Earliest, OffsetSpec::Latest] {
        // A topic this new may not have its leaders known yet: wait for them, as any client would.
        let mut found = Vec::new();
        for _ in 0..50 {
            found = list_offsets(rk, &partitions, spec, TIMEOUT).unwrap_or_default();
            if found.len() == 3 && found.iter().all(|o| o.error.is_none()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(found.len(), 3, "{spec:?}");
        assert!(
            found
                .iter()
                .all(|o| o.offset == Some(0) && o.error.is_none()),
            "{found:?}"
        );
    }

    // The seventh librdkafka patch checks an ascending list for duplicates in one pass; any other list
    // still gets the sorted check, and a duplicate is refused either way.
    let shuffled: Vec<(String, i32)> = [2, 0, 1].map(|p| (topic.clone(), p)).to_vec();
    let found = list_offsets(rk, &shuffled, OffsetSpec::Latest, TIMEOUT).expect("listed");
    let mut listed: Vec<(i32, Option<i64>)> =
        found.iter().map(|o| (o.partition, o.offset)).collect();
    listed.sort();
    assert_eq!(listed, vec![(0, Some(0)), (1, Some(0)), (2, Some(0))]);
    for twice in [[0, 0, 1], [1, 0, 1]] {
        let twice: Vec<(String, i32)> = twice.map(|p| (topic.clone(), p)).to_vec();
        let err = list_offsets(rk, &twice, OffsetSpec::Latest, TIMEOUT)
            .expect_err("a partition asked for twice is refused");
        assert_eq!(err.code, RDKafkaErrorCode::InvalidArgument, "{err:?}");
    }

    let refused =
        delete_committed_offsets(rk, &group, &[(topic.clone(), 1)], TIMEOUT).expect("deleted");
    assert!(refused.is_empty(), "{refused:?}");
    let left = list_committed_offsets(rk, std::slice::from_ref(&group), TIMEOUT, 1)
        .expect("listed")
        .remove(0)
        .expect("the group's offsets");
    let mut left: Vec<i32> = left.iter().map(|c| c.partition).collect();
    left.sort();
    assert_eq!(left, vec![0, 2]);

    let err = delete_committed_offsets(rk, &unique("never-existed"), &partitions, TIMEOUT)
        .expect_err("an unknown group is refused");
    assert_eq!(err.code, RDKafkaErrorCode::GroupIdNotFound);
}
