//! Server functions, one module per resource. Each is thin: it finds the service in context and calls it.

pub mod access;
pub mod clusters;
pub mod codec;
pub mod executions;
pub mod groups;
pub mod plans;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod users;
