//! One module per route.

pub mod audit;
pub mod group;
pub mod history;
pub mod home;
pub mod lazy;
pub mod not_found;
pub mod saved_plan;
pub mod users;
