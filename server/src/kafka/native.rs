//! Safe wrappers over librdkafka's C admin API for the calls the rdkafka crate does not wrap:
//! ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets and ListOffsets.
//!
//! Every function here blocks (it polls a private librdkafka queue): call it from a blocking thread.
//! Ownership follows librdkafka's rules: inputs are copied by librdkafka when a request is submitted,
//! everything reached from a result event lives exactly as long as that event, so results are copied
//! into owned Rust values before the event is destroyed. Notes: docs/research/librdkafka-admin.md.

#![allow(unsafe_code)]

use std::collections::VecDeque;
use std::ffi::{c_void, CStr, CString};
use std::os::raw::{c_char, c_int};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

/// librdkafka's "no offset" sentinel (RD_KAFKA_OFFSET_INVALID).
const OFFSET_INVALID: i64 = -1001;

/// A failed native admin call, with librdkafka's error code and text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {code} ({message})")]
pub struct NativeError {
    pub operation: &'static str,
    pub code: RDKafkaErrorCode,
    pub message: String,
}

impl NativeError {
    fn new(operation: &'static str, code: RDKafkaErrorCode, message: impl Into<String>) -> Self {
        Self {
            operation,
            code,
            message: message.into(),
        }
    }

    /// Converts an rdkafka client error (from the high-level API) for `operation`.
    pub fn from_kafka(operation: &'static str) -> impl Fn(rdkafka::error::KafkaError) -> Self {
        move |e| Self {
            operation,
            code: e.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail),
            message: e.to_string(),
        }
    }
}

/// Copies a C string that may be NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives this call.
unsafe fn opt_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

fn code(err: rd::rd_kafka_resp_err_t) -> RDKafkaErrorCode {
    RDKafkaErrorCode::from(err)
}

fn is_error(err: rd::rd_kafka_resp_err_t) -> bool {
    code(err) != RDKafkaErrorCode::NoError
}

/// A private result queue; destroyed before the client because each call owns one for its duration.
struct Queue(NonNull<rd::rd_kafka_queue_t>);

impl Queue {
    fn new(rk: NonNull<rd::rd_kafka_t>, operation: &'static str) -> Result<Self, NativeError> {
        // SAFETY: rk is a live client handle for the duration of the call (the caller holds the client).
        let q = unsafe { rd::rd_kafka_queue_new(rk.as_ptr()) };
        NonNull::new(q).map(Queue).ok_or_else(|| {
            NativeError::new(operation, RDKafkaErrorCode::Fail, "cannot create a queue")
        })
    }

    /// The next event, or None when `timeout` passes first.
    fn poll(&self, timeout: Duration) -> Option<Event> {
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the queue is live; a returned event is owned by us and destroyed by `Event`'s Drop.
        NonNull::new(unsafe { rd::rd_kafka_queue_poll(self.0.as_ptr(), ms) }).map(Event)
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_queue_new and destroyed once.
        unsafe { rd::rd_kafka_queue_destroy(self.0.as_ptr()) }
    }
}

struct Options(NonNull<rd::rd_kafka_AdminOptions_t>);

impl Options {
    fn new(
        rk: NonNull<rd::rd_kafka_t>,
        op: rd::rd_kafka_admin_op_t,
        operation: &'static str,
        timeout: Duration,
    ) -> Result<Self, NativeError> {
        // SAFETY: rk is live; a NULL result (unknown op) is handled.
        let o = NonNull::new(unsafe { rd::rd_kafka_AdminOptions_new(rk.as_ptr(), op) })
            .map(Options)
            .ok_or_else(|| {
                NativeError::new(
                    operation,
                    RDKafkaErrorCode::Fail,
                    "cannot create admin options",
                )
            })?;
        let mut errstr = [0 as c_char; 512];
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: options are live; errstr is a writable buffer of the given size.
        let err = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                o.0.as_ptr(),
                ms,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        if is_error(err) {
            // SAFETY: librdkafka NUL-terminates errstr on error.
            let msg = unsafe { opt_string(errstr.as_ptr()) }.unwrap_or_default();
            return Err(NativeError::new(operation, code(err), msg));
        }
        Ok(o)
    }

    /// Applies a setter that returns an owned `rd_kafka_error_t*` (NULL on success).
    fn check(
        &self,
        operation: &'static str,
        err: *mut rd::rd_kafka_error_t,
    ) -> Result<(), NativeError> {
        if err.is_null() {
            return Ok(());
        }
        // SAFETY: err is an owned error object; read it, then destroy it once.
        let (c, msg) = unsafe {
            let c = code(rd::rd_kafka_error_code(err));
            let msg = opt_string(rd::rd_kafka_error_string(err)).unwrap_or_default();
            rd::rd_kafka_error_destroy(err);
            (c, msg)
        };
        Err(NativeError::new(operation, c, msg))
    }

    fn set_opaque(&self, value: usize) {
        // SAFETY: the opaque is an integer smuggled through a pointer, never dereferenced.
        unsafe { rd::rd_kafka_AdminOptions_set_opaque(self.0.as_ptr(), value as *mut c_void) }
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: librdkafka copies options into each request, so they may be destroyed after submit.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0.as_ptr()) }
    }
}

/// A result event; everything read from it must be copied out before it drops.
struct Event(NonNull<rd::rd_kafka_event_t>);

impl Event {
    fn ptr(&self) -> *mut rd::rd_kafka_event_t {
        self.0.as_ptr()
    }

    fn opaque(&self) -> usize {
        // SAFETY: the event is live; the opaque is the integer we set.
        unsafe { rd::rd_kafka_event_opaque(self.ptr()) as usize }
    }

    /// Checks the event type and the request-level error.
    fn check(&self, operation: &'static str, expected: c_int) -> Result<(), NativeError> {
        // SAFETY: the event is live; the error string belongs to the event and is copied.
        unsafe {
            let ty = rd::rd_kafka_event_type(self.ptr());
            if ty != expected {
                return Err(NativeError::new(
                    operation,
                    RDKafkaErrorCode::Fail,
                    format!("unexpected event type {ty}"),
                ));
            }
            let err = rd::rd_kafka_event_error(self.ptr());
            if is_error(err) {
                let msg =
                    opt_string(rd::rd_kafka_event_error_string(self.ptr())).unwrap_or_default();
                return Err(NativeError::new(operation, code(err), msg));
            }
        }
        Ok(())
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: we own the event; this frees the result and everything reachable from it.
        unsafe { rd::rd_kafka_event_destroy(self.ptr()) }
    }
}

/// An owned partition list used as a request input.
struct PartitionList(NonNull<rd::rd_kafka_topic_partition_list_t>);

impl PartitionList {
    fn new(operation: &'static str, capacity: usize) -> Result<Self, NativeError> {
        let cap = c_int::try_from(capacity).unwrap_or(c_int::MAX);
        // SAFETY: plain allocation; a NULL result is handled.
        let p = unsafe { rd::rd_kafka_topic_partition_list_new(cap) };
        NonNull::new(p).map(PartitionList).ok_or_else(|| {
            NativeError::new(
                operation,
                RDKafkaErrorCode::Fail,
                "cannot allocate a partition list",
            )
        })
    }

    fn add(&mut self, topic: &CStr, partition: i32, offset: i64) {
        // SAFETY: the list is live; librdkafka copies the topic string; the returned element is ours to set.
        unsafe {
            let e =
                rd::rd_kafka_topic_partition_list_add(self.0.as_ptr(), topic.as_ptr(), partition);
            (*e).offset = offset;
        }
    }
}

impl PartitionList {
    /// A list of `(topic, partition)` pairs, all with `offset`.
    fn of(
        operation: &'static str,
        partitions: &[(String, i32)],
        offset: i64,
    ) -> Result<Self, NativeError> {
        let mut list = Self::new(operation, partitions.len())?;
        for (t, p) in partitions {
            list.add(&cstring(operation, t)?, *p, offset);
        }
        Ok(list)
    }

    fn elems_mut(&mut self) -> &mut [rd::rd_kafka_topic_partition_t] {
        // SAFETY: the list is live and ours; cnt elements are initialised.
        unsafe {
            let l = self.0.as_ptr();
            if (*l).elems.is_null() {
                return &mut [];
            }
            std::slice::from_raw_parts_mut((*l).elems, usize::try_from((*l).cnt).unwrap_or(0))
        }
    }

    /// Points every element's metadata at `m` without copying: only until `clear_metadata`, which must
    /// run before the list is destroyed (librdkafka would free the pointer) and while `m` lives.
    fn point_metadata_at(&mut self, m: &[u8]) {
        for e in self.elems_mut() {
            e.metadata = m.as_ptr() as *mut c_void;
            e.metadata_size = m.len();
        }
    }

    fn clear_metadata(&mut self) {
        for e in self.elems_mut() {
            e.metadata = std::ptr::null_mut();
            e.metadata_size = 0;
        }
    }
}

impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_topic_partition_list_new and destroyed once.
        unsafe { rd::rd_kafka_topic_partition_list_destroy(self.0.as_ptr()) }
    }
}

/// The elements of a borrowed (event-owned) partition list.
///
/// # Safety
/// `list` is NULL or a live list that outlives the returned slice.
unsafe fn elems<'a>(
    list: *const rd::rd_kafka_topic_partition_list_t,
) -> &'a [rd::rd_kafka_topic_partition_t] {
    if list.is_null() || (*list).cnt <= 0 || (*list).elems.is_null() {
        return &[];
    }
    std::slice::from_raw_parts((*list).elems, usize::try_from((*list).cnt).unwrap_or(0))
}

/// A borrowed array returned by a result accessor.
///
/// # Safety
/// `p` is NULL or points to `n` live pointers that outlive the slice.
unsafe fn array<'a, T>(p: *mut *const T, n: usize) -> &'a [*const T] {
    if p.is_null() || n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(p as *const *const T, n)
    }
}

/// The partitions of the one group a single-group admin result carries, or that group's error.
///
/// # Safety
/// `groups` and `n` come from a `*_result_groups` accessor of a live event; the returned slice lives as
/// long as that event.
unsafe fn single_group_partitions<'a>(
    operation: &'static str,
    groups: *mut *const rd::rd_kafka_group_result_t,
    n: usize,
) -> Result<&'a [rd::rd_kafka_topic_partition_t], NativeError> {
    let Some(&g) = array(groups, n).first() else {
        return Err(NativeError::new(
            operation,
            RDKafkaErrorCode::Fail,
            "no group in the result",
        ));
    };
    let err = rd::rd_kafka_group_result_error(g);
    if !err.is_null() {
        return Err(NativeError::new(
            operation,
            code(rd::rd_kafka_error_code(err)),
            opt_string(rd::rd_kafka_error_string(err)).unwrap_or_default(),
        ));
    }
    Ok(elems(rd::rd_kafka_group_result_partitions(g)))
}

/// The partitions of a commit or delete result that carry an error, with it.
fn refused(elems: &[rd::rd_kafka_topic_partition_t]) -> Vec<(String, i32, RDKafkaErrorCode)> {
    elems
        .iter()
        .filter(|e| is_error(e.err))
        // SAFETY: the topic string lives as long as the event owning `elems`.
        .filter_map(|e| Some((unsafe { opt_string(e.topic) }?, e.partition, code(e.err))))
        .collect()
}

/// Pipelined results in request order; a request that never produced one is reported as such.
fn every_result<T>(
    operation: &'static str,
    results: Vec<Option<Result<T, NativeError>>>,
) -> Vec<Result<T, NativeError>> {
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(NativeError::new(
                    operation,
                    RDKafkaErrorCode::Fail,
                    "no result",
                ))
            })
        })
        .collect()
}

fn cstring(operation: &'static str, s: &str) -> Result<CString, NativeError> {
    CString::new(s).map_err(|_| {
        NativeError::new(
            operation,
            RDKafkaErrorCode::InvalidArgument,
            "name contains NUL",
        )
    })
}

/// Submits one request and waits for its result event.
fn call_one(
    rk: NonNull<rd::rd_kafka_t>,
    op: rd::rd_kafka_admin_op_t,
    operation: &'static str,
    expected: c_int,
    timeout: Duration,
    configure: impl FnOnce(&Options) -> Result<(), NativeError>,
    submit: impl FnOnce(*const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
) -> Result<Event, NativeError> {
    let queue = Queue::new(rk, operation)?;
    {
        let opts = Options::new(rk, op, operation, timeout)?;
        configure(&opts)?;
        submit(opts.0.as_ptr(), queue.0.as_ptr());
    }
    // librdkafka answers by its own request timeout; the margin covers a slow final hop.
    let ev = queue
        .poll(timeout + Duration::from_secs(5))
        .ok_or_else(|| {
            NativeError::new(
                operation,
                RDKafkaErrorCode::OperationTimedOut,
                "no result before the deadline",
            )
        })?;
    ev.check(operation, expected)?;
    Ok(ev)
}

/// Submits `count` requests of one kind on one queue with at most `in_flight` outstanding, reads each
/// result event with `read`, and returns the outcomes in request order. Used for the admin calls librdkafka
/// limits to one group per request, so N groups cost N concurrent requests rather than N sequential ones.
#[allow(clippy::too_many_arguments)]
fn call_pipelined<T>(
    rk: NonNull<rd::rd_kafka_t>,
    op: rd::rd_kafka_admin_op_t,
    operation: &'static str,
    expected: c_int,
    timeout: Duration,
    count: usize,
    in_flight: usize,
    mut submit: impl FnMut(
        usize,
        *const rd::rd_kafka_AdminOptions_t,
        *mut rd::rd_kafka_queue_t,
    ) -> Result<(), NativeError>,
    mut read: impl FnMut(&Event) -> Result<T, NativeError>,
) -> Result<Vec<Result<T, NativeError>>, NativeError> {
    let mut results: Vec<Option<Result<T, NativeError>>> = (0..count).map(|_| None).collect();
    let mut collect = |idx: usize, r: Result<T, NativeError>| {
        if let Some(slot) = results.get_mut(idx) {
            *slot = Some(r);
        }
    };
    let queue = Queue::new(rk, operation)?;
    let mut next = 0usize;
    let mut outstanding: VecDeque<(usize, Instant)> = VecDeque::new();
    let limit = in_flight.max(1);
    while next < count || !outstanding.is_empty() {
        while next < count && outstanding.len() < limit {
            let opts = Options::new(rk, op, operation, timeout)?;
            opts.set_opaque(next);
            match submit(next, opts.0.as_ptr(), queue.0.as_ptr()) {
                Ok(()) => {
                    outstanding.push_back((next, Instant::now() + timeout + Duration::from_secs(5)))
                }
                Err(e) => collect(next, Err(e)),
            }
            next += 1;
        }
        let Some(&(_, deadline)) = outstanding.front() else {
            continue;
        };
        let wait = deadline.saturating_duration_since(Instant::now());
        match queue.poll(wait) {
            Some(ev) => {
                let idx = ev.opaque();
                outstanding.retain(|(i, _)| *i != idx);
                collect(idx, ev.check(operation, expected).and_then(|()| read(&ev)));
            }
            None => {
                // The oldest request is past its deadline: report it and stop waiting for it.
                if let Some((idx, _)) = outstanding.pop_front() {
                    collect(
                        idx,
                        Err(NativeError::new(
                            operation,
                            RDKafkaErrorCode::OperationTimedOut,
                            "no result before the deadline",
                        )),
                    );
                }
            }
        }
    }
    Ok(every_result(operation, results))
}

// ---------------------------------------------------------------------------------------------------
// ListConsumerGroups

/// The KIP-848 group type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    Classic,
    Consumer,
    Unknown,
}

fn group_type(t: rd::rd_kafka_consumer_group_type_t) -> GroupType {
    match t {
        rd::rd_kafka_consumer_group_type_t::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => {
            GroupType::Classic
        }
        rd::rd_kafka_consumer_group_type_t::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => {
            GroupType::Consumer
        }
        _ => GroupType::Unknown,
    }
}

fn state_name(s: rd::rd_kafka_consumer_group_state_t) -> String {
    // SAFETY: returns a static string for any enum value.
    unsafe { opt_string(rd::rd_kafka_consumer_group_state_name(s)) }
        .unwrap_or_else(|| "Unknown".into())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    pub state: String,
    pub group_type: GroupType,
    /// A group that only ever committed offsets (no member protocol).
    pub simple: bool,
}

#[derive(Debug, Clone, Default)]
pub struct GroupListings {
    pub groups: Vec<GroupListing>,
    /// Brokers that failed to answer: the list may be incomplete.
    pub errors: Vec<NativeError>,
}

/// Every consumer group of the cluster (one ListGroups per broker, merged by librdkafka).
pub fn list_consumer_groups(
    rk: NonNull<rd::rd_kafka_t>,
    timeout: Duration,
) -> Result<GroupListings, NativeError> {
    const OP: &str = "ListConsumerGroups";
    let ev = call_one(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        OP,
        rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
        timeout,
        |_| Ok(()),
        // SAFETY: rk, options and queue are live; the call copies what it needs.
        |opts, q| unsafe { rd::rd_kafka_ListConsumerGroups(rk.as_ptr(), opts, q) },
    )?;
    let mut out = GroupListings::default();
    // SAFETY: the result and everything it points to live as long as `ev`, which outlives this block.
    unsafe {
        let res = rd::rd_kafka_event_ListConsumerGroups_result(ev.ptr());
        if res.is_null() {
            return Err(NativeError::new(
                OP,
                RDKafkaErrorCode::Fail,
                "event has no result",
            ));
        }
        let mut n = 0usize;
        let valid = rd::rd_kafka_ListConsumerGroups_result_valid(res, &mut n);
        for &g in array(valid, n) {
            let Some(group_id) = opt_string(rd::rd_kafka_ConsumerGroupListing_group_id(g)) else {
                continue;
            };
            out.groups.push(GroupListing {
                group_id,
                state: state_name(rd::rd_kafka_ConsumerGroupListing_state(g)),
                group_type: group_type(rd::rd_kafka_ConsumerGroupListing_type(g)),
                simple: rd::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
            });
        }
        let mut ne = 0usize;
        let errors = rd::rd_kafka_ListConsumerGroups_result_errors(res, &mut ne);
        for &e in array(errors, ne) {
            out.errors.push(NativeError::new(
                OP,
                code(rd::rd_kafka_error_code(e)),
                opt_string(rd::rd_kafka_error_string(e)).unwrap_or_default(),
            ));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------
// DescribeConsumerGroups

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub group_instance_id: Option<String>,
    pub assignment: Vec<(String, i32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    /// Set when this one group could not be described; the other fields are then defaults.
    pub error: Option<NativeError>,
    pub state: String,
    pub group_type: GroupType,
    pub simple: bool,
    pub assignor: String,
    pub coordinator: Option<Node>,
    pub members: Vec<MemberDescription>,
}

/// librdkafka sends one request per group and merges results in O(n^2): describe in chunks.
const DESCRIBE_CHUNK: usize = 250;

/// Describes `groups` (any number; chunked internally), in input order.
pub fn describe_consumer_groups(
    rk: NonNull<rd::rd_kafka_t>,
    groups: &[String],
    timeout: Duration,
) -> Result<Vec<GroupDescription>, NativeError> {
    const OP: &str = "DescribeConsumerGroups";
    let mut out = Vec::with_capacity(groups.len());
    for chunk in groups.chunks(DESCRIBE_CHUNK) {
        let names = chunk
            .iter()
            .map(|g| cstring(OP, g))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
        let ev = call_one(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
            OP,
            rd::RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
            timeout,
            |_| Ok(()),
            // SAFETY: `names` outlives the call and librdkafka copies the group names.
            |opts, q| unsafe {
                rd::rd_kafka_DescribeConsumerGroups(
                    rk.as_ptr(),
                    ptrs.as_mut_ptr(),
                    ptrs.len(),
                    opts,
                    q,
                )
            },
        )?;
        // SAFETY: everything read below is owned by `ev`, which lives until the end of this iteration.
        unsafe {
            let res = rd::rd_kafka_event_DescribeConsumerGroups_result(ev.ptr());
            if res.is_null() {
                return Err(NativeError::new(
                    OP,
                    RDKafkaErrorCode::Fail,
                    "event has no result",
                ));
            }
            let mut n = 0usize;
            let descs = rd::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut n);
            for &d in array(descs, n) {
                out.push(read_description(d));
            }
        }
    }
    Ok(out)
}

/// # Safety
/// `d` is a live description owned by a result event.
unsafe fn read_description(d: *const rd::rd_kafka_ConsumerGroupDescription_t) -> GroupDescription {
    const OP: &str = "DescribeConsumerGroups";
    let group_id =
        opt_string(rd::rd_kafka_ConsumerGroupDescription_group_id(d)).unwrap_or_default();
    let err = rd::rd_kafka_ConsumerGroupDescription_error(d);
    let error = (!err.is_null()).then(|| {
        NativeError::new(
            OP,
            code(rd::rd_kafka_error_code(err)),
            opt_string(rd::rd_kafka_error_string(err)).unwrap_or_default(),
        )
    });
    let node = rd::rd_kafka_ConsumerGroupDescription_coordinator(d);
    let coordinator = (!node.is_null()).then(|| Node {
        id: rd::rd_kafka_Node_id(node),
        host: opt_string(rd::rd_kafka_Node_host(node)).unwrap_or_default(),
        port: rd::rd_kafka_Node_port(node),
    });
    let mut members = Vec::new();
    for i in 0..rd::rd_kafka_ConsumerGroupDescription_member_count(d) {
        let m = rd::rd_kafka_ConsumerGroupDescription_member(d, i);
        if m.is_null() {
            continue;
        }
        let mut assignment = Vec::new();
        let a = rd::rd_kafka_MemberDescription_assignment(m);
        if !a.is_null() {
            for e in elems(rd::rd_kafka_MemberAssignment_partitions(a)) {
                if let Some(t) = opt_string(e.topic) {
                    assignment.push((t, e.partition));
                }
            }
        }
        assignment.sort();
        members.push(MemberDescription {
            member_id: opt_string(rd::rd_kafka_MemberDescription_consumer_id(m))
                .unwrap_or_default(),
            client_id: opt_string(rd::rd_kafka_MemberDescription_client_id(m)).unwrap_or_default(),
            host: opt_string(rd::rd_kafka_MemberDescription_host(m)).unwrap_or_default(),
            group_instance_id: opt_string(rd::rd_kafka_MemberDescription_group_instance_id(m)),
            assignment,
        });
    }
    GroupDescription {
        group_id,
        error,
        state: state_name(rd::rd_kafka_ConsumerGroupDescription_state(d)),
        group_type: group_type(rd::rd_kafka_ConsumerGroupDescription_type(d)),
        simple: rd::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0,
        assignor: opt_string(rd::rd_kafka_ConsumerGroupDescription_partition_assignor(d))
            .unwrap_or_default(),
        coordinator,
        members,
    }
}

// ---------------------------------------------------------------------------------------------------
// ListConsumerGroupOffsets

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

/// Committed offsets of every partition each group has committed, one result per group in input order.
/// librdkafka accepts one group per ListConsumerGroupOffsets request, so groups are pipelined with at
/// most `in_flight` outstanding on one queue.
pub fn list_committed_offsets(
    rk: NonNull<rd::rd_kafka_t>,
    groups: &[String],
    timeout: Duration,
    in_flight: usize,
) -> Result<Vec<Result<Vec<CommittedOffset>, NativeError>>, NativeError> {
    const OP: &str = "ListConsumerGroupOffsets";
    call_pipelined(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        OP,
        rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
        timeout,
        groups.len(),
        in_flight,
        |i, opts, q| {
            let name = cstring(OP, &groups[i])?;
            // SAFETY: a NULL partition list means "every committed partition"; the request object is
            // copied by librdkafka on submit and destroyed by us right after.
            unsafe {
                let mut req =
                    rd::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), std::ptr::null());
                rd::rd_kafka_ListConsumerGroupOffsets(rk.as_ptr(), &mut req, 1, opts, q);
                rd::rd_kafka_ListConsumerGroupOffsets_destroy(req);
            }
            Ok(())
        },
        |ev| {
            // SAFETY: the result lives as long as `ev`; values are copied out.
            unsafe {
                let res = rd::rd_kafka_event_ListConsumerGroupOffsets_result(ev.ptr());
                let mut n = 0usize;
                let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(res, &mut n);
                Ok(single_group_partitions(OP, groups, n)?
                    .iter()
                    .filter_map(read_committed)
                    .collect())
            }
        },
    )
}

fn read_committed(e: &rd::rd_kafka_topic_partition_t) -> Option<CommittedOffset> {
    // SAFETY: `e` is an element of an event-owned list; its topic and metadata live as long as the event.
    unsafe {
        let topic = opt_string(e.topic)?;
        let metadata = (!e.metadata.is_null()).then(|| {
            let bytes = std::slice::from_raw_parts(e.metadata as *const u8, e.metadata_size);
            String::from_utf8_lossy(bytes).into_owned()
        });
        let epoch = rd::rd_kafka_topic_partition_get_leader_epoch(e);
        Some(CommittedOffset {
            topic,
            partition: e.partition,
            offset: (e.offset >= 0).then_some(e.offset),
            metadata,
            leader_epoch: (epoch >= 0).then_some(epoch),
            error: is_error(e.err).then(|| code(e.err)),
        })
    }
}

// ---------------------------------------------------------------------------------------------------
// ListOffsets

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
    rk: NonNull<rd::rd_kafka_t>,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
    timeout: Duration,
) -> Result<Vec<ListedOffset>, NativeError> {
    const OP: &str = "ListOffsets";
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let list = PartitionList::of(OP, partitions, spec.raw())?;
    let ev = call_one(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
        OP,
        rd::RD_KAFKA_EVENT_LISTOFFSETS_RESULT,
        timeout,
        |opts| {
            // SAFETY: options are live; the returned error (if any) is owned and consumed by `check`.
            let err = unsafe {
                rd::rd_kafka_AdminOptions_set_isolation_level(
                    opts.0.as_ptr(),
                    rd::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_UNCOMMITTED,
                )
            };
            opts.check(OP, err)
        },
        // SAFETY: the list is live for the call and copied by librdkafka.
        |opts, q| unsafe { rd::rd_kafka_ListOffsets(rk.as_ptr(), list.0.as_ptr(), opts, q) },
    )?;
    let mut out = Vec::with_capacity(partitions.len());
    // SAFETY: result infos live as long as `ev`; values are copied out.
    unsafe {
        let res = rd::rd_kafka_event_ListOffsets_result(ev.ptr());
        let mut n = 0usize;
        let infos = rd::rd_kafka_ListOffsets_result_infos(res, &mut n);
        for &info in array(infos, n) {
            let tp = rd::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
            if tp.is_null() {
                continue;
            }
            let Some(topic) = opt_string((*tp).topic) else {
                continue;
            };
            let ts = rd::rd_kafka_ListOffsetsResultInfo_timestamp(info);
            let err = (*tp).err;
            // A failed per-leader sub-request leaves offset -1001 with no error: that is "unknown" too.
            let offset = (*tp).offset;
            out.push(ListedOffset {
                topic,
                partition: (*tp).partition,
                offset: (offset >= 0 && !is_error(err)).then_some(offset),
                timestamp: (ts >= 0).then_some(ts),
                // Kafka answers -1 for "no record at or after the timestamp"; -1001 is librdkafka's own
                // marker of a sub-request that failed.
                error: if is_error(err) {
                    Some(code(err))
                } else if offset == OFFSET_INVALID {
                    Some(RDKafkaErrorCode::Fail)
                } else {
                    None
                },
            });
        }
    }
    Ok(out)
}

/// The native handle of an rdkafka client (never NULL for a created client; checked all the same).
pub fn handle<C: rdkafka::ClientContext>(
    client: &rdkafka::client::Client<C>,
) -> Result<NonNull<rd::rd_kafka_t>, NativeError> {
    NonNull::new(client.native_ptr()).ok_or_else(|| {
        NativeError::new(
            "client",
            RDKafkaErrorCode::Fail,
            "client has no native handle",
        )
    })
}

// ---------------------------------------------------------------------------------------------------
// The main queue

/// What a client's main queue delivered.
pub enum MainEvent<'a> {
    /// librdkafka's statistics JSON (only with `statistics.interval.ms` > 0).
    Stats(&'a str),
    Log {
        level: i32,
        facility: String,
        message: String,
    },
    Error {
        code: RDKafkaErrorCode,
        message: String,
    },
}

/// Serves a client's main queue until `stop` is set: logs, errors and statistics arrive there. The
/// rdkafka crate's `AdminClient` never polls it, so without this they would pile up for the life of a
/// long-running server.
pub fn serve_main_queue(
    rk: NonNull<rd::rd_kafka_t>,
    stop: &std::sync::atomic::AtomicBool,
    mut handle: impl FnMut(MainEvent<'_>),
) {
    // SAFETY: rk is live while the caller holds the client; the returned queue reference is ours.
    let Some(queue) = NonNull::new(unsafe { rd::rd_kafka_queue_get_main(rk.as_ptr()) }).map(Queue)
    else {
        return;
    };
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let Some(ev) = queue.poll(Duration::from_millis(200)) else {
            continue;
        };
        // SAFETY: the event is live; strings it returns belong to it and are used before it drops.
        unsafe {
            match rd::rd_kafka_event_type(ev.ptr()) {
                rd::RD_KAFKA_EVENT_STATS => {
                    let p = rd::rd_kafka_event_stats(ev.ptr());
                    if !p.is_null() {
                        if let Ok(json) = CStr::from_ptr(p).to_str() {
                            handle(MainEvent::Stats(json));
                        }
                    }
                }
                rd::RD_KAFKA_EVENT_LOG => {
                    let (mut fac, mut msg, mut level) = (std::ptr::null(), std::ptr::null(), 0);
                    if rd::rd_kafka_event_log(ev.ptr(), &mut fac, &mut msg, &mut level) == 0 {
                        handle(MainEvent::Log {
                            level,
                            facility: opt_string(fac).unwrap_or_default(),
                            message: opt_string(msg).unwrap_or_default(),
                        });
                    }
                }
                rd::RD_KAFKA_EVENT_ERROR => handle(MainEvent::Error {
                    code: code(rd::rd_kafka_event_error(ev.ptr())),
                    message: opt_string(rd::rd_kafka_event_error_string(ev.ptr()))
                        .unwrap_or_default(),
                }),
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// AlterConsumerGroupOffsets

/// Offsets to commit for one group: (topic, partition, offset) each.
pub type GroupOffsets = (String, Vec<(String, i32, i64)>);
/// Partitions the broker refused to commit, with its error; empty when all were committed.
pub type CommitOutcome = Result<Vec<(String, i32, RDKafkaErrorCode)>, NativeError>;

/// Commits offsets for many groups, one AlterConsumerGroupOffsets request per group (librdkafka's limit),
/// pipelined with at most `in_flight` outstanding. `metadata` goes into every committed offset.
/// Returns, per request in input order, the partitions the broker refused with their error.
pub fn alter_committed_offsets(
    rk: NonNull<rd::rd_kafka_t>,
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
            let topics = offsets
                .iter()
                .map(|(t, _, _)| cstring(OP, t))
                .collect::<Result<Vec<_>, _>>()?;
            let mut list = PartitionList::new(OP, offsets.len())?;
            for ((_, p, o), t) in offsets.iter().zip(&topics) {
                list.add(t, *p, *o);
            }
            if let Some(m) = metadata {
                list.point_metadata_at(m.as_bytes());
            }
            // SAFETY: the request object copies group and list; it is destroyed right after submit.
            unsafe {
                let mut req =
                    rd::rd_kafka_AlterConsumerGroupOffsets_new(name.as_ptr(), list.0.as_ptr());
                // The list must not free metadata it does not own.
                list.clear_metadata();
                rd::rd_kafka_AlterConsumerGroupOffsets(rk.as_ptr(), &mut req, 1, opts, q);
                rd::rd_kafka_AlterConsumerGroupOffsets_destroy(req);
            }
            Ok(())
        },
        |ev| {
            // SAFETY: results live as long as `ev` and are copied out.
            unsafe {
                let res = rd::rd_kafka_event_AlterConsumerGroupOffsets_result(ev.ptr());
                let mut n = 0usize;
                let groups = rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(res, &mut n);
                Ok(refused(single_group_partitions(OP, groups, n)?))
            }
        },
    )
}

// ---------------------------------------------------------------------------------------------------
// DeleteConsumerGroupOffsets

/// Deletes one group's committed offsets for `partitions` (one OffsetDelete request). Returns the
/// partitions the broker refused, with its error (for example GROUP_SUBSCRIBED_TO_TOPIC); a whole-group
/// error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) is the call's error.
pub fn delete_committed_offsets(
    rk: NonNull<rd::rd_kafka_t>,
    group: &str,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<Vec<(String, i32, RDKafkaErrorCode)>, NativeError> {
    const OP: &str = "DeleteConsumerGroupOffsets";
    let name = cstring(OP, group)?;
    let list = PartitionList::of(OP, partitions, OFFSET_INVALID)?;
    let ev = call_one(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
        OP,
        rd::RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT,
        timeout,
        |_| Ok(()),
        // SAFETY: the request object copies group and list; it is destroyed right after submit.
        |opts, q| unsafe {
            let mut req =
                rd::rd_kafka_DeleteConsumerGroupOffsets_new(name.as_ptr(), list.0.as_ptr());
            rd::rd_kafka_DeleteConsumerGroupOffsets(rk.as_ptr(), &mut req, 1, opts, q);
            rd::rd_kafka_DeleteConsumerGroupOffsets_destroy(req);
        },
    )?;
    // SAFETY: results live as long as `ev` and are copied out.
    unsafe {
        let res = rd::rd_kafka_event_DeleteConsumerGroupOffsets_result(ev.ptr());
        let mut n = 0usize;
        let groups = rd::rd_kafka_DeleteConsumerGroupOffsets_result_groups(res, &mut n);
        Ok(refused(single_group_partitions(OP, groups, n)?))
    }
}
