//! Server functions for managing local users; every one needs `Action::ManageUsers` (admin on `*`/`*`).

use crate::api::codec::Json;
use leptos::prelude::*;

use crate::domain::users::{UserChange, UserSummary};
use crate::error::AppError;

/// Every local user (config and store) with their teams, direct and effective grants and sessions.
#[server(endpoint = "users/list", input = Json)]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    s.auth.authorize(Action::ManageUsers, "*", Some("*"))?;
    s.users.list().await
}

/// Creates a user (`creating`, password required) or changes one (password kept when empty).
#[server(endpoint = "users/save", input = Json)]
pub async fn save_user(change: UserChange, creating: bool) -> Result<UserSummary, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    let actor = s.auth.authorize(Action::ManageUsers, "*", Some("*"))?;
    let change = change.normalised(creating)?;
    s.users.save(change, creating, actor).await
}

/// Removes a store user; their sessions end at once.
#[server(endpoint = "users/delete", input = Json)]
pub async fn delete_user(name: String) -> Result<(), AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    let actor = s.auth.authorize(Action::ManageUsers, "*", Some("*"))?;
    s.users.delete(name, actor).await
}
