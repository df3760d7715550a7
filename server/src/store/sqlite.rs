//! The embedded SQLite store: one file under the data directory, WAL journal, synchronous=FULL so a
//! committed transaction (a backup above all) survives a crash or power loss.

use std::path::Path;
use std::sync::{Arc, Mutex};

use app::api::ports::BoxFuture;
use app::domain::execution::{
    Execution, ExecutionStatus, ExecutionSummary, PartitionOutcome, SavedPlan,
};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};

use super::{
    AuditEntry, AuditFilter, Begin, ExecutionFilter, LocalUser, NewExecution, Session, Store,
    StoreError, StoreResult,
};

/// Schema versions, applied in order and tracked in SQLite's `user_version`. Never edit a shipped one:
/// append a new migration.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
        CREATE TABLE plans (
            id            TEXT PRIMARY KEY,
            cluster       TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            created_by    TEXT NOT NULL,
            plan_json     TEXT NOT NULL
        );
        CREATE TABLE executions (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            cluster         TEXT NOT NULL,
            group_id        TEXT NOT NULL,
            actor           TEXT NOT NULL,
            started_at_ms   INTEGER NOT NULL,
            finished_at_ms  INTEGER,
            status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
            strategy        TEXT NOT NULL,
            spec_json       TEXT NOT NULL,
            plan_json       TEXT NOT NULL,
            commit_metadata TEXT NOT NULL,
            undo_of         INTEGER REFERENCES executions(id),
            partitions_json TEXT NOT NULL,
            partition_count INTEGER NOT NULL,
            message         TEXT
        );
        CREATE INDEX executions_by_group ON executions (cluster, group_id, id);
        CREATE INDEX executions_pending ON executions (status) WHERE status = 'pending';
        -- The offsets a group had before an execution, written in the same transaction that records it.
        CREATE TABLE backups (
            execution_id  INTEGER PRIMARY KEY REFERENCES executions(id),
            offsets_json  TEXT NOT NULL
        );
        -- At most one execution per group at a time, across every replica sharing this database.
        CREATE TABLE group_locks (
            cluster       TEXT NOT NULL,
            group_id      TEXT NOT NULL,
            execution_id  INTEGER NOT NULL REFERENCES executions(id),
            PRIMARY KEY (cluster, group_id)
        );
        CREATE TABLE audit (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            at_ms       INTEGER NOT NULL,
            actor       TEXT NOT NULL,
            action      TEXT NOT NULL,
            cluster     TEXT,
            group_id    TEXT,
            detail_json TEXT NOT NULL,
            result      TEXT NOT NULL
        );
        "#,
        ),
        // Which server process ran an execution: start-up recovery resolves only those of processes
        // that are gone, never one still running in this process.
        M::up("ALTER TABLE executions ADD COLUMN owner TEXT NOT NULL DEFAULT '';"),
        // Sign-in: local users created with `rewind users add`, sessions by the hash of their token
        // (a stolen database holds no usable cookie), and where each audited act came from.
        M::up(
            r#"
        CREATE TABLE users (
            name          TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            teams_json    TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        );
        CREATE TABLE sessions (
            token_hash    TEXT PRIMARY KEY,
            user_name     TEXT NOT NULL,
            method        TEXT NOT NULL,
            teams_json    TEXT NOT NULL,
            source        TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL
        );
        ALTER TABLE audit ADD COLUMN source TEXT NOT NULL DEFAULT '';
        CREATE INDEX audit_by_cluster ON audit (cluster, id);
        "#,
        ),
        // Users managed from the console: grants of their own, and when they last changed. Sessions
        // by user, so removing a user or changing their password ends their sessions at once.
        M::up(
            r#"
        ALTER TABLE users ADD COLUMN grants_json TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE users ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX sessions_by_user ON sessions (user_name, method);
        "#,
        ),
        // When each session was last used, for the idle timeout.
        M::up("ALTER TABLE sessions ADD COLUMN last_seen_ms INTEGER NOT NULL DEFAULT 0;"),
        // One row `/readyz` rewrites to prove the store takes writes.
        M::up(
            "CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL);",
        ),
        // When a second look found a succeeded execution overwritten by a consumer.
        M::up("ALTER TABLE executions ADD COLUMN overwritten_at_ms INTEGER;"),
        // Single sign-on sessions keep the provider's stable subject (issuer#sub) beside the display
        // name; sessions made before it have none and sign in again.
        M::up(
            "ALTER TABLE sessions ADD COLUMN subject TEXT; DELETE FROM sessions WHERE method = 'oidc';",
        ),
    ])
}

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(db)?;
        Self::init(conn)
    }

    /// A private in-memory database, for tests of code that needs a store.
    pub fn in_memory() -> StoreResult<Self> {
        Self::init(Connection::open_in_memory().map_err(db)?)
    }

    fn init(mut conn: Connection) -> StoreResult<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        // FULL: a commit is on disk when it returns, WAL or not; the backup-before-commit rule needs it.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        migrations()
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// How many store users exist; read once at start-up, before the runtime serves anything.
    pub fn user_count(&self) -> StoreResult<u64> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Database("store connection poisoned".into()))?;
        conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .map_err(db)
    }

    /// Runs `f` on the connection on the blocking pool: SQLite calls block, and fsync can take a while.
    fn run<T, F>(&self, f: F) -> BoxFuture<'_, StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut guard = conn
                    .lock()
                    .map_err(|_| StoreError::Database("store connection poisoned".into()))?;
                f(&mut guard)
            })
            .await
            .map_err(|e| StoreError::Database(format!("store task failed: {e}")))?
        })
    }
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

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

impl Store for SqliteStore {
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
                 spec_json, plan_json, commit_metadata, undo_of, partitions_json, partition_count, owner) \
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, '', ?8, ?9, ?10, ?11)",
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
                ],
            )
            .map_err(db)?;
            let id = tx.last_insert_rowid();
            // Short on purpose: it is written once per partition into one __consumer_offsets batch.
            let commit_metadata = format!("rewind:{id}:{:06x}", super::random_u64() & 0xff_ffff);
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
            let mut stmt = conn
                .prepare(
                    "SELECT id, cluster, group_id, actor, started_at_ms, status, strategy, \
                     partition_count, undo_of, message, overwritten_at_ms FROM executions \
                     WHERE (?1 IS NULL OR cluster = ?1) AND (?2 IS NULL OR group_id = ?2) \
                     ORDER BY id DESC LIMIT ?3",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(
                    params![filter.cluster, filter.group, filter.limit.max(1) as i64],
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

    fn save_plan(&self, plan: SavedPlan) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO plans (id, cluster, created_at_ms, created_by, plan_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    plan.id,
                    plan.plan.spec.cluster,
                    plan.created_at_ms,
                    plan.created_by,
                    to_json(&plan.plan)?
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn plan(&self, id: String) -> BoxFuture<'_, StoreResult<Option<SavedPlan>>> {
        self.run(move |conn| {
            let row: Option<(String, i64, String, String)> = conn
                .query_row(
                    "SELECT id, created_at_ms, created_by, plan_json FROM plans WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(db)?;
            row.map(|(id, created_at_ms, created_by, plan_json)| {
                Ok(SavedPlan {
                    id,
                    created_at_ms,
                    created_by,
                    plan: from_json(&plan_json)?,
                })
            })
            .transpose()
        })
    }

    fn delete_plan(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        self.run(move |conn| {
            let n = conn
                .execute("DELETE FROM plans WHERE id = ?1", params![id])
                .map_err(db)?;
            Ok(n > 0)
        })
    }

    fn audit(&self, entry: AuditEntry) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO audit (at_ms, actor, source, action, cluster, group_id, detail_json, result) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    entry.at_ms,
                    entry.actor,
                    entry.source,
                    entry.action,
                    entry.cluster,
                    entry.group,
                    to_json(&entry.detail)?,
                    entry.result
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn audit_entries(&self, filter: AuditFilter) -> BoxFuture<'_, StoreResult<Vec<AuditEntry>>> {
        self.run(move |conn| {
            // The caller's grants as SQL, so a caller who may see little does not make the store read
            // (and hand over) everyone's entries. Grant globs use `*` and `?` as GLOB does; `[` is
            // literal in a grant and escaped here.
            let mut visible_sql = String::new();
            let mut globs: Vec<String> = Vec::new();
            if let Some(v) = &filter.visible {
                let mut terms = vec![if v.clusterless {
                    "cluster IS NULL".to_owned()
                } else {
                    "0".to_owned()
                }];
                for (c, g) in &v.grants {
                    let (ci, gi) = (10 + globs.len(), 11 + globs.len());
                    terms.push(format!(
                        "(cluster GLOB ?{ci} AND (group_id IS NULL OR group_id GLOB ?{gi}))"
                    ));
                    globs.push(c.replace('[', "[[]"));
                    globs.push(g.replace('[', "[[]"));
                }
                visible_sql = format!(" AND ({})", terms.join(" OR "));
            }
            // Empty filter fields match everything; substrings use instr() so no LIKE escaping is needed.
            let sql = format!(
                "SELECT id, at_ms, actor, source, action, cluster, group_id, detail_json, result \
                 FROM audit WHERE \
                   (?1 = '' OR instr(lower(actor), lower(?1)) > 0) AND \
                   (?2 = '' OR action = ?2) AND \
                   (?3 = '' OR cluster = ?3) AND \
                   (?4 = '' OR instr(lower(coalesce(group_id, '')), lower(?4)) > 0) AND \
                   (?5 = '' OR instr(lower(result), lower(?5)) > 0) AND \
                   (?6 IS NULL OR at_ms >= ?6) AND (?7 IS NULL OR at_ms <= ?7) AND \
                   (?8 IS NULL OR id < ?8){visible_sql} \
                 ORDER BY id DESC LIMIT ?9"
            );
            let mut stmt = conn.prepare(&sql).map_err(db)?;
            let limit = filter.effective_limit() as i64;
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![
                &filter.actor,
                &filter.action,
                &filter.cluster,
                &filter.group,
                &filter.result,
                &filter.since_ms,
                &filter.until_ms,
                &filter.before_id,
                &limit,
            ];
            values.extend(globs.iter().map(|g| g as &dyn rusqlite::ToSql));
            let rows = stmt
                .query_map(values.as_slice(), |r| {
                    Ok((
                        AuditEntry {
                            id: r.get(0)?,
                            at_ms: r.get(1)?,
                            actor: r.get(2)?,
                            source: r.get(3)?,
                            action: r.get(4)?,
                            cluster: r.get(5)?,
                            group: r.get(6)?,
                            detail: serde_json::Value::Null,
                            result: r.get(8)?,
                        },
                        r.get::<_, String>(7)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (mut entry, detail) = row.map_err(db)?;
                entry.detail = from_json(&detail)?;
                out.push(entry);
            }
            Ok(out)
        })
    }

    fn create_session(&self, session: Session) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            // Expired sessions go whenever a new one is made: the table stays the size of who is active.
            conn.execute(
                "DELETE FROM sessions WHERE expires_at_ms < ?1",
                params![session.created_at_ms],
            )
            .map_err(db)?;
            conn.execute(
                "INSERT INTO sessions (token_hash, user_name, method, teams_json, source, created_at_ms, expires_at_ms, last_seen_ms, subject) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?8)",
                params![
                    session.token_hash,
                    session.user,
                    session.method,
                    to_json(&session.teams)?,
                    session.source,
                    session.created_at_ms,
                    session.expires_at_ms,
                    session.subject
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn session(&self, token_hash: String) -> BoxFuture<'_, StoreResult<Option<Session>>> {
        self.run(move |conn| {
            let row = conn
                .query_row(
                    // A store user's teams and grants are read live, so an admin's change applies
                    // to their next request without signing them out.
                    "SELECT s.token_hash, s.user_name, s.method, COALESCE(u.teams_json, s.teams_json), \
                            s.source, s.created_at_ms, s.expires_at_ms, u.grants_json, s.last_seen_ms, s.subject \
                     FROM sessions s LEFT JOIN users u ON s.method = 'password' AND u.name = s.user_name \
                     WHERE s.token_hash = ?1",
                    params![token_hash],
                    |r| {
                        Ok((
                            (
                                r.get::<_, String>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, String>(3)?,
                            ),
                            r.get::<_, String>(4)?,
                            r.get::<_, i64>(5)?,
                            r.get::<_, i64>(6)?,
                            r.get::<_, Option<String>>(7)?,
                            r.get::<_, i64>(8)?,
                            r.get::<_, Option<String>>(9)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            row.map(
                |(
                    (token_hash, user, method, teams),
                    source,
                    created_at_ms,
                    expires_at_ms,
                    grants,
                    last_seen_ms,
                    subject,
                )| {
                    Ok(Session {
                        token_hash,
                        user,
                        method,
                        teams: from_json(&teams)?,
                        stored_grants: grants.as_deref().map(from_json).transpose()?,
                        source,
                        created_at_ms,
                        expires_at_ms,
                        last_seen_ms,
                        subject,
                    })
                },
            )
            .transpose()
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

    fn open_sessions(&self, now_ms: i64) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM sessions WHERE expires_at_ms >= ?1",
                params![now_ms],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(db)
        })
    }

    fn write_probe(&self, at_ms: i64) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO write_probe (id, at_ms) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
                params![at_ms],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn touch_session(&self, token_hash: String, at_ms: i64) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "UPDATE sessions SET last_seen_ms = ?2 WHERE token_hash = ?1 AND last_seen_ms < ?2",
                params![token_hash, at_ms],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn delete_session(&self, token_hash: String) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                params![token_hash],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn put_user(&self, user: LocalUser) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO users (name, password_hash, teams_json, grants_json, created_at_ms, updated_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, \
                 teams_json = excluded.teams_json, grants_json = excluded.grants_json, updated_at_ms = excluded.updated_at_ms",
                params![
                    user.name,
                    user.password_hash,
                    to_json(&user.teams)?,
                    to_json(&user.grants)?,
                    user.created_at_ms,
                    user.updated_at_ms
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn user(&self, name: String) -> BoxFuture<'_, StoreResult<Option<(LocalUser, u32)>>> {
        self.run(move |conn| Ok(select_users(conn, Some(&name))?.pop()))
    }

    fn users(&self) -> BoxFuture<'_, StoreResult<Vec<(LocalUser, u32)>>> {
        self.run(move |conn| select_users(conn, None))
    }

    fn delete_user(&self, name: String) -> BoxFuture<'_, StoreResult<bool>> {
        self.run(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let n = tx
                .execute("DELETE FROM users WHERE name = ?1", params![name])
                .map_err(db)?;
            tx.execute(
                "DELETE FROM sessions WHERE user_name = ?1 AND method = 'password'",
                params![name],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n > 0)
        })
    }

    fn end_password_sessions(
        &self,
        user: String,
        except: Option<String>,
    ) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(move |conn| {
            let n = conn
                .execute(
                    "DELETE FROM sessions WHERE user_name = ?1 AND method = 'password' \
                     AND token_hash IS NOT ?2",
                    params![user, except],
                )
                .map_err(db)?;
            Ok(n as u64)
        })
    }
}

/// Store users (one, or all by name) with their unexpired password sessions.
fn select_users(conn: &Connection, name: Option<&str>) -> StoreResult<Vec<(LocalUser, u32)>> {
    let mut stmt = conn
        .prepare(
            "SELECT u.name, u.password_hash, u.teams_json, u.grants_json, u.created_at_ms, u.updated_at_ms, \
                    (SELECT COUNT(*) FROM sessions s WHERE s.user_name = u.name AND s.method = 'password' \
                     AND s.expires_at_ms > ?2) \
             FROM users u WHERE ?1 IS NULL OR u.name = ?1 ORDER BY u.name",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![name, crate::now_ms()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, u32>(6)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (name, password_hash, teams, grants, created_at_ms, updated_at_ms, sessions) =
            row.map_err(db)?;
        out.push((
            LocalUser {
                name,
                password_hash,
                teams: from_json(&teams)?,
                grants: from_json(&grants)?,
                created_at_ms,
                updated_at_ms,
            },
            sessions,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::reset::{Plan, ResetSpec, Scope, Strategy};

    /// Security review, item 14: the store reads only the entries a caller's grants cover, instead
    /// of every entry in 5,000-row pages for the server to filter.
    #[tokio::test]
    async fn audit_entries_are_filtered_by_the_callers_grants_in_sql() {
        use app::domain::audit::{AuditFilter, AuditVisibility};
        let store = SqliteStore::in_memory().unwrap();
        for (cluster, group) in [
            (Some("prod"), Some("team-a-g1")),
            (Some("prod"), Some("team-b-g1")),
            (Some("prod"), None),
            (Some("test"), Some("team-a-g1")),
            (None, None),
        ] {
            let mut e = AuditEntry::new(1, "x", "127.0.0.1", "execute", "succeeded");
            if let Some(c) = cluster {
                e = e.about(c.to_owned(), group.map(str::to_owned));
            }
            store.audit(e).await.unwrap();
        }
        let seen = |grants: Vec<(&str, &str)>, clusterless: bool| {
            let filter = AuditFilter {
                visible: Some(AuditVisibility {
                    grants: grants
                        .into_iter()
                        .map(|(c, g)| (c.to_owned(), g.to_owned()))
                        .collect(),
                    clusterless,
                }),
                ..AuditFilter::default()
            };
            let store = &store;
            async move {
                let mut out: Vec<(Option<String>, Option<String>)> = store
                    .audit_entries(filter)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| (e.cluster, e.group))
                    .collect();
                out.sort();
                out
            }
        };
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            seen(vec![("prod", "team-a-*")], false).await,
            vec![(s("prod"), None), (s("prod"), s("team-a-g1"))]
        );
        assert_eq!(
            seen(vec![("p[r]od", "*")], false).await,
            vec![],
            "[ is literal"
        );
        assert_eq!(seen(vec![], true).await, vec![(None, None)]);
        assert_eq!(seen(vec![("*", "*")], true).await.len(), 5);
    }

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
}
