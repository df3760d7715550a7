//! Server functions, one module per resource. Each is one line over `console::Console`, which owns
//! the rules (roles, visibility, bounds) and calls the ports the server implements.

pub mod access;
pub mod clusters;
pub mod codec;
#[cfg(feature = "ssr")]
pub mod console;
pub mod executions;
pub mod groups;
pub mod history;
pub mod plans;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod users;
