//! Server functions about executions: execute a previewed plan, undo, history, delete offsets.

use crate::api::codec::Json;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::console::Console;

use crate::domain::execution::{DeleteOffsetsReport, ExecuteReport, Execution, ExecutionSummary};
use crate::domain::reset::{ResetSpec, TopicScope};
use crate::error::AppError;

/// Executes `spec` as previewed: refused when Kafka drifted from `fingerprint`, when a group is active,
/// or when another execution holds the group; otherwise backs up, commits, reads back and verifies.
/// `at_ms` is the preview's `plan.at_ms` (by-duration resolves to the same instant).
#[server(endpoint = "executions/execute", input = Json)]
pub async fn execute_plan(
    spec: ResetSpec,
    fingerprint: String,
    #[server(default)] at_ms: Option<i64>,
) -> Result<ExecuteReport, AppError> {
    Console::current()?.execute(spec, fingerprint, at_ms).await
}

/// The spec that undoes execution `id`: restore its backup, to preview and execute like any plan.
#[server(endpoint = "executions/undo-spec", input = Json)]
pub async fn undo_spec(id: i64) -> Result<ResetSpec, AppError> {
    Console::current()?.undo_spec(id).await
}

/// One execution, with its plan cut to its own group (an execution of a multi-group plan records the
/// whole plan). One the caller may not view, or whose copy-from source they may not view, is not found.
#[server(endpoint = "executions/get", input = Json)]
pub async fn get_execution(id: i64) -> Result<Execution, AppError> {
    Console::current()?.execution(id).await
}

/// Newest first, for a cluster or one of its groups.
#[server(endpoint = "executions/list", input = Json)]
pub async fn list_executions(
    cluster: String,
    #[server(default)] group: Option<String>,
    #[server(default)] limit: Option<usize>,
) -> Result<Vec<ExecutionSummary>, AppError> {
    Console::current()?.executions(cluster, group, limit).await
}

/// Deletes `group`'s committed offsets for `topics` (whole topics or some partitions). Kafka refuses
/// partitions of topics an active group is subscribed to; the report gives the result per partition.
#[server(endpoint = "executions/delete-offsets", input = Json)]
pub async fn delete_offsets(
    cluster: String,
    group: String,
    topics: Vec<TopicScope>,
) -> Result<DeleteOffsetsReport, AppError> {
    Console::current()?
        .delete_offsets(cluster, group, topics)
        .await
}
