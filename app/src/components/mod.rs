//! Reusable view pieces.

pub mod error_panel;
pub mod reset_panel;
pub mod state_badge;
