//! One module per route.

pub mod group;
pub mod home;
pub mod not_found;
