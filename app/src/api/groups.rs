//! Server functions about consumer groups.

use leptos::prelude::*;

use crate::domain::{GroupDetail, GroupPage, GroupState};
use crate::error::AppError;

/// One page of `cluster`'s consumer groups matching `search` (case-insensitive substring) and `state`,
/// sorted by group id, each with state, type, member count and coordinator.
#[server(endpoint = "groups/list")]
pub async fn list_groups(
    cluster: String,
    #[server(default)] search: String,
    #[server(default)] state: Option<GroupState>,
    #[server(default)] page: u32,
    #[server(default)] page_size: u32,
) -> Result<GroupPage, AppError> {
    let query = crate::domain::GroupQuery {
        search,
        state,
        page,
        page_size,
    };
    crate::api::ports::services()?
        .kafka
        .list_groups(&cluster, query)
        .await
}

/// Where group `group` of `cluster` stands: members and, per partition, committed offset, log start,
/// log end and lag.
#[server(endpoint = "groups/describe")]
pub async fn describe_group(cluster: String, group: String) -> Result<GroupDetail, AppError> {
    crate::api::ports::services()?
        .kafka
        .describe_group(&cluster, &group)
        .await
}
