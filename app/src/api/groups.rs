//! Server functions about consumer groups.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::console::Console;

use crate::domain::{GroupDetail, GroupLag, GroupPage, GroupSort, GroupState};
use crate::error::AppError;

/// One page of `cluster`'s consumer groups matching `search` (case-insensitive substring) and `state`,
/// with lag status `status` (from the lag samples), sorted by group id, by lag or by lag growth, each with state, type, member count and coordinator.
#[server(endpoint = "groups/list")]
pub async fn list_groups(
    cluster: String,
    #[server(default)] search: String,
    #[server(default)] state: Option<GroupState>,
    #[server(default)] status: Option<crate::domain::lag_history::Status>,
    #[server(default)] sort: GroupSort,
    #[server(default)] page: u32,
    #[server(default)] page_size: u32,
) -> Result<GroupPage, AppError> {
    let query = crate::domain::GroupQuery {
        search,
        state,
        sort,
        page,
        page_size,
        ..Default::default()
    };
    Console::current()?
        .list_groups(cluster, query, status)
        .await
}

/// Where group `group` of `cluster` stands: members and, per partition, committed offset, log start,
/// log end and lag.
#[server(endpoint = "groups/describe")]
pub async fn describe_group(cluster: String, group: String) -> Result<GroupDetail, AppError> {
    Console::current()?.describe_group(cluster, group).await
}

/// When the records at the group's committed offsets were written, for lag in time: read after the
/// group's page data (one record per partition), so the page never waits for it.
#[server(endpoint = "groups/record-times")]
pub async fn record_times(
    cluster: String,
    group: String,
) -> Result<Vec<crate::domain::groups::RecordTime>, AppError> {
    Console::current()?.record_times(cluster, group).await
}

/// Total lag and topics of `groups` on `cluster` (at most one page of them), in the order given: one
/// committed-offsets request per group (pipelined) and one ListOffsets for all their partitions.
#[server(endpoint = "groups/lag", input = crate::api::codec::Json)]
pub async fn group_lags(cluster: String, groups: Vec<String>) -> Result<Vec<GroupLag>, AppError> {
    Console::current()?.group_lags(cluster, groups).await
}

/// When the oldest unread record of each of `groups` (at most one page) was written: lag in time for
/// the groups list, read after the lag in records (a record per lagging partition, within a budget).
#[server(endpoint = "groups/lag-times", input = crate::api::codec::Json)]
pub async fn group_lag_times(
    cluster: String,
    groups: Vec<String>,
) -> Result<Vec<crate::domain::groups::GroupLagTime>, AppError> {
    Console::current()?.group_lag_times(cluster, groups).await
}
