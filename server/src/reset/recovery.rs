//! Recovery after a crash: pending executions are resolved from what Kafka has now, partition by
//! partition, with the commit metadata telling whether our commit landed at all.

use std::sync::Arc;
use std::time::Duration;

use app::domain::execution::{Execution, ExecutionStatus, PartitionOutcome};
use app::domain::reset::GroupSnapshot;

use super::execute::opt;
use super::ResetService;
use crate::now_ms;
use crate::store::AuditEntry;

impl ResetService {
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

/// Decides a pending execution from what Kafka has now, partition by partition: done when Kafka has
/// the target (no offset, for a delete), not done when it still has the backup, unknown otherwise
/// (something else moved it since). The commit metadata tells whether our commit landed at all.
pub(super) fn resolve_pending(
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

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::execution::ExecutionStatus;
    use app::domain::reset::{CommittedOffset, Plan, ResetSpec, Scope, Strategy};
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
