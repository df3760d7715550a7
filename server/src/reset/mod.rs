//! The reset service: snapshots, preview, the execute protocol (drift and state checks, durable backup,
//! one commit per group, read-back verification, record), undo, recovery after a crash, interop.

mod committers;
pub mod port;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use app::api::ports::{Actor, BoxFuture, Resets};
use app::domain::execution::{
    DeleteOffsetsReport, DeletedOffset, ExecuteReport, Execution, ExecutionStatus,
    ExecutionSummary, PartitionOutcome, Preview, SavedPlan,
};
use app::domain::offsets_csv;
use app::domain::planner;
use app::domain::reset::{
    BackupSnapshot, GroupPlan, GroupSnapshot, LandingRecord, Plan, PlanError, Refusal, ResetSpec,
    Snapshot, Strategy, TopicPartition, TopicScope,
};
use app::domain::timespec;
use app::error::{AppError, AppResult};

use crate::now_ms;
use crate::store::{
    store_error, AuditEntry, Begin, ExecutionFilter, NewExecution, Store, StoreError,
};
use port::OffsetsGateway;

/// Target timestamps are read for previews up to this many partitions (one record each, within the
/// reader's budget); wider previews show them only where a time lookup gave them.
const TARGET_TIMESTAMPS_MAX: usize = 1_000;
/// How far a by-duration plan's looked-up instant may sit from "now minus the duration" at execute time.
const BY_DURATION_MAX_SKEW_MS: i64 = 5 * 60_000;

/// Deliberate pauses for fault-injection tests (a SIGKILL between backup and commit, or between commit
/// and record). Zero in production; set only through `REWIND_FAULT_PAUSE_*` environment variables.
#[derive(Debug, Clone, Default)]
pub struct FaultPauses {
    pub before_commit: Duration,
    pub after_commit: Duration,
}

impl FaultPauses {
    pub fn from_env() -> Self {
        let ms = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .map_or(Duration::ZERO, Duration::from_millis)
        };
        Self {
            before_commit: ms("REWIND_FAULT_PAUSE_BEFORE_COMMIT_MS"),
            after_commit: ms("REWIND_FAULT_PAUSE_AFTER_COMMIT_MS"),
        }
    }
}

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

    /// Reads everything `spec` needs from Kafka (and the store, for undo) with batched requests.
    /// `at_override` pins the time-lookup instant of a by-duration plan to the previewed one.
    async fn snapshot(&self, spec: &ResetSpec, at_override: Option<i64>) -> AppResult<Snapshot> {
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

    async fn plan(&self, spec: &ResetSpec, at_override: Option<i64>) -> AppResult<Plan> {
        Ok(self.plan_with_snapshot(spec, at_override).await?.0)
    }

    async fn plan_with_snapshot(
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

    async fn preview_impl(&self, spec: ResetSpec) -> AppResult<Preview> {
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

    async fn execute_impl(
        &self,
        spec: ResetSpec,
        fingerprint: String,
        at_ms: Option<i64>,
        actor: Actor,
    ) -> AppResult<ExecuteReport> {
        // "2 hours ago" means 2 hours before now, not before a preview left open since the morning.
        if let (Strategy::ByDuration { duration }, Some(at)) = (&spec.strategy, at_ms) {
            let meant = now_ms().saturating_sub(timespec::parse_duration(duration)?);
            if (meant - at).abs() > BY_DURATION_MAX_SKEW_MS {
                return Err(AppError::invalid_input(format!(
                    "This by-duration plan was previewed for an instant {} s away from now minus {duration}; preview it again.",
                    (meant - at).abs() / 1000
                )));
            }
        }
        let plan = self.plan(&spec, at_ms).await?;
        // Every group is checked before any is touched: a refusal never leaves a half-done reset. An
        // active group is named as such even when its own commits also moved the plan.
        for g in &plan.groups {
            if let Some(Refusal::Active { state, members }) = &g.refusal {
                return Err(AppError::GroupActive {
                    group: g.group.clone(),
                    state: *state,
                    members: members.clone(),
                });
            }
        }
        if plan.fingerprint != fingerprint {
            return Err(AppError::Drift {
                group: spec.groups.join(", "),
                plan: Box::new(plan),
            });
        }
        // An Empty group whose offsets someone keeps committing would be overwritten in seconds.
        let groups: Vec<&GroupPlan> = plan.groups.iter().collect();
        self.refuse_hidden_committers(&plan.spec.cluster, &groups)
            .await?;
        let undo_of = match spec.strategy {
            Strategy::RestoreBackup { execution } => Some(execution),
            _ => None,
        };
        let mut report = ExecuteReport {
            executions: Vec::new(),
            not_attempted: Vec::new(),
        };
        let mut failure: Option<AppError> = None;
        for g in &plan.groups {
            if failure.is_some() {
                report.not_attempted.push(g.group.clone());
                continue;
            }
            // On its own task: a client that disconnects must not cancel an execution half-way and
            // leave it pending with the group locked.
            let (this, p, group_plan, who) = (self.clone(), plan.clone(), g.clone(), actor.clone());
            let run =
                tokio::spawn(
                    async move { this.execute_group(&p, &group_plan, &who, undo_of).await },
                )
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "execution task failed");
                    Err(AppError::Internal {
                        reference: "execution-task".into(),
                    })
                });
            match run {
                Ok(e) => {
                    if e.status != ExecutionStatus::Succeeded {
                        failure = Some(AppError::ExecutionFailed {
                            execution: e.id,
                            group: e.group.clone(),
                            reason: e.message.clone().unwrap_or_default(),
                            report: Box::default(),
                        });
                    }
                    report.executions.push(e);
                }
                Err(e) => {
                    report.not_attempted.push(g.group.clone());
                    failure = Some(e);
                }
            }
        }
        match failure {
            None => Ok(report),
            Some(e) => {
                tracing::warn!(
                    executed = report.executions.len(),
                    not_attempted = ?report.not_attempted,
                    error = %e,
                    "execute stopped"
                );
                // Groups already executed are part of the answer: never a silent half-done reset.
                Err(match e {
                    AppError::ExecutionFailed {
                        execution,
                        group,
                        reason,
                        ..
                    } => AppError::ExecutionFailed {
                        execution,
                        group,
                        reason,
                        report: Box::new(report),
                    },
                    other if !report.executions.is_empty() => AppError::ExecutionFailed {
                        execution: report.executions[report.executions.len() - 1].id,
                        group: report.not_attempted.first().cloned().unwrap_or_default(),
                        reason: format!(
                            "{other} Groups executed before it stay executed; groups not attempted: {}.",
                            report.not_attempted.join(", ")
                        ),
                        report: Box::new(report),
                    },
                    other => other,
                })
            }
        }
    }

    /// One group: lock + durable backup, a last check that nothing moved, one commit, read back.
    async fn execute_group(
        &self,
        plan: &Plan,
        g: &GroupPlan,
        actor: &Actor,
        undo_of: Option<i64>,
    ) -> AppResult<Execution> {
        let cluster = plan.spec.cluster.clone();
        let partitions: Vec<PartitionOutcome> = g
            .partitions
            .iter()
            .map(|p| PartitionOutcome {
                topic: p.topic.clone(),
                partition: p.partition,
                before: p.current,
                target: p.target,
                after: None,
                error: None,
            })
            .collect();
        let started_at_ms = now_ms();
        let begin = self
            .store
            .begin_execution(NewExecution {
                cluster: cluster.clone(),
                group: g.group.clone(),
                actor: actor.name.clone(),
                started_at_ms,
                spec: plan.spec.clone(),
                plan: plan.clone(),
                undo_of,
                owner: self.boot_id.clone(),
                partitions: partitions.clone(),
            })
            .await
            .map_err(store_error("begin-execution"))?;
        let (id, metadata) = match begin {
            Begin::Started {
                id,
                commit_metadata,
            } => (id, commit_metadata),
            Begin::Busy {
                execution,
                actor,
                started_at_ms,
            } => {
                return Err(AppError::ExecutionInProgress {
                    group: g.group.clone(),
                    execution,
                    actor,
                    started_at: app::format::utc(started_at_ms),
                })
            }
        };
        let outcome = self
            .commit_and_verify(&cluster, g, &metadata, partitions)
            .await;
        let (status, partitions, message) = match outcome {
            Ok(parts) => {
                let bad: Vec<String> = parts
                    .iter()
                    .filter(|p| !p.verified())
                    .map(|p| p.tp().to_string())
                    .collect();
                if bad.is_empty() {
                    (ExecutionStatus::Succeeded, parts, None)
                } else {
                    let msg = commit_failure_message(&parts, &bad, undo_of.is_some());
                    (ExecutionStatus::Failed, parts, Some(msg))
                }
            }
            Err((parts, msg)) => (ExecutionStatus::Failed, parts, Some(msg)),
        };
        let finished_at_ms = now_ms();
        self.finish_with_retries(id, status, &partitions, &message, finished_at_ms)
            .await?;
        if status == ExecutionStatus::Succeeded {
            self.spawn_second_looks(cluster.clone(), id, g.group.clone(), partitions.clone());
        }
        self.audit(
            AuditEntry::new(
                finished_at_ms,
                actor.name.clone(),
                actor.source.clone(),
                if undo_of.is_some() { "undo" } else { "execute" },
                status.as_str(),
            )
            .about(cluster.clone(), Some(g.group.clone()))
            .with_detail(serde_json::json!({
                "execution": id,
                "undo_of": undo_of,
                "strategy": plan.spec.strategy.name(),
                // This group's part of the spec: the other groups of a multi-group plan have entries
                // of their own.
                "spec": ResetSpec { groups: vec![g.group.clone()], ..plan.spec.clone() },
                "message": message,
                "offsets": partitions.iter().map(|p| serde_json::json!({
                    "topic": p.topic,
                    "partition": p.partition,
                    "before": p.before,
                    "target": p.target,
                    "after": p.after,
                    "error": p.error,
                })).collect::<Vec<_>>(),
            })),
        )
        .await;
        self.store
            .execution(id)
            .await
            .map_err(store_error("read-execution"))?
            .ok_or_else(|| AppError::Internal {
                reference: "execution-vanished".into(),
            })
    }

    /// Records the outcome; a store that hiccups is retried, since the outcome is known only here.
    async fn finish_with_retries(
        &self,
        id: i64,
        status: ExecutionStatus,
        partitions: &[PartitionOutcome],
        message: &Option<String>,
        finished_at_ms: i64,
    ) -> AppResult<()> {
        let mut attempt = 0;
        loop {
            match self
                .store
                .finish_execution(
                    id,
                    status,
                    partitions.to_vec(),
                    message.clone(),
                    finished_at_ms,
                )
                .await
            {
                Ok(()) => {
                    crate::metrics::get().execution_finished(status.as_str());
                    return Ok(());
                }
                Err(e @ StoreError::NotPending(_)) => {
                    return Err(store_error("finish-execution")(e))
                }
                Err(e) if attempt < 5 => {
                    tracing::warn!(execution = id, error = %e, "recording the outcome failed; retrying");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
                Err(e) => return Err(store_error("finish-execution")(e)),
            }
        }
    }

    /// The commit and its verification. Err carries the outcome so far and why it failed.
    async fn commit_and_verify(
        &self,
        cluster: &str,
        g: &GroupPlan,
        metadata: &str,
        mut parts: Vec<PartitionOutcome>,
    ) -> Result<Vec<PartitionOutcome>, (Vec<PartitionOutcome>, String)> {
        // The lock is ours now: anything that moved since the snapshot (another execution that just
        // finished, a consumer that joined) shows here, before anything is written to Kafka.
        let fresh = match self
            .kafka
            .group_snapshots(cluster, vec![g.group.clone()])
            .await
        {
            Ok(mut v) => v.pop(),
            Err(e) => return Err((parts, format!("nothing was committed: {e}"))),
        };
        if let Some(fresh) = &fresh {
            if fresh.exists && !fresh.state.is_inactive() {
                let refusal = Refusal::Active {
                    state: fresh.state,
                    members: fresh.members.clone(),
                };
                return Err((
                    parts,
                    format!("nothing was committed: {}", refusal.message(&g.group)),
                ));
            }
            let moved: Vec<String> = parts
                .iter()
                .filter(|p| fresh.committed(&p.tp()) != p.before)
                .map(|p| p.tp().to_string())
                .collect();
            if !moved.is_empty() {
                return Err((
                    parts,
                    format!(
                        "nothing was committed: the committed offsets of {} changed since the preview",
                        moved.join(",")
                    ),
                ));
            }
        }
        if !self.faults.before_commit.is_zero() {
            tracing::warn!(ms = ?self.faults.before_commit, "fault injection: pausing before commit");
            tokio::time::sleep(self.faults.before_commit).await;
        }
        let commits: Vec<(String, i32, i64)> = parts
            .iter()
            .filter_map(|p| p.target.map(|t| (p.topic.clone(), p.partition, t)))
            .collect();
        let deletes: Vec<(String, i32)> = parts
            .iter()
            .filter(|p| p.target.is_none() && p.before.is_some())
            .map(|p| (p.topic.clone(), p.partition))
            .collect();
        let mut errors: BTreeMap<(String, i32), String> = BTreeMap::new();
        let mut call_failed = None;
        // Deletes (undo of partitions that had no offset) go first: if Kafka refuses them, nothing
        // has been committed yet and the group is as it was, apart from deletes that succeeded.
        if !deletes.is_empty() {
            match self.kafka.delete_offsets(cluster, &g.group, deletes).await {
                Ok(refused) if refused.is_empty() => {}
                Ok(refused) => {
                    for r in refused {
                        errors.insert((r.topic, r.partition), r.code);
                    }
                    call_failed = Some(
                        "Kafka refused to delete some offsets, so the commit was not sent"
                            .to_string(),
                    );
                }
                Err(e) => {
                    call_failed = Some(format!(
                        "the offset deletion was not confirmed ({e}), so the commit was not sent"
                    ))
                }
            }
        }
        if call_failed.is_none() && !commits.is_empty() {
            match self
                .kafka
                .commit_offsets(cluster, &g.group, commits, metadata)
                .await
            {
                Ok(refused) => {
                    for r in refused {
                        errors.insert((r.topic, r.partition), r.code);
                    }
                }
                Err(e) => call_failed = Some(format!("the commit was not confirmed: {e}")),
            }
        }
        if !self.faults.after_commit.is_zero() {
            tracing::warn!(ms = ?self.faults.after_commit, "fault injection: pausing after commit");
            tokio::time::sleep(self.faults.after_commit).await;
        }
        // Read back whatever happened, even after a failed call: a timed-out commit may have landed.
        let after = match self
            .kafka
            .group_snapshots(cluster, vec![g.group.clone()])
            .await
        {
            Ok(mut v) => v.pop(),
            Err(e) => {
                let why = call_failed.unwrap_or_else(|| "the commit was sent".into());
                return Err((
                    parts,
                    format!(
                        "{why}, and reading the offsets back failed ({e}). The backup is kept: check the group, and undo if needed."
                    ),
                ));
            }
        };
        for p in &mut parts {
            p.after = after.as_ref().and_then(|a| a.committed(&p.tp()));
            p.error = errors.remove(&(p.topic.clone(), p.partition));
            if p.error.is_none() && p.after != p.target {
                p.error = Some(format!(
                    "read back {} instead of {}",
                    opt(p.after),
                    opt(p.target)
                ));
            }
        }
        match call_failed {
            Some(why) => Err((parts, why)),
            None => Ok(parts),
        }
    }

    async fn audit(&self, entry: AuditEntry) {
        crate::store::record(&*self.store, entry).await;
    }

    /// Resolves executions a crash left pending by reading Kafka: the commit carries the execution's
    /// metadata, so its presence on any partition proves the commit landed (a group's commit is one
    /// atomic write). Returns how many were resolved; an unreachable cluster leaves them for a retry.
    pub async fn recover_pending(&self) -> Result<usize, String> {
        let pending = self
            .store
            .pending_executions(self.boot_id.clone())
            .await
            .map_err(|e| e.to_string())?;
        let mut resolved = 0;
        for e in pending {
            let snapshot = match self
                .kafka
                .group_snapshots(&e.cluster, vec![e.group.clone()])
                .await
            {
                Ok(mut v) => v.pop(),
                Err(err) => {
                    tracing::warn!(execution = e.id, error = %err, "cannot resolve a pending execution yet");
                    continue;
                }
            };
            let (status, partitions, message) = resolve_pending(&e, snapshot.as_ref());
            tracing::info!(
                execution = e.id,
                status = status.as_str(),
                "resolved a pending execution"
            );
            self.store
                .finish_execution(e.id, status, partitions, Some(message.clone()), now_ms())
                .await
                .map_err(|e| e.to_string())?;
            crate::metrics::get().execution_finished(status.as_str());
            self.audit(
                AuditEntry::new(
                    now_ms(),
                    "rewind (start-up recovery)",
                    "server",
                    "resolve-pending",
                    status.as_str(),
                )
                .about(e.cluster.clone(), Some(e.group.clone()))
                .with_detail(serde_json::json!({ "execution": e.id, "message": message })),
            )
            .await;
            resolved += 1;
        }
        Ok(resolved)
    }

    /// Keeps resolving pending executions until none is left (Kafka may be down at start-up).
    pub fn spawn_recovery(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match this.store.pending_executions(this.boot_id.clone()).await {
                    Ok(p) if p.is_empty() => return,
                    Ok(_) => {
                        if let Err(e) = this.recover_pending().await {
                            tracing::error!(error = %e, "recovery of pending executions failed");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot list pending executions"),
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
    }
}

fn opt(x: Option<i64>) -> String {
    x.map_or_else(|| "no offset".into(), |v| v.to_string())
}

/// Why a commit did not verify, naming the broker's batch limit when that is the likely cause.
fn commit_failure_message(parts: &[PartitionOutcome], bad: &[String], is_undo: bool) -> String {
    let all_unknown = parts.len() > 1
        && parts
            .iter()
            .all(|p| p.error.as_deref() == Some("UNKNOWN_SERVER_ERROR"));
    let mut msg = format!(
        "{} of {} partitions did not verify ({}{})",
        bad.len(),
        parts.len(),
        bad.iter().take(10).cloned().collect::<Vec<_>>().join(","),
        if bad.len() > 10 { ",…" } else { "" }
    );
    if all_unknown {
        msg.push_str(
            ". Kafka refused the whole commit with UNKNOWN_SERVER_ERROR: a group's commit is one \
             __consumer_offsets batch, and this one is likely larger than the broker's batch limit \
             (message.max.bytes). Nothing was changed.",
        );
    } else if is_undo {
        msg.push_str(
            ". This was an undo: the group is partly restored; preview the same undo again to finish it.",
        );
    } else {
        msg.push_str(". The backup is kept: undo restores the previous offsets.");
    }
    msg
}

/// Decides a pending execution from what Kafka has now, partition by partition: done when Kafka has
/// the target (no offset, for a delete), not done when it still has the backup, unknown otherwise
/// (something else moved it since). The commit metadata tells whether our commit landed at all.
fn resolve_pending(
    e: &Execution,
    now: Option<&GroupSnapshot>,
) -> (ExecutionStatus, Vec<PartitionOutcome>, String) {
    let ours = now.is_some_and(|g| g.committed.iter().any(|c| c.metadata == e.commit_metadata));
    let mut parts = e.partitions.clone();
    let (mut done, mut not_done, mut moved) = (Vec::new(), Vec::new(), Vec::new());
    for p in &mut parts {
        p.after = now.and_then(|g| g.committed(&p.tp()));
        let tp = p.tp().to_string();
        if p.after == p.target {
            done.push(tp);
        } else if p.after == p.before {
            p.error = Some("not applied".into());
            not_done.push(tp);
        } else {
            p.error = Some(format!("now at {}", opt(p.after)));
            moved.push(tp);
        }
    }
    let landed = if ours {
        format!(
            "Kafka has this execution's commit (metadata {})",
            e.commit_metadata
        )
    } else {
        "Kafka has no commit of this execution".to_string()
    };
    let list = |v: &[String]| v.iter().take(10).cloned().collect::<Vec<_>>().join(",");
    if not_done.is_empty() && moved.is_empty() {
        (
            ExecutionStatus::Succeeded,
            parts,
            format!("Resolved after a restart: {landed}; every partition has its target."),
        )
    } else if done.is_empty() && moved.is_empty() {
        (
            ExecutionStatus::Failed,
            parts,
            format!("Resolved after a restart: {landed}; the reset never reached Kafka, so nothing changed."),
        )
    } else {
        (
            ExecutionStatus::Failed,
            parts,
            format!(
                "Resolved after a restart: {landed}; {} partitions have their target, {} still have their \
                 previous offset ({}), {} have moved since ({}). The backup is kept.",
                done.len(),
                not_done.len(),
                list(&not_done),
                moved.len(),
                list(&moved)
            ),
        )
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
        Box::pin(async move {
            let (cluster, groups) = (spec.cluster.clone(), spec.groups.clone());
            let strategy = spec.strategy.name();
            let result = self
                .execute_impl(spec, fingerprint, at_ms, actor.clone())
                .await;
            // Executions that ran are audited with their offsets; one refused before it ran is too,
            // once per group, so each group's viewers see their own entry and no one else's.
            if let Err(e) = &result {
                if !matches!(e, AppError::ExecutionFailed { .. }) {
                    for group in groups {
                        self.audit(
                            AuditEntry::new(
                                now_ms(),
                                actor.name.clone(),
                                actor.source.clone(),
                                "execute",
                                format!("refused: {}", error_kind(e)),
                            )
                            .about(cluster.clone(), Some(group))
                            .with_detail(serde_json::json!({
                                "strategy": strategy,
                                "error": e.to_string(),
                            })),
                        )
                        .await;
                    }
                }
            }
            result
        })
    }

    fn landing_records(
        &self,
        cluster: String,
        group: String,
        targets: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'_, AppResult<Vec<LandingRecord>>> {
        Box::pin(async move {
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
        })
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
        limit: usize,
    ) -> BoxFuture<'_, AppResult<Vec<ExecutionSummary>>> {
        Box::pin(async move {
            // An unknown cluster is an error, not an empty history.
            self.kafka.bootstrap(&cluster)?;
            self.store
                .executions(ExecutionFilter {
                    cluster: Some(cluster),
                    group,
                    limit,
                })
                .await
                .map_err(store_error("list-executions"))
        })
    }

    fn save_plan(&self, spec: ResetSpec, actor: Actor) -> BoxFuture<'_, AppResult<SavedPlan>> {
        Box::pin(async move {
            let plan = self.plan(&spec, None).await?;
            let saved = SavedPlan {
                id: plan_id(),
                created_at_ms: now_ms(),
                created_by: actor.name.clone(),
                plan,
            };
            self.store
                .save_plan(saved.clone())
                .await
                .map_err(store_error("save-plan"))?;
            for group in &spec.groups {
                self.audit(
                    AuditEntry::new(
                        saved.created_at_ms,
                        actor.name.clone(),
                        actor.source.clone(),
                        "save-plan",
                        "saved",
                    )
                    .about(spec.cluster.clone(), Some(group.clone()))
                    .with_detail(serde_json::json!({
                        "plan": saved.id,
                        "strategy": spec.strategy.name(),
                    })),
                )
                .await;
            }
            Ok(saved)
        })
    }

    fn delete_plan(&self, id: String, actor: Actor) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async move {
            let plan = self.saved_plan(id.clone()).await?;
            let deleted = self
                .store
                .delete_plan(id.clone())
                .await
                .map_err(store_error("delete-plan"))?;
            let spec = &plan.plan.spec;
            for group in &spec.groups {
                self.audit(
                    AuditEntry::new(
                        now_ms(),
                        actor.name.clone(),
                        actor.source.clone(),
                        "delete-plan",
                        if deleted { "deleted" } else { "already gone" },
                    )
                    .about(spec.cluster.clone(), Some(group.clone()))
                    .with_detail(serde_json::json!({
                        "plan": id,
                        "created_by": plan.created_by,
                        "spec": ResetSpec { groups: vec![group.clone()], ..spec.clone() },
                    })),
                )
                .await;
            }
            Ok(())
        })
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
        Box::pin(async move {
            let g = self.existing_group(&cluster, &group).await?;
            Ok(offsets_csv::write_csv(
                g.committed
                    .iter()
                    .map(|c| (group.as_str(), c.topic.as_str(), c.partition, c.offset)),
                false,
            ))
        })
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

impl ResetService {
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

    async fn delete_offsets_impl(
        &self,
        cluster: String,
        group: String,
        topics: Vec<TopicScope>,
        actor: Actor,
    ) -> AppResult<DeleteOffsetsReport> {
        if topics.is_empty() {
            return Err(PlanError::NoScope.into());
        }
        let g = self.existing_group(&cluster, &group).await?;
        let names: Vec<String> = topics.iter().map(|t| t.topic.clone()).collect();
        let (partitions, missing) = self.kafka.partition_snapshots(&cluster, names).await?;
        if let Some(t) = missing.first() {
            return Err(PlanError::UnknownTopic { topic: t.clone() }.into());
        }
        let mut wanted: Vec<TopicPartition> = Vec::new();
        for t in &topics {
            match &t.partitions {
                None => wanted.extend(
                    partitions
                        .iter()
                        .filter(|p| p.topic == t.topic)
                        .map(|p| TopicPartition::new(p.topic.clone(), p.partition)),
                ),
                Some(ps) => {
                    let absent: Vec<String> = ps
                        .iter()
                        .filter(|p| {
                            !partitions
                                .iter()
                                .any(|x| x.topic == t.topic && x.partition == **p)
                        })
                        .map(|p| format!("{}-{p}", t.topic))
                        .collect();
                    if !absent.is_empty() {
                        return Err(PlanError::PartitionsDoNotExist {
                            partitions: absent.join(","),
                        }
                        .into());
                    }
                    wanted.extend(ps.iter().map(|p| TopicPartition::new(t.topic.clone(), *p)));
                }
            }
        }
        wanted.sort();
        wanted.dedup();
        let refused = self
            .kafka
            .delete_offsets(
                &cluster,
                &group,
                wanted
                    .iter()
                    .map(|tp| (tp.topic.clone(), tp.partition))
                    .collect(),
            )
            .await?;
        let report = DeleteOffsetsReport {
            cluster: cluster.clone(),
            group: group.clone(),
            partitions: wanted
                .iter()
                .map(|tp| DeletedOffset {
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    before: g.committed(tp),
                    error: refused
                        .iter()
                        .find(|r| r.topic == tp.topic && r.partition == tp.partition)
                        .map(|r| r.code.clone()),
                })
                .collect(),
        };
        let failed = report
            .partitions
            .iter()
            .filter(|p| p.error.is_some())
            .count();
        self.audit(
            AuditEntry::new(
                now_ms(),
                actor.name,
                actor.source,
                "delete-offsets",
                if failed == 0 {
                    "deleted".into()
                } else {
                    format!("{failed} of {} refused", report.partitions.len())
                },
            )
            .about(cluster, Some(group))
            .with_detail(serde_json::to_value(&report).unwrap_or_default()),
        )
        .await;
        Ok(report)
    }
}

/// A short, unguessable-enough id for a saved plan's URL.
fn plan_id() -> String {
    let n = crate::store::random_u64();
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut id = String::with_capacity(10);
    let mut x = n;
    for _ in 0..10 {
        id.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
        x /= ALPHABET.len() as u64;
    }
    id
}

/// The serde tag of an error (`group_active`, `drift`, ...), for audit results.
fn error_kind(e: &AppError) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "error".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::reset::{CommittedOffset, Scope};
    use app::domain::{GroupState, GroupType};

    fn execution(parts: &[(i32, Option<i64>, Option<i64>)]) -> Execution {
        let spec = ResetSpec {
            cluster: "c".into(),
            groups: vec!["g".into()],
            scope: Scope::AllTopics,
            strategy: Strategy::ToEarliest,
        };
        Execution {
            id: 7,
            cluster: "c".into(),
            group: "g".into(),
            actor: "a".into(),
            started_at_ms: 0,
            finished_at_ms: None,
            status: ExecutionStatus::Pending,
            plan: Plan {
                spec: spec.clone(),
                at_ms: None,
                snapshot_at_ms: 0,
                groups: vec![],
                fingerprint: String::new(),
            },
            spec,
            commit_metadata: "rewind:7:abc".into(),
            undo_of: None,
            partitions: parts
                .iter()
                .map(|(p, before, target)| PartitionOutcome {
                    topic: "t".into(),
                    partition: *p,
                    before: *before,
                    target: *target,
                    after: None,
                    error: None,
                })
                .collect(),
            message: None,
            overwritten_at_ms: None,
        }
    }

    fn kafka(committed: &[(i32, i64, &str)]) -> GroupSnapshot {
        GroupSnapshot {
            group: "g".into(),
            state: GroupState::Empty,
            group_type: GroupType::Classic,
            exists: true,
            members: vec![],
            committed: committed
                .iter()
                .map(|(p, o, m)| CommittedOffset {
                    topic: "t".into(),
                    partition: *p,
                    offset: *o,
                    metadata: m.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn pending_executions_are_judged_partition_by_partition() {
        // An undo: p0 back to 5 by commit, p1 deleted.
        let e = execution(&[(0, Some(9), Some(5)), (1, Some(9), None)]);
        let all = kafka(&[(0, 5, "rewind:7:abc")]);
        assert_eq!(
            resolve_pending(&e, Some(&all)).0,
            ExecutionStatus::Succeeded
        );
        // The commit landed but the delete did not: not a success.
        let half = kafka(&[(0, 5, "rewind:7:abc"), (1, 9, "")]);
        let (status, parts, msg) = resolve_pending(&e, Some(&half));
        assert_eq!(status, ExecutionStatus::Failed);
        assert!(
            msg.contains("1 still have their previous offset (t-1)"),
            "{msg}"
        );
        assert_eq!(parts[1].error.as_deref(), Some("not applied"));
        // Nothing landed.
        let none = kafka(&[(0, 9, ""), (1, 9, "")]);
        let (status, _, msg) = resolve_pending(&e, Some(&none));
        assert_eq!(status, ExecutionStatus::Failed);
        assert!(msg.contains("never reached Kafka"), "{msg}");
        // A delete-only undo that did happen has no metadata to find, and is still a success.
        let delete_only = execution(&[(1, Some(9), None)]);
        assert_eq!(
            resolve_pending(&delete_only, Some(&kafka(&[]))).0,
            ExecutionStatus::Succeeded
        );
    }
}
