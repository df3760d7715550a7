//! Rewind's server library: configuration, the Kafka gateway, resets, the store, the HTTP router and
//! the demo seeder.
//!
//! The `rewind` binary is a thin CLI over this; integration tests build the same router in-process.

pub mod auth;
pub mod config;
pub mod demo;
pub mod kafka;
pub mod reset;
pub mod router;
pub mod store;
pub mod web;
