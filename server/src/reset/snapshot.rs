//! What a plan is made of: one batched snapshot of the groups, partitions, time lookups and backup it
//! needs; the plan on it; the preview with target timestamps; the records a plan lands on.

use app::domain::execution::{ExecutionStatus, Preview};
use app::domain::offsets_csv;
use app::domain::planner;
use app::domain::reset::{
    BackupSnapshot, LandingRecord, Plan, PlanError, ResetSpec, Snapshot, Strategy,
};
use app::error::{AppError, AppResult};

use super::ResetService;
use crate::now_ms;
use crate::store::store_error;

/// Target timestamps are read for previews up to this many partitions (one record each, within the
/// reader's budget); wider previews show them only where a time lookup gave them.
const TARGET_TIMESTAMPS_MAX: usize = 1_000;

impl ResetService {
    /// Reads everything `spec` needs from Kafka (and the store, for undo) with batched requests.
    /// `at_override` pins the time-lookup instant of a by-duration plan to the previewed one.
    pub(super) async fn snapshot(
        &self,
        spec: &ResetSpec,
        at_override: Option<i64>,
    ) -> AppResult<Snapshot> {
        planner::validate(spec)?;
        let taken_at_ms = now_ms();
        let at_ms = match (&spec.strategy, at_override) {
            (Strategy::ByDuration { .. }, Some(at)) => Some(at),
            _ => planner::resolve_instant(&spec.strategy, taken_at_ms)?,
        };
        let wanted = spec.groups_shown().map(str::to_owned).collect();
        let mut groups = self.kafka.group_snapshots(&spec.cluster, wanted).await?;
        let source = match &spec.strategy {
            Strategy::CopyFromGroup { group } => {
                let s = groups.pop();
                if !s.as_ref().is_some_and(|s| s.exists) {
                    return Err(AppError::UnknownGroup {
                        cluster: spec.cluster.clone(),
                        group: group.clone(),
                    });
                }
                s
            }
            _ => None,
        };
        let backup = match &spec.strategy {
            Strategy::RestoreBackup { execution } => Some(self.backup_of(spec, *execution).await?),
            _ => None,
        };
        let backup_topics: Vec<String> = backup
            .iter()
            .flat_map(|b| b.offsets.iter().map(|(tp, _)| tp.topic.clone()))
            .collect();
        let topics = planner::topics_needed(spec, &groups, source.as_ref(), &backup_topics)?;
        let (partitions, missing_topics) = self
            .kafka
            .partition_snapshots(&spec.cluster, topics.into_iter().collect())
            .await?;
        let time_lookup = match at_ms {
            Some(at) => {
                let led: Vec<(String, i32)> = partitions
                    .iter()
                    .filter(|p| p.leader.is_some())
                    .map(|p| (p.topic.clone(), p.partition))
                    .collect();
                let found = self.kafka.offsets_for_time(&spec.cluster, led, at).await?;
                Some(app::domain::reset::TimeLookup { at_ms: at, found })
            }
            None => None,
        };
        Ok(Snapshot {
            taken_at_ms,
            groups,
            partitions,
            missing_topics,
            time_lookup,
            source,
            backup,
        })
    }
    /// The backup an undo restores: what the group had before `execution`.
    async fn backup_of(&self, spec: &ResetSpec, execution: i64) -> AppResult<BackupSnapshot> {
        let e = self
            .store
            .execution(execution)
            .await
            .map_err(store_error("read-execution"))?
            .ok_or_else(|| AppError::NotFound {
                what: format!("Execution {execution}"),
            })?;
        if e.cluster != spec.cluster || spec.groups != [e.group.clone()] {
            return Err(PlanError::RestoreOtherGroup {
                execution,
                group: spec.groups.join(", "),
            }
            .into());
        }
        if e.status == ExecutionStatus::Pending {
            return Err(AppError::invalid_input(format!(
                "Execution {execution} has not finished yet; undo it once it has."
            )));
        }
        Ok(BackupSnapshot {
            execution,
            group: e.group,
            offsets: e.partitions.iter().map(|p| (p.tp(), p.before)).collect(),
        })
    }
    pub(super) async fn plan(&self, spec: &ResetSpec, at_override: Option<i64>) -> AppResult<Plan> {
        Ok(self.plan_with_snapshot(spec, at_override).await?.0)
    }
    pub(super) async fn plan_with_snapshot(
        &self,
        spec: &ResetSpec,
        at_override: Option<i64>,
    ) -> AppResult<(Plan, Snapshot)> {
        let snapshot = self.snapshot(spec, at_override).await?;
        Ok((planner::plan(spec, &snapshot)?, snapshot))
    }
    /// Fills in the timestamp of the record each partition will land on, where the plan did not know it.
    async fn add_target_timestamps(&self, plan: &mut Plan) {
        let wanted: Vec<(String, i32, i64)> = plan
            .groups
            .iter()
            .flat_map(|g| g.partitions.iter())
            .filter(|p| p.target_timestamp.is_none())
            .filter_map(|p| {
                let t = p.target?;
                (t >= p.log_start && t < p.log_end).then(|| (p.topic.clone(), p.partition, t))
            })
            .collect();
        if wanted.is_empty() || wanted.len() > TARGET_TIMESTAMPS_MAX {
            return;
        }
        let stamps = self
            .kafka
            .record_timestamps(&plan.spec.cluster, wanted)
            .await;
        for g in &mut plan.groups {
            for p in &mut g.partitions {
                if p.target_timestamp.is_none() {
                    p.target_timestamp = stamps.get(&(p.topic.clone(), p.partition)).copied();
                }
            }
        }
    }
    pub(super) async fn preview_impl(&self, spec: ResetSpec) -> AppResult<Preview> {
        let (mut plan, mut snapshot) = self.plan_with_snapshot(&spec, None).await?;
        // The browser plans on the snapshot; a copy source's members are not its business.
        if let Some(source) = &mut snapshot.source {
            source.members.clear();
        }
        self.add_target_timestamps(&mut plan).await;
        let bootstrap = self.kafka.bootstrap(&spec.cluster)?;
        Ok(Preview {
            cli: offsets_csv::cli_command(&plan, &bootstrap),
            csv: offsets_csv::export_plan(&plan),
            plan,
            snapshot,
            bootstrap,
        })
    }

    /// The record each target lands on, for topics `group` has committed offsets on only.
    pub(super) async fn landing_records_impl(
        &self,
        cluster: String,
        group: String,
        targets: Vec<(String, i32, i64)>,
    ) -> AppResult<Vec<LandingRecord>> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let g = self.existing_group(&cluster, &group).await?;
        let consumed: std::collections::HashSet<&str> =
            g.committed.iter().map(|c| c.topic.as_str()).collect();
        if let Some((topic, _, _)) = targets
            .iter()
            .find(|(t, _, _)| !consumed.contains(t.as_str()))
        {
            return Err(AppError::invalid_input(format!(
                "Landing records are read only on topics group '{group}' has committed offsets on, and '{topic}' is not one of them."
            )));
        }
        self.kafka.landing_records(&cluster, targets).await
    }
}
