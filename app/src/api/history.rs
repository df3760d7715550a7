//! Server functions about lag over time.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::console::Console;

use crate::domain::lag_history::{LagHistory, ReplayProgress, Sparkline};
use crate::error::AppError;

/// Group `group`'s sampled lag over `window` (`1h`, `6h`, `24h`, `7d`), per topic and in total, with
/// every execution inside it and the group's status; with `partitions_of`, also that topic's
/// most-lagging partitions, when the group was sampled per partition.
#[server(endpoint = "groups/lag-history")]
pub async fn group_lag_history(
    cluster: String,
    group: String,
    #[server(default)] window: String,
    #[server(default)] partitions_of: String,
) -> Result<LagHistory, AppError> {
    Console::current()?
        .lag_history(cluster, group, window, partitions_of)
        .await
}

/// Pins (`pinned=true`) or unpins the group's per-partition sampling; whether it is pinned now.
#[server(endpoint = "groups/lag-pin")]
pub async fn pin_group_lag(cluster: String, group: String, pinned: bool) -> Result<bool, AppError> {
    Console::current()?.pin_group(cluster, group, pinned).await
}

/// The same samples as CSV, a row per pass and topic (gaps have empty values).
#[server(endpoint = "groups/lag-history-csv")]
pub async fn group_lag_history_csv(
    cluster: String,
    group: String,
    #[server(default)] window: String,
) -> Result<String, AppError> {
    Console::current()?
        .lag_history_csv(cluster, group, window)
        .await
}

/// The last hour of each of `groups` (at most a page), for the list's sparklines and statuses.
#[server(endpoint = "groups/lag-sparklines", input = crate::api::codec::Json)]
pub async fn group_lag_sparklines(
    cluster: String,
    groups: Vec<String>,
) -> Result<Vec<Sparkline>, AppError> {
    Console::current()?.lag_sparklines(cluster, groups).await
}

/// Records re-read so far since execution `id`, the rate and the time left, from the samples.
#[server(endpoint = "executions/replay-progress")]
pub async fn execution_replay_progress(id: i64) -> Result<Option<ReplayProgress>, AppError> {
    Console::current()?.replay_progress(id).await
}
