//! Safe wrappers over librdkafka's C admin API for the group and offset calls the rdkafka crate lacks.
//!
//! rdkafka 0.39 wraps no consumer-group admin call (ListConsumerGroups, DescribeConsumerGroups,
//! List/Alter/DeleteConsumerGroupOffsets) and no ListOffsets, so this module binds them by hand; it is the
//! only place in the workspace allowed `unsafe`. Every function blocks (it polls a private librdkafka
//! queue): call it from a blocking thread. Notes on the C API: docs/research/librdkafka-admin.md.
//!
//! Misuse is ruled out by construction, not by care:
//! - [`Handle`] borrows the rdkafka client it came from: no call takes a raw pointer, and nothing made
//!   from a handle (queues, options, events) can outlive the client.
//! - Everything librdkafka hands back lives inside a result event; `raw::Event` is the only way to reach
//!   it, and every borrowed object, list and slice carries the event's lifetime. Results are copied into
//!   owned Rust values before the event drops.
//! - Request inputs own what librdkafka will free: commit metadata is allocated with librdkafka's own
//!   allocator and handed to the list that frees it.
//! - Every pointer librdkafka returns is checked for NULL, and every result's type and error are checked.
//! - `unsafe_op_in_unsafe_fn` and `clippy::undocumented_unsafe_blocks` hold: each `unsafe` block is one
//!   C call (with at most the copy of what it returned), under its own `SAFETY:` reason.

#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

mod committed;
mod groups;
mod list_offsets;
mod main_queue;
mod raw;
#[cfg(test)]
mod tests;

use std::marker::PhantomData;
use std::ptr::NonNull;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

pub use committed::{
    alter_committed_offsets, delete_committed_offsets, list_committed_offsets,
    list_committed_offsets_batched, CommitOutcome, CommittedOffset, GroupCommits, GroupOffsets,
};
pub use groups::{
    describe_consumer_groups, describe_consumer_groups_batched, list_consumer_groups,
    GroupDescription, GroupListing, GroupListings, GroupType, MemberDescription, Node,
};
pub use list_offsets::{cached_watermarks, list_offsets, ListedOffset, OffsetSpec};
pub use main_queue::{serve_main_queue, MainEvent};

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

    /// A failure of librdkafka itself (NULL where an object was due, an unexpected event).
    pub fn fail(operation: &'static str, message: impl Into<String>) -> Self {
        Self::new(operation, RDKafkaErrorCode::Fail, message)
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

/// A live librdkafka client, borrowed from the rdkafka client that owns it: it cannot be forged from a
/// pointer, and cannot outlive its client.
#[derive(Clone, Copy)]
pub struct Handle<'c> {
    ptr: NonNull<rd::rd_kafka_t>,
    _client: PhantomData<&'c rd::rd_kafka_t>,
}

impl<'c> Handle<'c> {
    /// The handle of `client` (never NULL for a created client; checked all the same).
    pub fn of<C: rdkafka::ClientContext>(
        client: &'c rdkafka::client::Client<C>,
    ) -> Result<Self, NativeError> {
        NonNull::new(client.native_ptr())
            .map(|ptr| Handle {
                ptr,
                _client: PhantomData,
            })
            .ok_or_else(|| NativeError::fail("client", "client has no native handle"))
    }

    fn as_ptr(self) -> *mut rd::rd_kafka_t {
        self.ptr.as_ptr()
    }
}

/// The native handle of an rdkafka client; see [`Handle::of`].
pub fn handle<C: rdkafka::ClientContext>(
    client: &rdkafka::client::Client<C>,
) -> Result<Handle<'_>, NativeError> {
    Handle::of(client)
}
