//! The committed offsets and descriptions of many groups at once: groups sharing a coordinator go in
//! one OffsetFetch (KIP-709) or one describe request, the rest one group per request.
//!
//! Kafka places a group on the `__consumer_offsets` partition `abs(hashCode(group)) % partitions`
//! (`commit_log::partition_for`), and that partition's leader is the group's coordinator. Reading that
//! topic's metadata once therefore tells which groups one request can carry, where librdkafka would
//! otherwise ask FindCoordinator for every group and send it its own OffsetFetch: 50,000 groups cost
//! 100,000 round trips. The placement is only a guess that the broker checks: a group whose coordinator
//! moved (or an unreadable `__consumer_offsets`) answers NOT_COORDINATOR and is asked for again on its
//! own, so a wrong guess costs time, never a wrong answer.

use std::collections::{BTreeMap, HashMap, HashSet};

use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;

use super::commit_log::{partition_for, OFFSETS_TOPIC};
use super::{timeout, topic_metadata};
use crate::kafka::native::{self, CommittedOffset, GroupDescription, NativeError};

/// Groups per OffsetFetch: large enough that 50,000 groups take a few hundred requests, small enough
/// that one answer (every committed partition of every group in it) stays a few megabytes.
const GROUPS_PER_REQUEST: usize = 200;
/// Many-group requests outstanding at once.
const BATCHES_IN_FLIGHT: usize = 4;
/// One-group requests outstanding at once, for the groups a batch could not answer.
const SINGLES_IN_FLIGHT: usize = 32;

/// Each group's committed offsets, or its error, in the order of `groups`.
pub(super) type CommittedByGroup = Vec<Result<Vec<CommittedOffset>, NativeError>>;

/// `groups` in batches of at most `GROUPS_PER_REQUEST`, each batch's groups sharing a coordinator as
/// far as `leaders` (the leader of each `__consumer_offsets` partition, by partition) tells; without it,
/// in their own order.
pub(super) fn batches_by_coordinator(groups: &[String], leaders: &[i32]) -> Vec<Vec<String>> {
    if leaders.is_empty() {
        return groups
            .chunks(GROUPS_PER_REQUEST)
            .map(<[String]>::to_vec)
            .collect();
    }
    let partitions = i32::try_from(leaders.len()).unwrap_or(i32::MAX);
    let mut by_leader: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for g in groups {
        let p = partition_for(g, partitions);
        let leader = usize::try_from(p)
            .ok()
            .and_then(|p| leaders.get(p).copied());
        by_leader
            .entry(leader.unwrap_or(-1))
            .or_default()
            .push(g.clone());
    }
    by_leader
        .into_values()
        .flat_map(|gs| {
            gs.chunks(GROUPS_PER_REQUEST)
                .map(<[String]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The leader of each `__consumer_offsets` partition, by partition; empty when it cannot be read (the
/// batches then still work on one broker, and cost retries on several).
fn offsets_topic_leaders(admin: &AdminClient<DefaultClientContext>) -> Vec<i32> {
    let metadata = match topic_metadata(admin, OFFSETS_TOPIC, timeout()) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read __consumer_offsets' leaders");
            return Vec::new();
        }
    };
    let Some(topic) = metadata.topics().iter().find(|t| t.name() == OFFSETS_TOPIC) else {
        return Vec::new();
    };
    if topic.error().is_some() {
        return Vec::new();
    }
    let mut leaders = vec![-1; topic.partitions().len()];
    for p in topic.partitions() {
        if let Some(slot) = usize::try_from(p.id())
            .ok()
            .and_then(|i| leaders.get_mut(i))
        {
            *slot = p.leader();
        }
    }
    leaders
}

/// Each group's committed offsets in the order of `groups`: batched by coordinator, and any group a
/// batch did not answer (another coordinator, a failed batch, a broker without OffsetFetch v8) asked for
/// on its own, so every group gets the answer (or the error) a one-group request would give it.
pub(super) fn committed_of_groups(
    admin: &AdminClient<DefaultClientContext>,
    groups: &[String],
) -> Result<CommittedByGroup, NativeError> {
    let rk = native::handle(admin.inner())?;
    batched_then_alone(
        "ListConsumerGroupOffsets",
        groups,
        || offsets_topic_leaders(admin),
        |batches| native::list_committed_offsets_batched(rk, batches, timeout(), BATCHES_IN_FLIGHT),
        |rest| native::list_committed_offsets(rk, rest, timeout(), SINGLES_IN_FLIGHT),
    )
}

/// Each group's description in the order of `groups` (a page of the groups list): one
/// ConsumerGroupDescribe, and one DescribeGroups for the classic groups, per coordinator, where
/// librdkafka would send a FindCoordinator and both requests per group; any group a batch did not
/// describe (another coordinator, a failed batch) is described on its own.
pub(super) fn describe_groups(
    admin: &AdminClient<DefaultClientContext>,
    groups: &[String],
) -> Result<Vec<Result<GroupDescription, NativeError>>, NativeError> {
    let rk = native::handle(admin.inner())?;
    batched_then_alone(
        "DescribeConsumerGroups",
        groups,
        || offsets_topic_leaders(admin),
        |batches| {
            Ok(
                native::describe_consumer_groups_batched(
                    rk,
                    batches,
                    timeout(),
                    BATCHES_IN_FLIGHT,
                )?
                .into_iter()
                .map(|answer| {
                    answer.map(|descriptions| {
                        descriptions
                            .into_iter()
                            .map(|mut d| match d.error.take() {
                                Some(e) => (d.group_id, Err(e)),
                                None => (d.group_id.clone(), Ok(d)),
                            })
                            .collect()
                    })
                })
                .collect(),
            )
        },
        |rest| {
            Ok(native::describe_consumer_groups(rk, rest, timeout())?
                .into_iter()
                .map(Ok)
                .collect())
        },
    )
}

/// One answer per batch: each group's outcome in it, or the batch's error.
type BatchAnswers<T> = Vec<Result<Vec<(String, Result<T, NativeError>)>, NativeError>>;

/// The outcome for each of `groups`, in order: asked for in batches that share a coordinator (per
/// `leaders`, the leader of each `__consumer_offsets` partition) with `batched`, and whatever a batch
/// did not answer with success asked for again with `alone`, whose answer stands. Each group is asked
/// for once, however often `groups` names it. A single group goes to `alone` at once: a batch would
/// cost the leaders' Metadata request and save nothing.
fn batched_then_alone<T: Clone>(
    operation: &'static str,
    groups: &[String],
    leaders: impl FnOnce() -> Vec<i32>,
    batched: impl FnOnce(&[Vec<String>]) -> Result<BatchAnswers<T>, NativeError>,
    alone: impl FnOnce(&[String]) -> Result<Vec<Result<T, NativeError>>, NativeError>,
) -> Result<Vec<Result<T, NativeError>>, NativeError> {
    if groups.len() < 2 {
        return alone(groups);
    }
    let mut seen = HashSet::with_capacity(groups.len());
    let unique: Vec<String> = groups
        .iter()
        .filter(|g| seen.insert(g.as_str()))
        .cloned()
        .collect();
    let batches = batches_by_coordinator(&unique, &leaders());
    let mut found: HashMap<String, Result<T, NativeError>> = HashMap::with_capacity(unique.len());
    for answer in batched(&batches)? {
        match answer {
            Ok(results) => {
                for (group, outcome) in results {
                    match outcome {
                        Ok(value) => {
                            found.insert(group, Ok(value));
                        }
                        Err(e) => {
                            tracing::debug!(%group, error = %e, operation, "batched: asking alone")
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, operation, "a batch failed: asking alone"),
        }
    }
    let rest: Vec<String> = unique
        .into_iter()
        .filter(|g| !found.contains_key(g.as_str()))
        .collect();
    let answers = alone(&rest)?;
    found.extend(rest.into_iter().zip(answers));
    Ok(groups
        .iter()
        .map(|g| {
            found
                .get(g.as_str())
                .cloned()
                .unwrap_or_else(|| Err(NativeError::fail(operation, "no answer for the group")))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_one_coordinator_and_at_most_the_request_size() {
        let groups: Vec<String> = (0..1_000).map(|i| format!("g{i}")).collect();
        // Three brokers lead the 50 partitions in turn.
        let leaders: Vec<i32> = (0..50).map(|p| p % 3).collect();
        let batches = batches_by_coordinator(&groups, &leaders);
        let mut seen: Vec<&String> = batches.iter().flatten().collect();
        seen.sort();
        let mut all: Vec<&String> = groups.iter().collect();
        all.sort();
        assert_eq!(seen, all, "every group exactly once");
        for b in &batches {
            assert!(!b.is_empty() && b.len() <= GROUPS_PER_REQUEST);
            let leader = |g: &String| leaders[partition_for(g, 50) as usize];
            assert!(b.iter().all(|g| leader(g) == leader(&b[0])), "{b:?}");
        }
        // Without leaders: plain chunks in input order.
        let plain = batches_by_coordinator(&groups, &[]);
        assert_eq!(plain.len(), 5);
        assert_eq!(plain[0][0], "g0");
    }

    #[test]
    fn what_a_batch_did_not_answer_is_asked_for_alone_and_each_group_once() {
        use rdkafka::types::RDKafkaErrorCode;
        let groups: Vec<String> = ["a", "b", "c", "a", "d", "e"].map(String::from).to_vec();
        // One broker leads every partition: a, b, c, d, e all go in one batch.
        let mut asked_in_batches = Vec::new();
        let mut asked_alone = Vec::new();
        let out = batched_then_alone(
            "Test",
            &groups,
            || vec![1; 50],
            |batches| {
                asked_in_batches = batches.to_vec();
                let not_mine = NativeError {
                    operation: "Test",
                    code: RDKafkaErrorCode::NotCoordinator,
                    message: "moved".into(),
                };
                Ok(vec![Ok(vec![
                    ("a".to_string(), Ok(1)),
                    ("b".to_string(), Err(not_mine)),
                    // c is left out of the answer; d and e answer.
                    ("d".to_string(), Ok(4)),
                    ("e".to_string(), Ok(5)),
                ])])
            },
            |rest| {
                asked_alone = rest.to_vec();
                Ok(rest.iter().map(|g| Ok(g.len() as i32 * 10)).collect())
            },
        )
        .expect("answered");
        let mut batched: Vec<String> = asked_in_batches.concat();
        batched.sort();
        assert_eq!(batched, ["a", "b", "c", "d", "e"], "each group once");
        assert_eq!(asked_alone, ["b", "c"]);
        let values: Vec<i32> = out.into_iter().map(|r| r.expect("an answer")).collect();
        assert_eq!(
            values,
            [1, 10, 10, 1, 4, 5],
            "in the order asked, repeats included"
        );

        // A failed batch: every group of it is asked for alone.
        let out = batched_then_alone(
            "Test",
            &groups[..3],
            Vec::new,
            |batches| {
                Ok(batches
                    .iter()
                    .map(|_| Err(NativeError::fail("Test", "timed out")))
                    .collect())
            },
            |rest| Ok(rest.iter().map(|_| Ok(7)).collect()),
        )
        .expect("answered");
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|r| r == &Ok(7)), "{out:?}");

        // One group is asked for alone at once: no leaders read, no batch.
        let out = batched_then_alone(
            "Test",
            &groups[..1],
            || panic!("the leaders are not read for one group"),
            |_| panic!("one group is not batched"),
            |rest| Ok(rest.iter().map(|_| Ok(3)).collect()),
        )
        .expect("answered");
        assert_eq!(out, vec![Ok(3)]);
    }
}
