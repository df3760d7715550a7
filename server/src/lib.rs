//! Rewind's server library: configuration, the Kafka gateway, resets, the store, the HTTP router and
//! the demo seeder.
//!
//! The `rewind` binary is a thin CLI over this; integration tests build the same router in-process.

pub mod auth;
pub mod config;
pub mod demo;
pub mod kafka;
pub mod lag_history;
pub mod metrics;
pub mod ops;
pub mod reset;
pub mod router;
pub mod store;
pub mod web;

/// Wall-clock milliseconds since the epoch, as Rewind records and compares instants.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
