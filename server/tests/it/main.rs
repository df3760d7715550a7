//! Rewind's integration tests against a real Kafka broker, in one binary: the whole server links once.
//!
//! Needs `REWIND_TEST_BOOTSTRAP` (and the SASL/TLS variables `scripts/test.sh` exports); see each
//! module's header for what it covers.

// `clippy.toml` allows unwrap in test functions; the helpers beside them report by panicking too.
#![allow(clippy::unwrap_used)]

mod auth;
mod faults;
mod groups;
mod interop;
mod lag_history;
mod parity_describe;
mod parity_reset;
mod resets;
mod roles;
mod sasl;
mod support;
mod tls;
mod users;
mod wakeups;
mod web;
