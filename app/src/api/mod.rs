//! Server functions, one module per resource. Each is thin: it finds the service in context and calls it.

pub mod clusters;
pub mod groups;
#[cfg(feature = "ssr")]
pub mod ports;
