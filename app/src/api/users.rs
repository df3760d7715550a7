//! Server functions for managing local users; every one needs `Action::ManageUsers` (admin on `*`/`*`).

use crate::api::codec::Json;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::console::Console;

use crate::domain::users::{UserChange, UserSummary};
use crate::error::AppError;

/// Every local user (config and store) with their teams, direct and effective grants and sessions.
#[server(endpoint = "users/list", input = Json)]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    Console::current()?.users().await
}

/// Creates a user (`creating`, password required) or changes one (password kept when empty).
#[server(endpoint = "users/save", input = Json)]
pub async fn save_user(change: UserChange, creating: bool) -> Result<UserSummary, AppError> {
    Console::current()?.save_user(change, creating).await
}

/// Removes a store user; their sessions end at once.
#[server(endpoint = "users/delete", input = Json)]
pub async fn delete_user(name: String) -> Result<(), AppError> {
    Console::current()?.delete_user(name).await
}
