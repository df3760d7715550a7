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

/// mimalloc, with its `override` of `malloc` and `free`, so librdkafka's, SQLite's and OpenSSL's
/// allocations go through it as well as Rust's. glibc's malloc gave every thread that allocates
/// (tokio's workers and blocking threads, librdkafka's broker threads) an arena of its own and kept
/// what a 50,000-group listing had freed in each: `rewind-bench` ended at 300 MiB with it and 173 to
/// 179 MiB with mimalloc, and every wide-group row was faster (docs/performance/memory.md). `no_thp`:
/// mimalloc otherwise asks for transparent huge pages, and each 2 MiB page a short-lived answer touches
/// stays resident whole (203 MiB after the same bench).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Wall-clock milliseconds since the epoch, as Rewind records and compares instants.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
