//! Server functions about consumer groups.

use leptos::prelude::*;

use crate::domain::{GroupDetail, GroupLag, GroupPage, GroupSort, GroupState};
use crate::error::AppError;

/// One page of `cluster`'s consumer groups matching `search` (case-insensitive substring) and `state`,
/// sorted by group id or by lag, each with state, type, member count and coordinator.
#[server(endpoint = "groups/list")]
pub async fn list_groups(
    cluster: String,
    #[server(default)] search: String,
    #[server(default)] state: Option<GroupState>,
    #[server(default)] sort: GroupSort,
    #[server(default)] page: u32,
    #[server(default)] page_size: u32,
) -> Result<GroupPage, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    s.auth.authorize(Action::View, &cluster, None)?;
    // Only groups some grant on this cluster covers are listed, counted and paged.
    let visible: Vec<String> = s
        .auth
        .caller()?
        .grants
        .into_iter()
        .filter(|g| crate::domain::access::glob_match(&g.clusters, &cluster))
        .map(|g| g.groups)
        .collect();
    let sees_every_group = visible.iter().any(|g| g == "*");
    let query = crate::domain::GroupQuery {
        search,
        state,
        sort,
        page,
        page_size,
        visible: Some(visible),
    };
    let mut page = s.kafka.list_groups(&cluster, query).await?;
    page.lag_index = page.lag_index.map(|i| i.for_caller(sees_every_group));
    Ok(page)
}

/// Where group `group` of `cluster` stands: members and, per partition, committed offset, log start,
/// log end and lag.
#[server(endpoint = "groups/describe")]
pub async fn describe_group(cluster: String, group: String) -> Result<GroupDetail, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    s.auth.authorize(Action::View, &cluster, Some(&group))?;
    s.kafka.describe_group(&cluster, &group).await
}

/// Total lag and topics of `groups` on `cluster` (at most one page of them), in the order given: one
/// committed-offsets request per group (pipelined) and one ListOffsets for all their partitions.
#[server(endpoint = "groups/lag", input = crate::api::codec::Json)]
pub async fn group_lags(cluster: String, groups: Vec<String>) -> Result<Vec<GroupLag>, AppError> {
    use crate::domain::GroupQuery;
    if groups.len() > GroupQuery::MAX_PAGE_SIZE as usize {
        return Err(AppError::invalid_input(format!(
            "at most {} groups per lag request, got {}",
            GroupQuery::MAX_PAGE_SIZE,
            groups.len()
        )));
    }
    use crate::api::ports::{services, Action};
    let s = services()?;
    for g in &groups {
        s.auth.authorize(Action::View, &cluster, Some(g))?;
    }
    s.kafka.group_lags(&cluster, groups).await
}
