//! Server functions about executions: execute a previewed plan, undo, history, delete offsets.

use crate::api::codec::Json;
use leptos::prelude::*;

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
    use crate::api::ports::{services, Action};
    let s = services()?;
    if spec.groups.is_empty() {
        return Err(crate::domain::reset::PlanError::NoGroup.into());
    }
    let actor = crate::api::plans::authorize_groups(&s, Action::Execute, &spec)?;
    s.resets.execute(spec, fingerprint, at_ms, actor).await
}

/// The spec that undoes execution `id`: restore its backup, to preview and execute like any plan.
#[server(endpoint = "executions/undo-spec", input = Json)]
pub async fn undo_spec(id: i64) -> Result<ResetSpec, AppError> {
    use crate::api::ports::{services, Action};
    use crate::domain::reset::{Scope, Strategy};
    let s = services()?;
    let e = visible_execution(&s, id).await?;
    s.auth
        .authorize(Action::Preview, &e.cluster, Some(&e.group))?;
    Ok(ResetSpec {
        cluster: e.cluster,
        groups: vec![e.group],
        scope: Scope::AllTopics,
        strategy: Strategy::RestoreBackup { execution: id },
    })
}

/// One execution, with its plan cut to its own group (an execution of a multi-group plan records the
/// whole plan). One the caller may not view, or whose copy-from source they may not view, is not found.
#[server(endpoint = "executions/get", input = Json)]
pub async fn get_execution(id: i64) -> Result<Execution, AppError> {
    use crate::api::ports::services;
    let s = services()?;
    let e = visible_execution(&s, id).await?;
    let group = e.group.clone();
    Ok(Execution {
        spec: crate::domain::reset::ResetSpec {
            groups: vec![group.clone()],
            ..e.spec.clone()
        },
        plan: e.plan.clone().of_group(&group),
        ..e
    })
}

/// Execution `id` if the caller may view its group and its copy-from source; otherwise the same
/// answer as for an id that does not exist, so ids cannot be walked to learn other teams' groups.
#[cfg(feature = "ssr")]
async fn visible_execution(
    s: &crate::api::ports::Services,
    id: i64,
) -> Result<Execution, AppError> {
    let not_found = || AppError::NotFound {
        what: format!("Execution {id}"),
    };
    let e = s.resets.execution(id).await?;
    let caller = s.auth.caller()?;
    let visible = std::iter::once(e.group.as_str())
        .chain(e.spec.copy_source())
        .all(|g| caller.sees_group(&e.cluster, g));
    if visible {
        Ok(e)
    } else {
        Err(not_found())
    }
}

/// Newest first, for a cluster or one of its groups.
#[server(endpoint = "executions/list", input = Json)]
pub async fn list_executions(
    cluster: String,
    #[server(default)] group: Option<String>,
    #[server(default)] limit: Option<usize>,
) -> Result<Vec<ExecutionSummary>, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    s.auth.authorize(Action::View, &cluster, group.as_deref())?;
    let caller = s.auth.caller()?;
    let mut list = s
        .resets
        .executions(cluster.clone(), group, limit.unwrap_or(100).min(1000))
        .await?;
    // A cluster's history lists only the groups the caller may see.
    list.retain(|e| caller.sees_group(&cluster, &e.group));
    Ok(list)
}

/// Deletes `group`'s committed offsets for `topics` (whole topics or some partitions). Kafka refuses
/// partitions of topics an active group is subscribed to; the report gives the result per partition.
#[server(endpoint = "executions/delete-offsets", input = Json)]
pub async fn delete_offsets(
    cluster: String,
    group: String,
    topics: Vec<TopicScope>,
) -> Result<DeleteOffsetsReport, AppError> {
    use crate::api::ports::{services, Action};
    let s = services()?;
    let actor = s
        .auth
        .authorize(Action::DeleteOffsets, &cluster, Some(&group))?;
    s.resets.delete_offsets(cluster, group, topics, actor).await
}
