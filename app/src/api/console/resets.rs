//! Plans and executions: preview, save, execute, undo, history, delete offsets, CSV, landing records.

use super::Console;
use crate::api::plans::LANDING_RECORDS_MAX;
use crate::api::ports::Action;
use crate::domain::execution::{
    DeleteOffsetsReport, ExecuteReport, Execution, ExecutionSummary, Preview, SavedPlan,
};
use crate::domain::reset::{LandingRecord, PlanError, ResetSpec, Scope, Strategy, TopicScope};
use crate::error::{AppError, AppResult};

/// Most executions one history call lists.
pub const HISTORY_MAX: usize = 1000;

impl Console {
    pub async fn preview(&self, spec: ResetSpec) -> AppResult<Preview> {
        self.authorize_spec(Action::Preview, &spec)?;
        self.s.resets.preview(spec).await
    }

    pub async fn save_plan(&self, spec: ResetSpec) -> AppResult<SavedPlan> {
        let actor = self.authorize_spec(Action::SavePlan, &spec)?;
        self.s.resets.save_plan(spec, actor).await
    }

    pub async fn plan(&self, id: String) -> AppResult<SavedPlan> {
        self.visible_plan(id).await
    }

    pub async fn delete_plan(&self, id: String) -> AppResult<()> {
        let plan = self.visible_plan(id.clone()).await?;
        let actor = self.authorize_spec(Action::DeletePlan, &plan.plan.spec)?;
        self.s.resets.delete_plan(id, actor).await
    }

    pub async fn export_offsets(&self, cluster: String, group: String) -> AppResult<String> {
        self.s
            .auth
            .authorize(Action::Preview, &cluster, Some(&group))?;
        self.s.resets.export_offsets(cluster, group).await
    }

    /// The role is checked on `group`, and the service reads only topics that group has committed
    /// on: a right on one group is not a right to read any topic's records.
    pub async fn landing_records(
        &self,
        cluster: String,
        group: String,
        targets: Vec<(String, i32, i64)>,
    ) -> AppResult<Vec<LandingRecord>> {
        self.s
            .auth
            .authorize(Action::Preview, &cluster, Some(&group))?;
        if targets.len() > LANDING_RECORDS_MAX {
            return Err(AppError::invalid_input(format!(
                "At most {LANDING_RECORDS_MAX} records are read at once; {} were asked for.",
                targets.len()
            )));
        }
        self.s.resets.landing_records(cluster, group, targets).await
    }

    pub async fn execute(
        &self,
        spec: ResetSpec,
        fingerprint: String,
        at_ms: Option<i64>,
    ) -> AppResult<ExecuteReport> {
        if spec.groups.is_empty() {
            return Err(PlanError::NoGroup.into());
        }
        let actor = self.authorize_spec(Action::Execute, &spec)?;
        self.s.resets.execute(spec, fingerprint, at_ms, actor).await
    }

    /// The spec that undoes execution `id`: restore its backup, to preview and execute like any plan.
    pub async fn undo_spec(&self, id: i64) -> AppResult<ResetSpec> {
        let e = self.visible_execution(id).await?;
        self.s
            .auth
            .authorize(Action::Preview, &e.cluster, Some(&e.group))?;
        Ok(ResetSpec {
            cluster: e.cluster,
            groups: vec![e.group],
            scope: Scope::AllTopics,
            strategy: Strategy::RestoreBackup { execution: id },
        })
    }

    /// One execution, with its plan cut to its own group (an execution of a multi-group plan records
    /// the whole plan).
    pub async fn execution(&self, id: i64) -> AppResult<Execution> {
        let e = self.visible_execution(id).await?;
        let group = e.group.clone();
        Ok(Execution {
            spec: ResetSpec {
                groups: vec![group.clone()],
                ..e.spec.clone()
            },
            plan: e.plan.clone().of_group(&group),
            ..e
        })
    }

    /// Newest first, for a cluster or one of its groups: only groups the caller may see, filtered
    /// before the limit so a cluster's history never comes back short.
    pub async fn executions(
        &self,
        cluster: String,
        group: Option<String>,
        limit: Option<usize>,
    ) -> AppResult<Vec<ExecutionSummary>> {
        self.s
            .auth
            .authorize(Action::View, &cluster, group.as_deref())?;
        let caller = self.caller()?;
        let visible = caller.visible_groups(&cluster);
        let limit = limit.unwrap_or(100).clamp(1, HISTORY_MAX);
        let mut list = self
            .s
            .resets
            .executions(cluster.clone(), group, visible, limit)
            .await?;
        // The store's GLOB is the filter that keeps the page full; this is the rule itself, which SQL
        // cannot fully say (GLOB stops at a NUL byte, which a Kafka group id may contain).
        list.retain(|e| caller.sees_group(&cluster, &e.group));
        Ok(list)
    }

    /// Kafka refuses partitions of topics an active group is subscribed to; the report says which.
    pub async fn delete_offsets(
        &self,
        cluster: String,
        group: String,
        topics: Vec<TopicScope>,
    ) -> AppResult<DeleteOffsetsReport> {
        let actor = self
            .s
            .auth
            .authorize(Action::DeleteOffsets, &cluster, Some(&group))?;
        self.s
            .resets
            .delete_offsets(cluster, group, topics, actor)
            .await
    }
}
