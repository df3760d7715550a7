//! A group's committed offsets: ListConsumerGroupOffsets (one group, or many whole groups per request
//! with our librdkafka patch), AlterConsumerGroupOffsets and DeleteConsumerGroupOffsets (one group per
//! request; many groups are pipelined).

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use super::raw::{
    batch_names, call_one, call_pipelined, code, cstring, error_of, is_error, Event, Partition,
    RequestPartitions, OFFSET_INVALID,
};
use super::{Handle, NativeError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: i32,
    /// None: the group has no committed offset for this partition.
    pub offset: Option<i64>,
    pub metadata: Option<String>,
    pub leader_epoch: Option<i32>,
    pub error: Option<RDKafkaErrorCode>,
}

/// The partitions of the one group a single-group admin result carries, or that group's error. The
/// group's name is checked against the request's, so a result can never be filed under another group.
///
/// # Safety
/// `groups` and `n` come from a `*_result_groups` accessor called on `ev`.
unsafe fn single_group_partitions<'e>(
    operation: &'static str,
    ev: &'e Event<'_>,
    expected_group: &str,
    groups: *mut *const rd::rd_kafka_group_result_t,
    n: usize,
) -> Result<Vec<Partition<'e>>, NativeError> {
    // SAFETY: per the contract, the array and its results are owned by `ev`.
    let results = unsafe { ev.owned_array(groups, n) };
    let [g] = results.as_slice() else {
        return Err(NativeError::fail(
            operation,
            format!("{} group results where one was due", results.len()),
        ));
    };
    // SAFETY: `g` is live; its name belongs to `ev`.
    let name = unsafe { ev.string(rd::rd_kafka_group_result_name(*g)) };
    if name.as_deref() != Some(expected_group) {
        return Err(NativeError::fail(
            operation,
            "the result names another group",
        ));
    }
    // SAFETY: `g` is live; its error object (NULL on success) belongs to `ev`.
    if let Some(e) = unsafe { ev.owned(rd::rd_kafka_group_result_error(*g)) } {
        return Err(error_of(operation, e));
    }
    // SAFETY: `g` is live; its partition list belongs to `ev`.
    Ok(unsafe { ev.partitions(rd::rd_kafka_group_result_partitions(*g)) })
}

/// The partitions of a commit or delete result that carry an error, with it.
fn refused(partitions: &[Partition<'_>]) -> Vec<(String, i32, RDKafkaErrorCode)> {
    partitions
        .iter()
        .filter(|e| is_error(e.err()))
        .filter_map(|e| Some((e.topic()?, e.partition(), code(e.err()))))
        .collect()
}

fn read_committed(e: &Partition<'_>) -> Option<CommittedOffset> {
    let epoch = e.leader_epoch();
    Some(CommittedOffset {
        topic: e.topic()?,
        partition: e.partition(),
        offset: (e.offset() >= 0).then_some(e.offset()),
        metadata: e.metadata(),
        leader_epoch: (epoch >= 0).then_some(epoch),
        error: is_error(e.err()).then(|| code(e.err())),
    })
}

/// Committed offsets of every partition each group has committed, one result per group in input order,
/// one group per request (librdkafka's own path), at most `in_flight` outstanding on one queue. The
/// result is checked to name the group asked for, so it can never be filed under another group.
pub fn list_committed_offsets(
    rk: Handle<'_>,
    groups: &[String],
    timeout: Duration,
    in_flight: usize,
) -> Result<Vec<Result<Vec<CommittedOffset>, NativeError>>, NativeError> {
    let alone: Vec<Vec<String>> = groups.iter().map(|g| vec![g.clone()]).collect();
    Ok(
        list_committed_offsets_batched(rk, &alone, timeout, in_flight)?
            .into_iter()
            .zip(groups)
            .map(|(answer, group)| {
                let mut results = answer?;
                match (results.len(), results.pop()) {
                    (1, Some((name, outcome))) if &name == group => outcome,
                    (1, _) => Err(NativeError::fail(
                        "ListConsumerGroupOffsets",
                        "the result names another group",
                    )),
                    (n, _) => Err(NativeError::fail(
                        "ListConsumerGroupOffsets",
                        format!("{n} group results where one was due"),
                    )),
                }
            })
            .collect(),
    )
}

/// Each group a many-group result carries, by name, with its committed offsets or its own error.
pub type GroupCommits = Vec<(String, Result<Vec<CommittedOffset>, NativeError>)>;

/// Committed offsets of whole groups, many groups per OffsetFetch (KIP-709, through the vendored
/// librdkafka's fourth patch): one request per batch, sent to the coordinator of the batch's first group,
/// at most `in_flight` outstanding. A group that coordinator does not own comes back with its own
/// NOT_COORDINATOR; a broker without OffsetFetch v8 fails the whole batch (UNSUPPORTED_FEATURE).
pub fn list_committed_offsets_batched(
    rk: Handle<'_>,
    batches: &[Vec<String>],
    timeout: Duration,
    in_flight: usize,
) -> Result<Vec<Result<GroupCommits, NativeError>>, NativeError> {
    const OP: &str = "ListConsumerGroupOffsets";
    call_pipelined(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        OP,
        rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
        timeout,
        batches.len(),
        in_flight,
        |i, opts, q| {
            let names = batch_names(OP, &batches[i])?;
            let mut reqs = Vec::with_capacity(names.len());
            for name in &names {
                // SAFETY: `name` is live; a NULL partition list means "every committed partition".
                let req = unsafe {
                    rd::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), std::ptr::null())
                };
                if req.is_null() {
                    break;
                }
                reqs.push(req);
            }
            if reqs.len() == names.len() {
                // SAFETY: client, options, queue and every request are live; librdkafka copies them.
                unsafe {
                    rd::rd_kafka_ListConsumerGroupOffsets(
                        rk.as_ptr(),
                        reqs.as_mut_ptr(),
                        reqs.len(),
                        opts.as_ptr(),
                        q.as_ptr(),
                    )
                };
            }
            let created = reqs.len();
            for req in reqs {
                // SAFETY: ours (copied by the call above if it was made), destroyed once.
                unsafe { rd::rd_kafka_ListConsumerGroupOffsets_destroy(req) };
            }
            if created < names.len() {
                return Err(NativeError::fail(OP, "cannot create the request"));
            }
            Ok(())
        },
        |_, ev| {
            // SAFETY: the accessor is called on the event it reads, of the type `check` saw.
            let res = unsafe {
                ev.result(
                    OP,
                    rd::rd_kafka_event_ListConsumerGroupOffsets_result(ev.as_ptr()),
                )
            }?;
            let mut n = 0usize;
            // SAFETY: `res` is live; `n` receives the array's length.
            let g = unsafe { rd::rd_kafka_ListConsumerGroupOffsets_result_groups(res, &mut n) };
            // SAFETY: the array and its results are owned by `ev`.
            let results = unsafe { ev.owned_array(g, n) };
            Ok(results
                .iter()
                .filter_map(|g| {
                    // SAFETY: `g` is live; its name belongs to `ev`.
                    let name = unsafe { ev.string(rd::rd_kafka_group_result_name(*g)) }?;
                    // SAFETY: `g` is live; its error object (NULL on success) belongs to `ev`.
                    let outcome =
                        match unsafe { ev.owned(rd::rd_kafka_group_result_error(*g)) } {
                            Some(e) => Err(error_of(OP, e)),
                            // SAFETY: `g` is live; its partition list belongs to `ev`.
                            None => Ok(unsafe {
                                ev.partitions(rd::rd_kafka_group_result_partitions(*g))
                            }
                            .iter()
                            .filter_map(read_committed)
                            .collect()),
                        };
                    Some((name, outcome))
                })
                .collect())
        },
    )
}

/// Offsets to commit for one group: (topic, partition, offset) each.
pub type GroupOffsets = (String, Vec<(String, i32, i64)>);
/// Partitions the broker refused to commit, with its error; empty when all were committed.
pub type CommitOutcome = Result<Vec<(String, i32, RDKafkaErrorCode)>, NativeError>;

/// Commits offsets for many groups, one AlterConsumerGroupOffsets request per group, pipelined with at
/// most `in_flight` outstanding. `metadata` goes into every committed offset. Returns, per request in
/// input order, the partitions the broker refused with their error.
pub fn alter_committed_offsets(
    rk: Handle<'_>,
    requests: &[GroupOffsets],
    metadata: Option<&str>,
    timeout: Duration,
    in_flight: usize,
) -> Result<Vec<CommitOutcome>, NativeError> {
    const OP: &str = "AlterConsumerGroupOffsets";
    call_pipelined(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
        OP,
        rd::RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
        timeout,
        requests.len(),
        in_flight,
        |i, opts, q| {
            let (group, offsets) = &requests[i];
            let name = cstring(OP, group)?;
            let mut list = RequestPartitions::new(OP, offsets.len())?;
            for (t, p, o) in offsets {
                list.add(OP, t, *p, *o, metadata.map(str::as_bytes))?;
            }
            // SAFETY: `name` and `list` are live; the request copies both (metadata included).
            let req =
                unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_new(name.as_ptr(), list.as_ptr()) };
            if req.is_null() {
                return Err(NativeError::fail(OP, "cannot create the request"));
            }
            let mut reqs = [req];
            // SAFETY: client, options, queue and the one request are live; librdkafka copies the request.
            unsafe {
                rd::rd_kafka_AlterConsumerGroupOffsets(
                    rk.as_ptr(),
                    reqs.as_mut_ptr(),
                    1,
                    opts.as_ptr(),
                    q.as_ptr(),
                )
            };
            // SAFETY: ours, copied by the call above, destroyed once.
            unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_destroy(req) };
            Ok(())
        },
        |i, ev| {
            // SAFETY: the accessor is called on the event it reads, of the type `check` saw.
            let res = unsafe {
                ev.result(
                    OP,
                    rd::rd_kafka_event_AlterConsumerGroupOffsets_result(ev.as_ptr()),
                )
            }?;
            let mut n = 0usize;
            // SAFETY: `res` is live; `n` receives the array's length.
            let g = unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(res, &mut n) };
            // SAFETY: `g` and `n` come from the accessor on `ev`.
            let partitions = unsafe { single_group_partitions(OP, ev, &requests[i].0, g, n) }?;
            Ok(refused(&partitions))
        },
    )
}

/// Deletes one group's committed offsets for `partitions` (one OffsetDelete request). Returns the
/// partitions the broker refused, with its error (for example GROUP_SUBSCRIBED_TO_TOPIC); a whole-group
/// error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) is the call's error.
pub fn delete_committed_offsets(
    rk: Handle<'_>,
    group: &str,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<Vec<(String, i32, RDKafkaErrorCode)>, NativeError> {
    const OP: &str = "DeleteConsumerGroupOffsets";
    let name = cstring(OP, group)?;
    let list = RequestPartitions::of(OP, partitions, OFFSET_INVALID)?;
    // SAFETY: `name` and `list` are live; the request copies both.
    let req = unsafe { rd::rd_kafka_DeleteConsumerGroupOffsets_new(name.as_ptr(), list.as_ptr()) };
    if req.is_null() {
        return Err(NativeError::fail(OP, "cannot create the request"));
    }
    let ev = call_one(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
        OP,
        rd::RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT,
        timeout,
        |_| Ok(()),
        |opts, q| {
            let mut reqs = [req];
            // SAFETY: client, options, queue and the one request are live; librdkafka copies the request.
            unsafe {
                rd::rd_kafka_DeleteConsumerGroupOffsets(
                    rk.as_ptr(),
                    reqs.as_mut_ptr(),
                    1,
                    opts.as_ptr(),
                    q.as_ptr(),
                )
            }
        },
    );
    // SAFETY: ours, destroyed once, whether or not it was submitted (a submitted one was copied).
    unsafe { rd::rd_kafka_DeleteConsumerGroupOffsets_destroy(req) };
    let ev = ev?;
    // SAFETY: the accessor is called on the event it reads, of the type `check` saw.
    let res = unsafe {
        ev.result(
            OP,
            rd::rd_kafka_event_DeleteConsumerGroupOffsets_result(ev.as_ptr()),
        )
    }?;
    let mut n = 0usize;
    // SAFETY: `res` is live; `n` receives the array's length.
    let g = unsafe { rd::rd_kafka_DeleteConsumerGroupOffsets_result_groups(res, &mut n) };
    // SAFETY: `g` and `n` come from the accessor on `ev`.
    let partitions = unsafe { single_group_partitions(OP, &ev, group, g, n) }?;
    Ok(refused(&partitions))
}
