//! The execute protocol: every group checked before any is touched, then per group the lock and
//! durable backup, a last look that nothing moved, deletes before the one commit, read-back
//! verification, the record and the audit.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use app::api::ports::Actor;
use app::domain::execution::{ExecuteReport, Execution, ExecutionStatus, PartitionOutcome};
use app::domain::reset::{GroupPlan, Plan, Refusal, ResetSpec, Strategy};
use app::domain::timespec;
use app::error::{AppError, AppResult};

use super::ResetService;
use crate::now_ms;
use crate::store::{store_error, AuditEntry, Begin, NewExecution, StoreError};

/// How far a by-duration plan's looked-up instant may sit from "now minus the duration" at execute time.
const BY_DURATION_MAX_SKEW_MS: i64 = 5 * 60_000;

impl ResetService {
    /// Executes, and audits a refusal before anything ran once per group (executions that ran are
    /// audited with their offsets), so each group's viewers see their own entry and no one else's.
    pub(super) async fn execute_audited(
        &self,
        spec: ResetSpec,
        fingerprint: String,
        at_ms: Option<i64>,
        actor: Actor,
    ) -> AppResult<ExecuteReport> {
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
        let started = Instant::now();
        let plan = self.plan(&spec, at_ms).await?;
        let planned = started.elapsed();
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
        tracing::debug!(
            ?planned,
            checked = ?started.elapsed() - planned,
            "execute: planned again and checked for hidden committers"
        );
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
        let started = Instant::now();
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
        let backed_up = started.elapsed();
        let outcome = self
            .commit_and_verify(&cluster, g, &metadata, partitions)
            .await;
        let committed = started.elapsed();
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
        let recorded = started.elapsed();
        let execution = self
            .store
            .execution(id)
            .await
            .map_err(store_error("read-execution"))?
            .ok_or_else(|| AppError::Internal {
                reference: "execution-vanished".into(),
            });
        // Where an execution's time goes (issue 17's profile): backup, Kafka, recording, reading back.
        tracing::debug!(
            execution = id,
            partitions = g.partitions.len(),
            ?backed_up,
            kafka = ?committed - backed_up,
            recorded = ?recorded - committed,
            read_back = ?started.elapsed() - recorded,
            "execute: one group"
        );
        execution
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
        self.faults.before_commit().await;
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
        self.faults.after_commit().await;
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
}

pub(super) fn opt(x: Option<i64>) -> String {
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

/// The serde tag of an error (`group_active`, `drift`, ...), for audit results.
fn error_kind(e: &AppError) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "error".into())
}
