//! The plumbing every admin call shares: queues, options, result events, request lists, and the
//! borrowed views through which results are read.
//!
//! Past ~500 lines on purpose: this file is the whole unsafe surface the per-API modules build on, and
//! it is reviewed (and run under valgrind) as one.

use std::collections::VecDeque;
use std::ffi::{c_void, CStr, CString};
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use super::{Handle, NativeError};

/// librdkafka's "no offset" (RD_KAFKA_OFFSET_INVALID): what OffsetDelete requests carry, and what a
/// failed ListOffsets sub-request leaves behind.
pub(super) const OFFSET_INVALID: i64 = -1001;

pub(super) fn code(err: rd::rd_kafka_resp_err_t) -> RDKafkaErrorCode {
    RDKafkaErrorCode::from(err)
}

pub(super) fn is_error(err: rd::rd_kafka_resp_err_t) -> bool {
    code(err) != RDKafkaErrorCode::NoError
}

pub(super) fn cstring(operation: &'static str, s: &str) -> Result<CString, NativeError> {
    CString::new(s).map_err(|_| {
        NativeError::new(
            operation,
            RDKafkaErrorCode::InvalidArgument,
            "name contains NUL",
        )
    })
}

/// One batch's group names for a many-group request; an empty batch is refused before anything is sent.
pub(super) fn batch_names(
    operation: &'static str,
    groups: &[String],
) -> Result<Vec<CString>, NativeError> {
    if groups.is_empty() {
        return Err(NativeError::fail(operation, "an empty batch"));
    }
    groups.iter().map(|g| cstring(operation, g)).collect()
}

fn millis(d: Duration) -> c_int {
    c_int::try_from(d.as_millis()).unwrap_or(c_int::MAX)
}

/// Copies a C string that may be NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays live and unchanged during the call.
pub(super) unsafe fn copy_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller vouches for a live NUL-terminated string.
    let s = unsafe { CStr::from_ptr(p) };
    Some(s.to_string_lossy().into_owned())
}

/// The code and text of a librdkafka error object.
pub(super) fn error_of(operation: &'static str, e: &rd::rd_kafka_error_t) -> NativeError {
    // SAFETY: `e` is a live error object (a reference to an opaque librdkafka type is only made from one).
    let c = code(unsafe { rd::rd_kafka_error_code(e) });
    // SAFETY: as above; the string belongs to `e`, which outlives the copy.
    let text = unsafe { copy_string(rd::rd_kafka_error_string(e)) };
    NativeError::new(operation, c, text.unwrap_or_default())
}

/// Consumes an error object a setter returned (NULL on success).
fn owned_error(operation: &'static str, e: *mut rd::rd_kafka_error_t) -> Result<(), NativeError> {
    let Some(e) = NonNull::new(e) else {
        return Ok(());
    };
    // SAFETY: a non-NULL setter result is a live error object we own.
    let err = error_of(operation, unsafe { e.as_ref() });
    // SAFETY: we own it and destroy it once; nothing borrowed from it outlives `err`'s copy.
    unsafe { rd::rd_kafka_error_destroy(e.as_ptr()) };
    Err(err)
}

/// A librdkafka queue; borrows the client, so it is destroyed before the client is.
pub(super) struct Queue<'h> {
    ptr: NonNull<rd::rd_kafka_queue_t>,
    _client: PhantomData<Handle<'h>>,
}

impl<'h> Queue<'h> {
    /// A private queue for admin results.
    pub(super) fn new(rk: Handle<'h>, operation: &'static str) -> Result<Self, NativeError> {
        // SAFETY: `rk` borrows a live client for 'h, and the queue cannot outlive 'h.
        let q = unsafe { rd::rd_kafka_queue_new(rk.as_ptr()) };
        Self::wrap(q).ok_or_else(|| NativeError::fail(operation, "cannot create a queue"))
    }

    /// The client's main queue (logs, errors, statistics), as a reference of our own.
    pub(super) fn main(rk: Handle<'h>) -> Option<Self> {
        // SAFETY: `rk` is live for 'h; the returned reference is released by Drop.
        Self::wrap(unsafe { rd::rd_kafka_queue_get_main(rk.as_ptr()) })
    }

    fn wrap(q: *mut rd::rd_kafka_queue_t) -> Option<Self> {
        NonNull::new(q).map(|ptr| Queue {
            ptr,
            _client: PhantomData,
        })
    }

    pub(super) fn as_ptr(&self) -> *mut rd::rd_kafka_queue_t {
        self.ptr.as_ptr()
    }

    /// The next event, or None when `timeout` passes first.
    pub(super) fn poll(&self, timeout: Duration) -> Option<Event<'h>> {
        // SAFETY: the queue is live; a returned event is ours, destroyed by `Event`'s Drop.
        let ev = unsafe { rd::rd_kafka_queue_poll(self.as_ptr(), millis(timeout)) };
        NonNull::new(ev).map(|ptr| Event {
            ptr,
            _client: PhantomData,
        })
    }
}

impl Drop for Queue<'_> {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_queue_new or _get_main (a counted reference) and released once.
        unsafe { rd::rd_kafka_queue_destroy(self.as_ptr()) }
    }
}

/// Admin options for one request; librdkafka copies them on submit.
pub(super) struct Options<'h> {
    ptr: NonNull<rd::rd_kafka_AdminOptions_t>,
    _client: PhantomData<Handle<'h>>,
}

impl<'h> Options<'h> {
    pub(super) fn new(
        rk: Handle<'h>,
        op: rd::rd_kafka_admin_op_t,
        operation: &'static str,
        timeout: Duration,
    ) -> Result<Self, NativeError> {
        // SAFETY: `rk` is live; a NULL result (an op this librdkafka does not know) is handled.
        let o = unsafe { rd::rd_kafka_AdminOptions_new(rk.as_ptr(), op) };
        let o = NonNull::new(o)
            .map(|ptr| Options {
                ptr,
                _client: PhantomData,
            })
            .ok_or_else(|| NativeError::fail(operation, "cannot create admin options"))?;
        let mut errstr = [0u8; 512];
        // SAFETY: the options are live; errstr is a writable buffer of the length passed (c_char and
        // u8 have the same size and alignment).
        let err = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                o.as_ptr(),
                millis(timeout),
                errstr.as_mut_ptr().cast::<c_char>(),
                errstr.len(),
            )
        };
        if is_error(err) {
            // librdkafka writes a NUL-terminated message on error; the buffer's last byte stays NUL.
            let text = CStr::from_bytes_until_nul(&errstr)
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(NativeError::new(operation, code(err), text));
        }
        Ok(o)
    }

    pub(super) fn as_ptr(&self) -> *mut rd::rd_kafka_AdminOptions_t {
        self.ptr.as_ptr()
    }

    /// Tags the request; its result event carries the value back (see [`Event::opaque`]).
    pub(super) fn set_opaque(&self, value: usize) {
        // SAFETY: the options are live; the opaque is an integer carried in a pointer, never dereferenced.
        unsafe { rd::rd_kafka_AdminOptions_set_opaque(self.as_ptr(), value as *mut c_void) }
    }

    /// Reads the high watermark as Kafka's tool does (READ_UNCOMMITTED); ListOffsets options only.
    pub(super) fn read_uncommitted(&self, operation: &'static str) -> Result<(), NativeError> {
        // SAFETY: the options are live; the returned error object (if any) is consumed by `owned_error`.
        let err = unsafe {
            rd::rd_kafka_AdminOptions_set_isolation_level(
                self.as_ptr(),
                rd::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_UNCOMMITTED,
            )
        };
        owned_error(operation, err)
    }
}

impl Drop for Options<'_> {
    fn drop(&mut self) {
        // SAFETY: librdkafka copied the options into any request made with them; destroyed once.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.as_ptr()) }
    }
}

/// A result event. Everything librdkafka returns from it lives exactly as long as it does, so every
/// borrowed view below carries its lifetime.
pub(super) struct Event<'h> {
    ptr: NonNull<rd::rd_kafka_event_t>,
    _client: PhantomData<Handle<'h>>,
}

impl<'h> Event<'h> {
    pub(super) fn as_ptr(&self) -> *mut rd::rd_kafka_event_t {
        self.ptr.as_ptr()
    }

    pub(super) fn kind(&self) -> c_int {
        // SAFETY: the event is live.
        unsafe { rd::rd_kafka_event_type(self.as_ptr()) }
    }

    /// The integer set with [`Options::set_opaque`].
    pub(super) fn opaque(&self) -> usize {
        // SAFETY: the event is live; the opaque is the integer we set, never dereferenced.
        unsafe { rd::rd_kafka_event_opaque(self.as_ptr()) as usize }
    }

    /// The event's error code, and its text when it is an error.
    pub(super) fn error(&self) -> Option<(RDKafkaErrorCode, String)> {
        // SAFETY: the event is live.
        let err = unsafe { rd::rd_kafka_event_error(self.as_ptr()) };
        if !is_error(err) {
            return None;
        }
        // SAFETY: the string belongs to the event, which outlives the copy.
        let text = unsafe { copy_string(rd::rd_kafka_event_error_string(self.as_ptr())) };
        Some((code(err), text.unwrap_or_default()))
    }

    /// Checks the event type and the request-level error.
    pub(super) fn check(
        &self,
        operation: &'static str,
        expected: c_int,
    ) -> Result<(), NativeError> {
        let ty = self.kind();
        if ty != expected {
            return Err(NativeError::fail(
                operation,
                format!("unexpected event type {ty}"),
            ));
        }
        match self.error() {
            Some((c, text)) => Err(NativeError::new(operation, c, text)),
            None => Ok(()),
        }
    }

    /// The typed result an accessor (`rd_kafka_event_*_result`) returned, or an error when it is NULL.
    ///
    /// # Safety
    /// `p` is NULL or was returned by a result accessor called on this event.
    pub(super) unsafe fn result<'e, T>(
        &'e self,
        operation: &'static str,
        p: *const T,
    ) -> Result<&'e T, NativeError> {
        // SAFETY: per the contract, a non-NULL `p` is this event's result, live while the event is.
        unsafe { self.owned(p) }.ok_or_else(|| NativeError::fail(operation, "event has no result"))
    }

    /// Borrows an object this event owns.
    ///
    /// # Safety
    /// `p` is NULL or points to an object reachable from this event, which librdkafka frees with it.
    pub(super) unsafe fn owned<T>(&self, p: *const T) -> Option<&T> {
        // SAFETY: per the contract, `p` is NULL or valid for as long as `self` is borrowed.
        unsafe { p.as_ref() }
    }

    /// The objects of an array this event owns, NULL entries skipped.
    ///
    /// # Safety
    /// `p` is NULL or points to `n` pointers, each NULL or to an object, all owned by this event.
    pub(super) unsafe fn owned_array<T>(&self, p: *mut *const T, n: usize) -> Vec<&T> {
        if p.is_null() || n == 0 {
            return Vec::new();
        }
        // SAFETY: per the contract, `n` initialised pointers live at `p` while the event does.
        let ptrs = unsafe { std::slice::from_raw_parts(p.cast_const(), n) };
        ptrs.iter()
            // SAFETY: each entry is NULL or an object this event owns.
            .filter_map(|&e| unsafe { self.owned(e) })
            .collect()
    }

    /// The elements of a partition list this event owns.
    ///
    /// # Safety
    /// `list` is NULL or a partition list owned by this event.
    pub(super) unsafe fn partitions<'e>(
        &'e self,
        list: *const rd::rd_kafka_topic_partition_list_t,
    ) -> Vec<Partition<'e>> {
        // SAFETY: per the contract.
        let Some(list) = (unsafe { self.owned(list) }) else {
            return Vec::new();
        };
        let n = usize::try_from(list.cnt).unwrap_or(0);
        if n == 0 || list.elems.is_null() {
            return Vec::new();
        }
        // SAFETY: librdkafka keeps `cnt` initialised elements at `elems` for the life of the list.
        let elems = unsafe { std::slice::from_raw_parts(list.elems.cast_const(), n) };
        elems.iter().map(Partition).collect()
    }

    /// One partition element this event owns.
    ///
    /// # Safety
    /// `p` is NULL or an element of a partition list owned by this event.
    pub(super) unsafe fn partition<'e>(
        &'e self,
        p: *const rd::rd_kafka_topic_partition_t,
    ) -> Option<Partition<'e>> {
        // SAFETY: per the contract.
        unsafe { self.owned(p) }.map(Partition)
    }

    /// A string this event owns, borrowed for as long as the event is.
    ///
    /// # Safety
    /// `p` is NULL or a NUL-terminated string owned by this event.
    pub(super) unsafe fn c_str(&self, p: *const c_char) -> Option<&CStr> {
        // SAFETY: per the contract, live while `self` is borrowed.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
    }

    /// A string this event owns, copied.
    ///
    /// # Safety
    /// `p` is NULL or a NUL-terminated string owned by this event.
    pub(super) unsafe fn string(&self, p: *const c_char) -> Option<String> {
        // SAFETY: per the contract, live while `self` is.
        unsafe { copy_string(p) }
    }
}

impl Drop for Event<'_> {
    fn drop(&mut self) {
        // SAFETY: we own the event; this frees the result and everything reachable from it, which no
        // borrow can still hold (they all carry the event's lifetime).
        unsafe { rd::rd_kafka_event_destroy(self.as_ptr()) }
    }
}

/// An element of a partition list a result event owns; made only by [`Event::partitions`], so its
/// pointers are librdkafka's own.
#[derive(Clone, Copy)]
pub(super) struct Partition<'e>(&'e rd::rd_kafka_topic_partition_t);

impl Partition<'_> {
    pub(super) fn topic(&self) -> Option<String> {
        // SAFETY: the topic is NULL or a string owned by the list's event.
        unsafe { copy_string(self.0.topic) }
    }

    pub(super) fn partition(&self) -> i32 {
        self.0.partition
    }

    pub(super) fn offset(&self) -> i64 {
        self.0.offset
    }

    pub(super) fn err(&self) -> rd::rd_kafka_resp_err_t {
        self.0.err
    }

    /// The commit metadata, when the broker returned any.
    pub(super) fn metadata(&self) -> Option<String> {
        let p = self.0.metadata.cast::<u8>().cast_const();
        if p.is_null() {
            return None;
        }
        // SAFETY: librdkafka keeps `metadata_size` bytes at `metadata`, owned by the list's event.
        let bytes = unsafe { std::slice::from_raw_parts(p, self.0.metadata_size) };
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    pub(super) fn leader_epoch(&self) -> i32 {
        // SAFETY: the element is librdkafka's (it keeps the epoch in a private extension it reads here).
        unsafe { rd::rd_kafka_topic_partition_get_leader_epoch(self.0) }
    }
}

/// A partition list we build for a request and own; librdkafka copies it on submit.
pub(super) struct RequestPartitions {
    ptr: NonNull<rd::rd_kafka_topic_partition_list_t>,
}

impl RequestPartitions {
    pub(super) fn new(operation: &'static str, capacity: usize) -> Result<Self, NativeError> {
        let cap = c_int::try_from(capacity).unwrap_or(c_int::MAX);
        // SAFETY: a plain allocation; NULL is handled.
        let p = unsafe { rd::rd_kafka_topic_partition_list_new(cap) };
        NonNull::new(p)
            .map(|ptr| RequestPartitions { ptr })
            .ok_or_else(|| NativeError::fail(operation, "cannot allocate a partition list"))
    }

    /// A list of `(topic, partition)` pairs, all with `offset`.
    pub(super) fn of(
        operation: &'static str,
        partitions: &[(String, i32)],
        offset: i64,
    ) -> Result<Self, NativeError> {
        let mut list = Self::new(operation, partitions.len())?;
        for (t, p) in partitions {
            list.add(operation, t, *p, offset, None)?;
        }
        Ok(list)
    }

    /// Appends one partition. Metadata is copied into memory from librdkafka's own allocator and owned
    /// by the list from then on: librdkafka frees it with the list (rd_kafka_topic_partition_destroy).
    pub(super) fn add(
        &mut self,
        operation: &'static str,
        topic: &str,
        partition: i32,
        offset: i64,
        metadata: Option<&[u8]>,
    ) -> Result<(), NativeError> {
        let topic = cstring(operation, topic)?;
        // SAFETY: the list is live and ours; librdkafka copies the topic string.
        let e = unsafe {
            rd::rd_kafka_topic_partition_list_add(self.ptr.as_ptr(), topic.as_ptr(), partition)
        };
        let mut e = NonNull::new(e)
            .ok_or_else(|| NativeError::fail(operation, "cannot add to a partition list"))?;
        // SAFETY: `e` is the element just added to our list, not aliased, live until the list is.
        let e = unsafe { e.as_mut() };
        e.offset = offset;
        if let Some(m) = metadata.filter(|m| !m.is_empty()) {
            // SAFETY: librdkafka's allocator (rd_malloc); the client argument is unused by it.
            let buf = unsafe { rd::rd_kafka_mem_malloc(std::ptr::null_mut(), m.len()) };
            let buf = NonNull::new(buf.cast::<u8>())
                .ok_or_else(|| NativeError::fail(operation, "cannot allocate metadata"))?;
            // SAFETY: `buf` is a fresh allocation of m.len() bytes, disjoint from `m`.
            unsafe { std::ptr::copy_nonoverlapping(m.as_ptr(), buf.as_ptr(), m.len()) };
            // A new element has no metadata yet, so nothing is leaked or freed twice.
            e.metadata = buf.as_ptr().cast::<c_void>();
            e.metadata_size = m.len();
        }
        Ok(())
    }

    /// For a C call that copies the list (every admin request does) and does not keep the pointer.
    pub(super) fn as_ptr(&self) -> *mut rd::rd_kafka_topic_partition_list_t {
        self.ptr.as_ptr()
    }
}

impl Drop for RequestPartitions {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_topic_partition_list_new and destroyed once, with the topics and
        // metadata it owns.
        unsafe { rd::rd_kafka_topic_partition_list_destroy(self.ptr.as_ptr()) }
    }
}

/// Deadline margin over librdkafka's own request timeout, for a slow final hop.
const MARGIN: Duration = Duration::from_secs(5);

/// Submits one request and waits for its result event.
pub(super) fn call_one<'h>(
    rk: Handle<'h>,
    op: rd::rd_kafka_admin_op_t,
    operation: &'static str,
    expected: c_int,
    timeout: Duration,
    configure: impl FnOnce(&Options<'h>) -> Result<(), NativeError>,
    submit: impl FnOnce(&Options<'h>, &Queue<'h>),
) -> Result<Event<'h>, NativeError> {
    let queue = Queue::new(rk, operation)?;
    {
        let opts = Options::new(rk, op, operation, timeout)?;
        configure(&opts)?;
        submit(&opts, &queue);
    }
    let ev = queue.poll(timeout + MARGIN).ok_or_else(|| {
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
/// result event with `read`, and returns the outcomes in request order. Used for the admin calls
/// librdkafka limits to one group per request, so N groups cost N concurrent requests, not N in a row.
#[allow(clippy::too_many_arguments)]
pub(super) fn call_pipelined<'h, T>(
    rk: Handle<'h>,
    op: rd::rd_kafka_admin_op_t,
    operation: &'static str,
    expected: c_int,
    timeout: Duration,
    count: usize,
    in_flight: usize,
    mut submit: impl FnMut(usize, &Options<'h>, &Queue<'h>) -> Result<(), NativeError>,
    mut read: impl FnMut(usize, &Event<'h>) -> Result<T, NativeError>,
) -> Result<Vec<Result<T, NativeError>>, NativeError> {
    let mut results: Vec<Option<Result<T, NativeError>>> = (0..count).map(|_| None).collect();
    let queue = Queue::new(rk, operation)?;
    let mut next = 0usize;
    let mut outstanding: VecDeque<(usize, Instant)> = VecDeque::new();
    let limit = in_flight.max(1);
    while next < count || !outstanding.is_empty() {
        while next < count && outstanding.len() < limit {
            let opts = Options::new(rk, op, operation, timeout)?;
            opts.set_opaque(next);
            let outcome = submit(next, &opts, &queue);
            match outcome {
                Ok(()) => outstanding.push_back((next, Instant::now() + timeout + MARGIN)),
                Err(e) => results[next] = Some(Err(e)),
            }
            next += 1;
        }
        let Some(&(_, deadline)) = outstanding.front() else {
            continue;
        };
        match queue.poll(deadline.saturating_duration_since(Instant::now())) {
            Some(ev) => {
                let idx = ev.opaque();
                // An opaque we did not hand out (or already answered) is not ours to record.
                let Some(pos) = outstanding.iter().position(|(i, _)| *i == idx) else {
                    continue;
                };
                outstanding.remove(pos);
                results[idx] = Some(ev.check(operation, expected).and_then(|()| read(idx, &ev)));
            }
            None => {
                // The oldest request is past its deadline: report it and stop waiting for it.
                if let Some((idx, _)) = outstanding.pop_front() {
                    results[idx] = Some(Err(NativeError::new(
                        operation,
                        RDKafkaErrorCode::OperationTimedOut,
                        "no result before the deadline",
                    )));
                }
            }
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(NativeError::fail(operation, "no result"))))
        .collect())
}
