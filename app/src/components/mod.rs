//! Reusable view pieces.

pub mod error_panel;
pub mod state_badge;
