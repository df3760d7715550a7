//! Executions in SQLite: the lock-and-backup transaction, outcomes, history, pending ones.

use app::api::ports::BoxFuture;
use app::domain::execution::{Execution, ExecutionStatus, ExecutionSummary, PartitionOutcome};
use rusqlite::{params, OptionalExtension};

use super::{db, from_json, to_json, SqliteStore};
use crate::store::{Begin, ExecutionFilter, ExecutionStore, NewExecution, StoreError, StoreResult};

const EXECUTION_COLUMNS: &str =
    "id, cluster, group_id, actor, started_at_ms, finished_at_ms, status, \
     spec_json, plan_json, commit_metadata, undo_of, partitions_json, message, overwritten_at_ms";

fn read_execution(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawExecution> {
    Ok(RawExecution {
        id: row.get(0)?,
        cluster: row.get(1)?,
        group: row.get(2)?,
        actor: row.get(3)?,
        started_at_ms: row.get(4)?,
        finished_at_ms: row.get(5)?,
        status: row.get(6)?,
        spec_json: row.get(7)?,
        plan_json: row.get(8)?,
        commit_metadata: row.get(9)?,
        undo_of: row.get(10)?,
        partitions_json: row.get(11)?,
        message: row.get(12)?,
        overwritten_at_ms: row.get(13)?,
    })
}

struct RawExecution {
    id: i64,
    cluster: String,
    group: String,
    actor: String,
    started_at_ms: i64,
    finished_at_ms: Option<i64>,
    status: String,
    spec_json: String,
    plan_json: String,
    commit_metadata: String,
    undo_of: Option<i64>,
    partitions_json: String,
    message: Option<String>,
    overwritten_at_ms: Option<i64>,
}

impl RawExecution {
    fn decode(self) -> StoreResult<Execution> {
        Ok(Execution {
            id: self.id,
            cluster: self.cluster,
            group: self.group,
            actor: self.actor,
            started_at_ms: self.started_at_ms,
            finished_at_ms: self.finished_at_ms,
            status: ExecutionStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("status '{}'", self.status)))?,
            spec: from_json(&self.spec_json)?,
            plan: from_json(&self.plan_json)?,
            commit_metadata: self.commit_metadata,
            undo_of: self.undo_of,
            partitions: from_json(&self.partitions_json)?,
            message: self.message,
            overwritten_at_ms: self.overwritten_at_ms,
        })
    }
}

impl ExecutionStore for SqliteStore {
    fn begin_execution(&self, new: NewExecution) -> BoxFuture<'_, StoreResult<Begin>> {
        self.run(move |conn| {
            let spec_json = to_json(&new.spec)?;
            let plan_json = to_json(&new.plan)?;
            let partitions_json = to_json(&new.partitions)?;
            let backup: Vec<(String, i32, Option<i64>)> = new
                .partitions
                .iter()
                .map(|p| (p.topic.clone(), p.partition, p.before))
                .collect();
            let backup_json = to_json(&backup)?;
            // IMMEDIATE takes the write lock up front, so two replicas cannot both see the group free.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db)?;
            let holder: Option<(i64, String, i64)> = tx
                .query_row(
                    "SELECT e.id, e.actor, e.started_at_ms FROM group_locks l \
                     JOIN executions e ON e.id = l.execution_id \
                     WHERE l.cluster = ?1 AND l.group_id = ?2",
                    params![new.cluster, new.group],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(db)?;
            if let Some((execution, actor, started_at_ms)) = holder {
                return Ok(Begin::Busy {
                    execution,
                    actor,
                    started_at_ms,
                });
            }
            tx.execute(
                "INSERT INTO executions (cluster, group_id, actor, started_at_ms, status, strategy, \
                 spec_json, plan_json, commit_metadata, undo_of, partitions_json, partition_count, owner, \
                 what) \
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, '', ?8, ?9, ?10, ?11, ?12)",
                params![
                    new.cluster,
                    new.group,
                    new.actor,
                    new.started_at_ms,
                    new.spec.strategy.name(),
                    spec_json,
                    plan_json,
                    new.undo_of,
                    partitions_json,
                    new.partitions.len() as i64,
                    new.owner,
                    app::domain::builder::describe(&new.spec),
                ],
            )
            .map_err(db)?;
            let id = tx.last_insert_rowid();
            // Short on purpose: it is written once per partition into one __consumer_offsets batch.
            let commit_metadata = format!("rewind:{id}:{:06x}", crate::store::random_u64() & 0xff_ffff);
            tx.execute(
                "UPDATE executions SET commit_metadata = ?1 WHERE id = ?2",
                params![commit_metadata, id],
            )
            .map_err(db)?;
            tx.execute(
                "INSERT INTO backups (execution_id, offsets_json) VALUES (?1, ?2)",
                params![id, backup_json],
            )
            .map_err(db)?;
            tx.execute(
                "INSERT INTO group_locks (cluster, group_id, execution_id) VALUES (?1, ?2, ?3)",
                params![new.cluster, new.group, id],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(Begin::Started {
                id,
                commit_metadata,
            })
        })
    }

    fn finish_execution(
        &self,
        id: i64,
        status: ExecutionStatus,
        partitions: Vec<PartitionOutcome>,
        message: Option<String>,
        finished_at_ms: i64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            let partitions_json = to_json(&partitions)?;
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db)?;
            // Only a pending execution can finish, and only once: a second writer loses, visibly.
            let changed = tx
                .execute(
                    "UPDATE executions SET status = ?1, partitions_json = ?2, message = ?3, \
                     finished_at_ms = ?4 WHERE id = ?5 AND status = 'pending'",
                    params![
                        status.as_str(),
                        partitions_json,
                        message,
                        finished_at_ms,
                        id
                    ],
                )
                .map_err(db)?;
            if changed != 1 {
                return Err(StoreError::NotPending(id));
            }
            tx.execute(
                "DELETE FROM group_locks WHERE execution_id = ?1",
                params![id],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    fn execution(&self, id: i64) -> BoxFuture<'_, StoreResult<Option<Execution>>> {
        self.run(move |conn| {
            let raw = conn
                .query_row(
                    &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = ?1"),
                    params![id],
                    read_execution,
                )
                .optional()
                .map_err(db)?;
            raw.map(RawExecution::decode).transpose()
        })
    }

    fn executions(
        &self,
        filter: ExecutionFilter,
    ) -> BoxFuture<'_, StoreResult<Vec<ExecutionSummary>>> {
        self.run(move |conn| {
            // Visibility in SQL, before the limit: filtering the page afterwards would hand a caller
            // who sees few groups a short (often empty) history of a busy cluster.
            let globs: Vec<String> = filter
                .visible
                .iter()
                .flatten()
                .map(|g| super::glob_literal_brackets(g))
                .collect();
            let visible_sql = match &filter.visible {
                None => String::new(),
                Some(_) => {
                    let terms: Vec<String> = (0..globs.len())
                        .map(|i| format!("group_id GLOB ?{}", 4 + i))
                        .collect();
                    format!(" AND (0{})", terms.iter().map(|t| format!(" OR {t}")).collect::<String>())
                }
            };
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT id, cluster, group_id, actor, started_at_ms, status, strategy, \
                     partition_count, undo_of, message, overwritten_at_ms, what FROM executions \
                     WHERE (?1 IS NULL OR cluster = ?1) AND (?2 IS NULL OR group_id = ?2){visible_sql} \
                     ORDER BY id DESC LIMIT ?3",
                ))
                .map_err(db)?;
            let limit = filter.limit.max(1) as i64;
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![&filter.cluster, &filter.group, &limit];
            values.extend(globs.iter().map(|g| g as &dyn rusqlite::ToSql));
            let rows = stmt
                .query_map(
                    values.as_slice(),
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?,
                            r.get::<_, i64>(7)?,
                            r.get::<_, Option<i64>>(8)?,
                            r.get::<_, Option<String>>(9)?,
                            r.get::<_, Option<i64>>(10)?,
                            r.get::<_, String>(11)?,
                        ))
                    },
                )
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (
                    id,
                    cluster,
                    group,
                    actor,
                    started,
                    status,
                    strategy,
                    count,
                    undo_of,
                    message,
                    overwritten_at_ms,
                    what,
                ) = row.map_err(db)?;
                out.push(ExecutionSummary {
                    id,
                    cluster,
                    group,
                    actor,
                    started_at_ms: started,
                    status: ExecutionStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("status '{status}'")))?,
                    strategy,
                    partitions: usize::try_from(count).unwrap_or(0),
                    undo_of,
                    message,
                    overwritten_at_ms,
                    what,
                });
            }
            Ok(out)
        })
    }

    fn pending_executions(&self, not_owner: String) -> BoxFuture<'_, StoreResult<Vec<Execution>>> {
        self.run(move |conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {EXECUTION_COLUMNS} FROM executions \
                     WHERE status = 'pending' AND owner != ?1 ORDER BY id"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map(params![not_owner], read_execution)
                .map_err(db)?;
            let mut out = Vec::new();
            for raw in rows {
                out.push(raw.map_err(db)?.decode()?);
            }
            Ok(out)
        })
    }

    fn mark_overwritten(
        &self,
        id: i64,
        message: String,
        at_ms: i64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE executions SET overwritten_at_ms = ?3, message = ?2 \
                     WHERE id = ?1 AND status = 'succeeded' AND overwritten_at_ms IS NULL",
                    params![id, message, at_ms],
                )
                .map_err(db)?;
            Ok(changed == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::reset::{Plan, ResetSpec, Scope, Strategy};

    fn new_execution(group: &str) -> NewExecution {
        let spec = ResetSpec {
            cluster: "c".into(),
            groups: vec![group.into()],
            scope: Scope::AllTopics,
            strategy: Strategy::ToEarliest,
        };
        NewExecution {
            cluster: "c".into(),
            group: group.into(),
            actor: "alice".into(),
            started_at_ms: 1,
            plan: Plan {
                spec: spec.clone(),
                at_ms: None,
                snapshot_at_ms: 1,
                groups: vec![],
                fingerprint: "f".into(),
            },
            spec,
            undo_of: None,
            owner: "boot-1".into(),
            partitions: vec![PartitionOutcome {
                topic: "t".into(),
                partition: 0,
                before: Some(5),
                target: Some(0),
                after: None,
                error: None,
            }],
        }
    }

    #[tokio::test]
    async fn one_execution_per_group_at_a_time_and_pending_survives_reopen() {
        let dir = std::env::temp_dir().join(format!("rewind-store-test-{}", std::process::id()));
        let path = dir.join("rewind.db");
        let _ = std::fs::remove_file(&path);
        let store = SqliteStore::open(&path).unwrap();
        let Begin::Started {
            id,
            commit_metadata,
        } = store.begin_execution(new_execution("g")).await.unwrap()
        else {
            panic!("first begin must start")
        };
        assert!(commit_metadata.starts_with(&format!("rewind:{id}:")));
        assert!(commit_metadata.len() <= 20, "{commit_metadata}");
        match store.begin_execution(new_execution("g")).await.unwrap() {
            Begin::Busy {
                execution, actor, ..
            } => assert_eq!((execution, actor.as_str()), (id, "alice")),
            other => panic!("second begin must be refused, got {other:?}"),
        }
        // Another group is independent.
        assert!(matches!(
            store.begin_execution(new_execution("h")).await.unwrap(),
            Begin::Started { .. }
        ));
        drop(store);

        // A crash here: the pending execution and its backup are on disk.
        let store = SqliteStore::open(&path).unwrap();
        // The process that owns them is gone: a new one sees them; their owner would not.
        assert!(store
            .pending_executions("boot-1".into())
            .await
            .unwrap()
            .is_empty());
        let pending = store.pending_executions("boot-2".into()).await.unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[0].partitions[0].before, Some(5));
        store
            .finish_execution(id, ExecutionStatus::Succeeded, vec![], None, 2)
            .await
            .unwrap();
        // Finishing twice is refused: recovery and a late writer cannot both win.
        assert!(matches!(
            store
                .finish_execution(id, ExecutionStatus::Failed, vec![], None, 3)
                .await,
            Err(StoreError::NotPending(_))
        ));
        assert!(matches!(
            store.begin_execution(new_execution("g")).await.unwrap(),
            Begin::Started { .. }
        ));
        let list = store
            .executions(ExecutionFilter {
                group: Some("g".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].status, ExecutionStatus::Succeeded);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Issue 16, item 3: a cluster's history is filtered by the caller's groups before the limit.
    #[tokio::test]
    async fn history_is_cut_to_visible_groups_before_the_limit() {
        let store = SqliteStore::in_memory().unwrap();
        for group in ["team-a-g1", "team-b-g1", "team-b-g2", "x[1]"] {
            let Begin::Started { id, .. } =
                store.begin_execution(new_execution(group)).await.unwrap()
            else {
                panic!("busy");
            };
            store
                .finish_execution(id, ExecutionStatus::Succeeded, Vec::new(), None, 2)
                .await
                .unwrap();
        }
        let groups = |visible: Option<Vec<&'static str>>, limit: usize| {
            let store = &store;
            async move {
                store
                    .executions(ExecutionFilter {
                        cluster: Some("c".into()),
                        visible: visible.map(|v| v.into_iter().map(str::to_owned).collect()),
                        limit,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.group)
                    .collect::<Vec<_>>()
            }
        };
        // The two newest belong to team b; team a's comes back anyway.
        assert_eq!(groups(Some(vec!["team-a-*"]), 1).await, vec!["team-a-g1"]);
        assert_eq!(groups(Some(vec![]), 10).await, Vec::<String>::new());
        assert_eq!(groups(None, 2).await, vec!["x[1]", "team-b-g2"]);
        // `[` in a grant is literal, as everywhere else grants are matched.
        assert_eq!(groups(Some(vec!["x[1]"]), 10).await, vec!["x[1]"]);
        assert_eq!(
            groups(Some(vec!["x[1]", "team-b-?2"]), 10).await,
            vec!["x[1]", "team-b-g2"]
        );
    }
}
