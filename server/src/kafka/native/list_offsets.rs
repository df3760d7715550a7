//! ListOffsets: a partition's earliest or latest offset, or the first offset at or after a timestamp.

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use super::raw::{call_one, code, is_error, Event, RequestPartitions, OFFSET_INVALID};
use super::{Handle, NativeError};

/// What to look up for a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    /// The high watermark (READ_UNCOMMITTED), as Kafka's tool uses for LOG-END-OFFSET.
    Latest,
    /// The first offset whose timestamp is >= this many ms since the epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    fn raw(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::Timestamp(ts) => ts.max(0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOffset {
    pub topic: String,
    pub partition: i32,
    /// None when unknown (an error, or no record at/after the timestamp).
    pub offset: Option<i64>,
    pub timestamp: Option<i64>,
    pub error: Option<RDKafkaErrorCode>,
}

/// Offsets for many partitions with one spec, in one request per partition leader. Duplicate partitions
/// are not allowed by the protocol; look up different specs with separate calls.
pub fn list_offsets(
    rk: Handle<'_>,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
    timeout: Duration,
) -> Result<Vec<ListedOffset>, NativeError> {
    const OP: &str = "ListOffsets";
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let list = RequestPartitions::of(OP, partitions, spec.raw())?;
    let ev = call_one(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
        OP,
        rd::RD_KAFKA_EVENT_LISTOFFSETS_RESULT,
        timeout,
        |opts| opts.read_uncommitted(OP),
        // SAFETY: client, list, options and queue are live; librdkafka copies the list.
        |opts, q| unsafe {
            rd::rd_kafka_ListOffsets(rk.as_ptr(), list.as_ptr(), opts.as_ptr(), q.as_ptr())
        },
    )?;
    // SAFETY: the accessor is called on the event it reads, of the type `check` saw.
    let res = unsafe { ev.result(OP, rd::rd_kafka_event_ListOffsets_result(ev.as_ptr())) }?;
    let mut n = 0usize;
    // SAFETY: `res` is live; `n` receives the array's length.
    let infos = unsafe { rd::rd_kafka_ListOffsets_result_infos(res, &mut n) };
    // SAFETY: the array and its infos are owned by `ev`.
    let infos = unsafe { ev.owned_array(infos, n) };
    Ok(infos
        .into_iter()
        .filter_map(|i| read_info(&ev, i))
        .collect())
}

fn read_info(ev: &Event<'_>, info: &rd::rd_kafka_ListOffsetsResultInfo_t) -> Option<ListedOffset> {
    // SAFETY: `info` is live; it returns a one-element partition view owned by `ev`.
    let tp = unsafe { rd::rd_kafka_ListOffsetsResultInfo_topic_partition(info) };
    // SAFETY: `tp` is NULL or an element owned by `ev`, read through the event's partition view.
    let tp = unsafe { ev.partition(tp) }?;
    // SAFETY: `info` is live.
    let ts = unsafe { rd::rd_kafka_ListOffsetsResultInfo_timestamp(info) };
    let (err, offset) = (tp.err(), tp.offset());
    Some(ListedOffset {
        topic: tp.topic()?,
        partition: tp.partition(),
        // A failed per-leader sub-request leaves offset -1001 with no error: that is "unknown" too.
        offset: (offset >= 0 && !is_error(err)).then_some(offset),
        timestamp: (ts >= 0).then_some(ts),
        // Kafka answers -1 for "no record at or after the timestamp"; -1001 is librdkafka's own marker of
        // a sub-request that failed.
        error: if is_error(err) {
            Some(code(err))
        } else if offset == OFFSET_INVALID {
            Some(RDKafkaErrorCode::Fail)
        } else {
            None
        },
    })
}

/// The log start and high watermark a client last heard of for a partition, without a request: a
/// consumer learns the high watermark from each fetch answer. None before it has heard any.
pub fn cached_watermarks(rk: Handle<'_>, topic: &str, partition: i32) -> Option<(i64, i64)> {
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (OFFSET_INVALID, OFFSET_INVALID);
    // SAFETY: `rk` is a live client for the borrow and `topic` a NUL-terminated string that outlives
    // the call; librdkafka only writes the two offsets through their pointers and keeps none of them.
    let err = unsafe {
        rd::rd_kafka_get_watermark_offsets(
            rk.as_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (!is_error(err) && high >= 0).then_some((low, high))
}
