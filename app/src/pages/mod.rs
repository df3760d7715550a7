//! One module per route.

pub mod group;
pub mod history;
pub mod home;
pub mod not_found;
pub mod saved_plan;
