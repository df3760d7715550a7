//! The reset service: the `Resets` port over Kafka and the store. Each room holds one part of the job:
//! `snapshot` (reads and preview), `execute` (the protocol), `recovery` (after a crash), `plans` (saved
//! plans and CSV export), `delete_offsets`, `committers` (hidden committers and second looks), `faults`
//! (test-only pauses).

mod committers;
mod delete_offsets;
mod execute;
#[cfg(test)]
mod fake;
mod faults;
mod plans;
pub mod port;
mod recovery;
mod snapshot;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use app::api::ports::{Actor, BoxFuture, Resets};
use app::domain::execution::{
    DeleteOffsetsReport, ExecuteReport, Execution, ExecutionSummary, Preview, SavedPlan,
};
use app::domain::reset::{GroupSnapshot, LandingRecord, ResetSpec, TopicScope};
use app::error::{AppError, AppResult};

use crate::store::{store_error, AuditEntry, ExecutionFilter, Store};
pub use faults::FaultPauses;
use port::OffsetsGateway;

/// Cheap to clone (shared handles), so an execution can run on its own task.
#[derive(Clone)]
pub struct ResetService {
    kafka: Arc<dyn OffsetsGateway>,
    store: Arc<dyn Store>,
    faults: FaultPauses,
    /// This process's id in the store: recovery leaves its own executions alone.
    boot_id: String,
}

impl ResetService {
    pub fn new(kafka: Arc<dyn OffsetsGateway>, store: Arc<dyn Store>, faults: FaultPauses) -> Self {
        Self {
            kafka,
            store,
            faults,
            boot_id: format!("{:016x}", crate::store::random_u64()),
        }
    }

    async fn audit(&self, entry: AuditEntry) {
        crate::store::record(&*self.store, entry).await;
    }

    /// The group's snapshot, or `UnknownGroup` when the broker does not know it.
    async fn existing_group(&self, cluster: &str, group: &str) -> AppResult<GroupSnapshot> {
        self.kafka
            .group_snapshots(cluster, vec![group.to_owned()])
            .await?
            .pop()
            .filter(|g| g.exists)
            .ok_or_else(|| AppError::UnknownGroup {
                cluster: cluster.to_owned(),
                group: group.to_owned(),
            })
    }
}

impl Resets for ResetService {
    fn preview(&self, spec: ResetSpec) -> BoxFuture<'_, AppResult<Preview>> {
        Box::pin(self.preview_impl(spec))
    }

    fn execute(
        &self,
        spec: ResetSpec,
        fingerprint: String,
        at_ms: Option<i64>,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<ExecuteReport>> {
        Box::pin(self.execute_audited(spec, fingerprint, at_ms, actor))
    }

    fn landing_records(
        &self,
        cluster: String,
        group: String,
        targets: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'_, AppResult<Vec<LandingRecord>>> {
        Box::pin(self.landing_records_impl(cluster, group, targets))
    }

    fn execution(&self, id: i64) -> BoxFuture<'_, AppResult<Execution>> {
        Box::pin(async move {
            self.store
                .execution(id)
                .await
                .map_err(store_error("read-execution"))?
                .ok_or_else(|| AppError::NotFound {
                    what: format!("Execution {id}"),
                })
        })
    }

    fn executions(
        &self,
        cluster: String,
        group: Option<String>,
        visible: Vec<String>,
        limit: usize,
    ) -> BoxFuture<'_, AppResult<Vec<ExecutionSummary>>> {
        Box::pin(async move {
            // An unknown cluster is an error, not an empty history.
            self.kafka.bootstrap(&cluster)?;
            self.store
                .executions(ExecutionFilter {
                    cluster: Some(cluster),
                    group,
                    visible: Some(visible),
                    limit,
                })
                .await
                .map_err(store_error("list-executions"))
        })
    }

    fn save_plan(&self, spec: ResetSpec, actor: Actor) -> BoxFuture<'_, AppResult<SavedPlan>> {
        Box::pin(self.save_plan_impl(spec, actor))
    }

    fn delete_plan(&self, id: String, actor: Actor) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(self.delete_plan_impl(id, actor))
    }

    fn saved_plan(&self, id: String) -> BoxFuture<'_, AppResult<SavedPlan>> {
        Box::pin(async move {
            self.store
                .plan(id.clone())
                .await
                .map_err(store_error("read-plan"))?
                .ok_or_else(|| AppError::NotFound {
                    what: format!("Plan {id}"),
                })
        })
    }

    fn export_offsets(&self, cluster: String, group: String) -> BoxFuture<'_, AppResult<String>> {
        Box::pin(self.export_offsets_impl(cluster, group))
    }

    fn delete_offsets(
        &self,
        cluster: String,
        group: String,
        topics: Vec<TopicScope>,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<DeleteOffsetsReport>> {
        Box::pin(self.delete_offsets_impl(cluster, group, topics, actor))
    }
}
