//! Consumers that commit without joining their group (assign()): such a group looks Empty, and a
//! reset "succeeds" only to be overwritten seconds later. Before execute, Rewind reads the group's
//! recent commits from `__consumer_offsets` and refuses when someone other than Rewind keeps
//! committing; after a successful execute it looks at the group again and marks the execution
//! overwritten when a consumer moved its offsets.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use app::domain::execution::PartitionOutcome;
use app::domain::reset::{GroupPlan, GroupSnapshot, TopicPartition};
use app::error::{AppError, AppResult};

use super::port::SeenCommit;
use super::ResetService;
use crate::now_ms;
use crate::store::{AuditEntry, ExecutionFilter};

/// How far back commits are looked at before an execution.
pub const WATCH: Duration = Duration::from_secs(30);

/// When the group is looked at again after a successful execution: soon (a consumer committing
/// every few seconds), then once more at the end of the watch window (slower auto-commits).
pub const SECOND_LOOKS: [Duration; 2] = [Duration::from_secs(5), Duration::from_secs(30)];

/// Someone other than Rewind committing the group's offsets again and again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenCommitter {
    /// Commits seen at distinct instants within the window.
    pub commits: usize,
    /// The newest one.
    pub last: SeenCommit,
}

/// Commits at two or more instants by someone other than Rewind (`ours`: what Rewind's executions
/// committed) since the group last had members (`membership_at_ms`), within the window: a consumer
/// outside the group, not a one-off tool or seed, nor members that have just stopped.
pub fn hidden_committer(
    seen: &[SeenCommit],
    membership_at_ms: Option<i64>,
    ours: &HashSet<(String, i32, i64)>,
) -> Option<HiddenCommitter> {
    let after = membership_at_ms.unwrap_or(i64::MIN);
    let foreign: Vec<&SeenCommit> = seen
        .iter()
        .filter(|c| c.at_ms > after)
        .filter(|c| {
            c.offset
                .is_some_and(|o| !ours.contains(&(c.topic.clone(), c.partition, o)))
        })
        .collect();
    let instants: BTreeSet<i64> = foreign.iter().map(|c| c.at_ms).collect();
    if instants.len() < 2 {
        return None;
    }
    let last = foreign.iter().max_by_key(|c| c.at_ms)?;
    Some(HiddenCommitter {
        commits: instants.len(),
        last: (*last).clone(),
    })
}

/// Partitions a consumer outside the group put back after Rewind committed, as "orders-0 at 120,
/// not 40". Not counted: commits by Rewind (any execution's commit carries `rewind:` metadata), a
/// group with members again (they read the reset offsets when they joined: the usual restart), and
/// offsets that moved on from the target in the reset's direction (a consumer making progress).
pub fn overwritten(parts: &[PartitionOutcome], now: &GroupSnapshot) -> Vec<String> {
    if !now.members.is_empty() {
        return Vec::new();
    }
    parts
        .iter()
        .filter_map(|p| {
            let tp = TopicPartition::new(&p.topic, p.partition);
            let c = now
                .committed
                .iter()
                .find(|c| c.topic == p.topic && c.partition == p.partition)?;
            let foreign = Some(c.offset) != p.target && !c.metadata.starts_with("rewind:");
            (foreign && put_back(p.before, p.target, c.offset)).then(|| {
                let target = p.target.map_or("no offset".into(), |t| t.to_string());
                format!("{tp} at {}, not {target}", c.offset)
            })
        })
        .collect()
}

/// Whether `now` undoes a reset from `before` to `target`: back at or past where a rewind started,
/// or short of where a skip forward went. Resets that set no offset, or left it, have no direction.
fn put_back(before: Option<i64>, target: Option<i64>, now: i64) -> bool {
    match (before, target) {
        (Some(b), Some(t)) if t < b => now >= b,
        (Some(b), Some(t)) if t > b => now < t,
        (None, Some(t)) => now < t,
        _ => false,
    }
}

impl ResetService {
    /// Refuses `groups` (inactive ones about to be reset) when a consumer outside the group protocol
    /// keeps committing. A commit log Rewind may not read is logged and not held against the reset.
    pub(super) async fn refuse_hidden_committers(
        &self,
        cluster: &str,
        groups: &[&GroupPlan],
    ) -> AppResult<()> {
        let since = now_ms() - i64::try_from(WATCH.as_millis()).unwrap_or(i64::MAX);
        for g in groups {
            let seen = match self.kafka.recent_commits(cluster, &g.group, since).await {
                Ok(seen) => seen,
                Err(e) => {
                    tracing::warn!(group = %g.group, error = %e, "cannot read the group's recent commits; not checked");
                    continue;
                }
            };
            if !seen.complete {
                tracing::warn!(group = %g.group, "the group's recent commits were read in part");
            }
            let ours = self.recent_rewind_commits(cluster, &g.group, since).await;
            if let Some(h) = hidden_committer(&seen.commits, seen.membership_at_ms, &ours) {
                return Err(AppError::HiddenCommitter {
                    group: g.group.clone(),
                    commits: h.commits,
                    window_secs: WATCH.as_secs(),
                    last: format!(
                        "{} at {} {} s ago",
                        TopicPartition::new(&h.last.topic, h.last.partition),
                        h.last.offset.unwrap_or(-1),
                        (now_ms() - h.last.at_ms).max(0) / 1000
                    ),
                });
            }
        }
        Ok(())
    }

    /// (topic, partition, offset) Rewind committed for `group` since `since_ms`.
    async fn recent_rewind_commits(
        &self,
        cluster: &str,
        group: &str,
        since_ms: i64,
    ) -> HashSet<(String, i32, i64)> {
        let mut ours = HashSet::new();
        let filter = ExecutionFilter {
            cluster: Some(cluster.to_owned()),
            group: Some(group.to_owned()),
            visible: None,
            limit: 20,
        };
        let Ok(recent) = self.store.executions(filter).await else {
            return ours;
        };
        // An execution that started up to a minute before the window may have committed inside it.
        let started_after = since_ms - 60_000;
        for summary in recent.iter().filter(|e| e.started_at_ms >= started_after) {
            if let Ok(Some(e)) = self.store.execution(summary.id).await {
                for p in &e.partitions {
                    if let Some(t) = p.target {
                        ours.insert((p.topic.clone(), p.partition, t));
                    }
                }
            }
        }
        ours
    }

    /// Looks at the group again after a successful execution (`SECOND_LOOKS`) and marks the execution
    /// overwritten when a consumer moved its offsets: the reset did not hold.
    pub(super) fn spawn_second_looks(
        &self,
        cluster: String,
        execution: i64,
        group: String,
        parts: Vec<PartitionOutcome>,
    ) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut waited = Duration::ZERO;
            for at in SECOND_LOOKS {
                tokio::time::sleep(at.saturating_sub(waited)).await;
                waited = at;
                if this
                    .second_look(&cluster, execution, &group, &parts, at)
                    .await
                {
                    return;
                }
            }
        });
    }

    /// Whether the execution was found overwritten (and marked so).
    async fn second_look(
        &self,
        cluster: &str,
        execution: i64,
        group: &str,
        parts: &[PartitionOutcome],
        after: Duration,
    ) -> bool {
        let now = match self
            .kafka
            .group_snapshots(cluster, vec![group.to_owned()])
            .await
        {
            Ok(mut v) => v.pop(),
            Err(e) => {
                tracing::warn!(execution, error = %e, "second look at an executed group failed");
                return false;
            }
        };
        let Some(now) = now else { return false };
        let moved = overwritten(parts, &now);
        if moved.is_empty() {
            return false;
        }
        let message = format!(
            "Overwritten by a consumer within {} s of the reset: {}. A consumer that commits without joining the group (assign()) is probably still running: stop it, then execute again.",
            after.as_secs(),
            moved.join(", ")
        );
        match self
            .store
            .mark_overwritten(execution, message.clone(), now_ms())
            .await
        {
            Ok(true) => {}
            Ok(false) => return true,
            Err(e) => {
                tracing::error!(execution, error = %e, "cannot mark an execution overwritten");
                return false;
            }
        }
        tracing::warn!(execution, group, %message, "execution overwritten by a consumer");
        crate::metrics::get().execution_finished("overwritten");
        self.audit(
            AuditEntry::new(
                now_ms(),
                "rewind",
                "second look",
                "overwritten",
                "warning",
            )
                .about(cluster.to_owned(), Some(group.to_owned()))
                .with_detail(serde_json::json!({ "execution": execution, "message": message, "partitions": moved })),
        )
        .await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::reset::CommittedOffset;

    fn seen(partition: i32, offset: i64, at_ms: i64) -> SeenCommit {
        SeenCommit {
            topic: "t".into(),
            partition,
            offset: Some(offset),
            at_ms,
        }
    }

    #[test]
    fn repeated_foreign_commits_are_a_hidden_committer_and_one_off_or_own_commits_are_not() {
        let none = HashSet::new();
        // One OffsetCommit over two partitions is one instant: a tool or a seed.
        assert_eq!(
            hidden_committer(&[seen(0, 5, 1), seen(1, 5, 1)], None, &none),
            None
        );
        let h = hidden_committer(&[seen(0, 5, 1), seen(0, 5, 900)], None, &none);
        assert_eq!(h.map(|h| (h.commits, h.last.at_ms)), Some((2, 900)));
        // Members that committed and then left (the group protocol wrote at 950) are not hidden.
        let stopped = [seen(0, 5, 1), seen(0, 6, 900)];
        assert_eq!(hidden_committer(&stopped, Some(950), &none), None);
        let after_leaving = [seen(0, 5, 1), seen(0, 6, 960), seen(0, 6, 990)];
        assert!(hidden_committer(&after_leaving, Some(950), &none).is_some());
        // Rewind's own execute and undo commits do not count.
        let ours: HashSet<_> = [("t".to_string(), 0, 5), ("t".to_string(), 0, 9)].into();
        let own = [seen(0, 5, 1), seen(0, 9, 900), seen(0, 5, 950)];
        assert_eq!(hidden_committer(&own, None, &ours), None);
        // Deletions (tombstones) are not a consumer's commits.
        let gone = SeenCommit {
            offset: None,
            ..seen(0, 0, 5)
        };
        assert_eq!(hidden_committer(&[gone, seen(0, 7, 9)], None, &none), None);
    }

    fn snapshot(committed: Vec<CommittedOffset>, members: usize) -> GroupSnapshot {
        GroupSnapshot {
            group: "g".into(),
            state: app::domain::GroupState::Empty,
            group_type: app::domain::GroupType::Classic,
            exists: true,
            members: (0..members)
                .map(|i| app::domain::reset::MemberRef {
                    member_id: format!("m{i}"),
                    client_id: "c".into(),
                    host: "h".into(),
                })
                .collect(),
            committed,
        }
    }

    #[test]
    fn offsets_put_back_by_others_after_the_reset_are_named() {
        let part = |partition, before, target| PartitionOutcome {
            topic: "t".into(),
            partition,
            before,
            target,
            after: target,
            error: None,
        };
        let committed = |partition, offset, metadata: &str| CommittedOffset {
            topic: "t".into(),
            partition,
            offset,
            metadata: metadata.into(),
        };
        let now = vec![
            committed(0, 50, ""),
            committed(1, 10, "rewind:1:x"),
            committed(2, 30, "rewind:2:y"),
            committed(3, 7, ""),
            committed(4, 12, ""),
            committed(5, 20, ""),
        ];
        let parts = [
            part(0, Some(50), Some(10)),
            part(1, Some(50), Some(10)),
            part(2, Some(50), Some(10)),
            part(3, Some(50), Some(7)),
            part(4, Some(50), Some(10)),
            part(5, Some(10), Some(40)),
        ];
        // 0: a rewind put back; 1: still ours; 2: a later Rewind execution; 3: unchanged;
        // 4: a consumer replaying from the target; 5: a skip forward undone.
        assert_eq!(
            overwritten(&parts, &snapshot(now.clone(), 0)),
            vec![
                "t-0 at 50, not 10".to_string(),
                "t-5 at 20, not 40".to_string()
            ]
        );
        // Members joined again: they read the reset offsets on joining.
        assert!(overwritten(&parts, &snapshot(now, 1)).is_empty());
    }
}
