//! Rewind's own state (executions with their backups and group locks, saved plans, audit, sessions,
//! users) behind one trait per aggregate, so a PostgreSQL backend can follow the embedded SQLite one.

mod sqlite;

pub use sqlite::SqliteStore;

use app::api::ports::BoxFuture;
use app::domain::execution::{
    Execution, ExecutionStatus, ExecutionSummary, PartitionOutcome, SavedPlan,
};

/// A store failure. Its detail is logged by the caller and never sent to the browser.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("execution {0} is not pending (finished already)")]
    NotPending(i64),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Writes an audit entry. A failure is logged, not returned: the act it records has happened.
pub async fn record(store: &dyn Store, entry: AuditEntry) {
    if let Err(e) = store.audit(entry).await {
        tracing::error!(error = %e, "cannot write an audit entry");
    }
}

/// Logs a store failure and gives the browser a reference to find it by.
pub fn store_error(what: &'static str) -> impl Fn(StoreError) -> app::error::AppError {
    move |e| {
        tracing::error!(error = %e, what, "store operation failed");
        app::error::AppError::Internal {
            reference: format!("store-{what}"),
        }
    }
}

/// 64 random bits from the standard library's per-process random hasher keys plus the clock: enough
/// for ids that must not collide across stores and restarts (not for secrets).
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// An execution about to commit: the plan and the backup of the offsets it replaces.
#[derive(Debug, Clone)]
pub struct NewExecution {
    pub cluster: String,
    pub group: String,
    pub actor: String,
    pub started_at_ms: i64,
    pub spec: app::domain::reset::ResetSpec,
    pub plan: app::domain::reset::Plan,
    pub undo_of: Option<i64>,
    /// The server process running it (a random id per start).
    pub owner: String,
    /// One per planned partition, `before` being the backup; `after` empty.
    pub partitions: Vec<PartitionOutcome>,
}

/// The answer to `begin_execution`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The group is ours: the execution is recorded as pending with its backup, durably.
    Started { id: i64, commit_metadata: String },
    /// Another execution holds the group.
    Busy {
        execution: i64,
        actor: String,
        started_at_ms: i64,
    },
}

/// Which executions a history shows.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    pub cluster: Option<String>,
    pub group: Option<String>,
    /// Group globs (`*`, `?`) the caller may see; None: every group. Applied before `limit`.
    pub visible: Option<Vec<String>>,
    pub limit: usize,
}

pub use app::domain::audit::{AuditEntry, AuditFilter};

/// A signed-in browser: the cookie holds the token, the store only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user: String,
    /// `password`, `oidc`.
    pub method: String,
    /// The identity provider's (or local user's) groups at sign-in, which grants are resolved from.
    pub teams: Vec<String>,
    /// For a password session of a store user: that user's teams and grants now (not at sign-in),
    /// so `teams` above is theirs too. `None` for everyone else.
    pub stored_grants: Option<Vec<app::domain::access::Grant>>,
    pub source: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// When it was last used (kept to the minute), for the idle timeout.
    pub last_seen_ms: i64,
    /// The sign-in method's stable id of the caller where `user` is only a display name: for single
    /// sign-on `<issuer>#<sub>`. None for password sessions (the user name is the id).
    pub subject: Option<String>,
}

/// A local user kept in the store (created from the console or with `rewind users add`).
#[derive(Clone, PartialEq, Eq)]
pub struct LocalUser {
    pub name: String,
    /// PHC string (`$argon2id$...`).
    pub password_hash: String,
    pub teams: Vec<String>,
    /// Grants of this user's own, besides the config's rules.
    pub grants: Vec<app::domain::access::Grant>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

// Even a hash stays out of logs: it is an offline-guessing target.
impl std::fmt::Debug for LocalUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalUser")
            .field("name", &self.name)
            .field("teams", &self.teams)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

/// Executions with their backups, and the per-group lock they hold while they run.
pub trait ExecutionStore: Send + Sync + 'static {
    /// In one durable transaction: take the group's lock, record the execution as pending and write its
    /// backup. When it returns `Started`, the backup survives a crash of this process.
    fn begin_execution(&self, new: NewExecution) -> BoxFuture<'_, StoreResult<Begin>>;
    /// Records the outcome and releases the group's lock.
    fn finish_execution(
        &self,
        id: i64,
        status: ExecutionStatus,
        partitions: Vec<PartitionOutcome>,
        message: Option<String>,
        finished_at_ms: i64,
    ) -> BoxFuture<'_, StoreResult<()>>;
    fn execution(&self, id: i64) -> BoxFuture<'_, StoreResult<Option<Execution>>>;
    fn executions(
        &self,
        filter: ExecutionFilter,
    ) -> BoxFuture<'_, StoreResult<Vec<ExecutionSummary>>>;
    /// Pending executions of server processes other than `not_owner` (this one), oldest first: with
    /// one server per store, those a crash left behind.
    fn pending_executions(&self, not_owner: String) -> BoxFuture<'_, StoreResult<Vec<Execution>>>;
    /// Marks a succeeded execution as overwritten by a consumer at `at_ms`, with `message` saying
    /// what moved; false when it was not a succeeded, unmarked execution.
    fn mark_overwritten(
        &self,
        id: i64,
        message: String,
        at_ms: i64,
    ) -> BoxFuture<'_, StoreResult<bool>>;
}

/// Saved plans under their short ids.
pub trait PlanStore: Send + Sync + 'static {
    fn save_plan(&self, plan: SavedPlan) -> BoxFuture<'_, StoreResult<()>>;
    fn plan(&self, id: String) -> BoxFuture<'_, StoreResult<Option<SavedPlan>>>;
    /// Whether there was such a plan.
    fn delete_plan(&self, id: String) -> BoxFuture<'_, StoreResult<bool>>;
}

/// The audit trail.
pub trait AuditStore: Send + Sync + 'static {
    fn audit(&self, entry: AuditEntry) -> BoxFuture<'_, StoreResult<()>>;
    /// Newest first.
    fn audit_entries(&self, filter: AuditFilter) -> BoxFuture<'_, StoreResult<Vec<AuditEntry>>>;
}

/// Signed-in browsers.
pub trait SessionStore: Send + Sync + 'static {
    fn create_session(&self, session: Session) -> BoxFuture<'_, StoreResult<()>>;
    fn session(&self, token_hash: String) -> BoxFuture<'_, StoreResult<Option<Session>>>;
    /// Records that the session was used at `at_ms`.
    fn touch_session(&self, token_hash: String, at_ms: i64) -> BoxFuture<'_, StoreResult<()>>;
    fn delete_session(&self, token_hash: String) -> BoxFuture<'_, StoreResult<()>>;
    /// Ends the user's password sessions but `except` (the caller's own); how many ended.
    fn end_password_sessions(
        &self,
        user: String,
        except: Option<String>,
    ) -> BoxFuture<'_, StoreResult<u64>>;
    /// Sessions not expired at `now_ms`.
    fn open_sessions(&self, now_ms: i64) -> BoxFuture<'_, StoreResult<u64>>;
}

/// Local users and their grants.
pub trait UserStore: Send + Sync + 'static {
    /// Creates the user or replaces their password, teams and grants (keeping `created_at_ms`).
    fn put_user(&self, user: LocalUser) -> BoxFuture<'_, StoreResult<()>>;
    /// The user, with how many unexpired password sessions they have.
    fn user(&self, name: String) -> BoxFuture<'_, StoreResult<Option<(LocalUser, u32)>>>;
    /// Every store user by name, with how many unexpired password sessions each has.
    fn users(&self) -> BoxFuture<'_, StoreResult<Vec<(LocalUser, u32)>>>;
    /// Removes the user and their password sessions in one transaction; whether there was one.
    fn delete_user(&self, name: String) -> BoxFuture<'_, StoreResult<bool>>;
}

/// What one sampling pass saw of one topic of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRow {
    pub group: String,
    pub topic: String,
    pub value: app::domain::lag_history::TopicValue,
}

/// What a pass saw of one partition of a group sampled per partition. `lag: None` and `ended`: the
/// partition stopped being sampled (the group is no longer watched, or left the partition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRow {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub lag: Option<i64>,
    pub committed: i64,
    pub ended: bool,
}

/// A pin asked for and refused: the cluster has `max` pins already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyPins {
    pub max: usize,
}

/// A group's stored lag history over a window: the cluster's passes in it and the changes that give
/// each topic's value at them (with, per topic, the change still in force at the window's start).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredHistory {
    pub passes: Vec<app::domain::lag_history::Pass>,
    pub changes: Vec<app::domain::lag_history::StoredChange>,
}

/// Sampled lag, change-only.
pub trait LagStore: Send + Sync + 'static {
    /// Records a pass of `cluster` at `t_ms` and, in the same transaction, the rows that changed.
    fn record_pass(
        &self,
        cluster: String,
        t_ms: i64,
        ok: bool,
        rows: Vec<SampleRow>,
        partitions: Vec<PartitionRow>,
    ) -> BoxFuture<'_, StoreResult<()>>;
    /// The per-partition history of `group` on `topic` for the `limit` partitions with the most lag at
    /// their last row (chosen in the database: a wide group's other series are never loaded), and how
    /// many partitions have samples in the window. Each change's `topic` is the partition number.
    fn partition_history(
        &self,
        cluster: String,
        group: String,
        topic: String,
        window_ms: (i64, i64),
        limit: usize,
    ) -> BoxFuture<'_, StoreResult<(StoredHistory, usize)>>;
    /// Topics of `group` with per-partition samples from `from_ms` on.
    fn partition_topics(
        &self,
        cluster: String,
        group: String,
        from_ms: i64,
    ) -> BoxFuture<'_, StoreResult<Vec<String>>>;
    /// The groups pinned on `cluster`.
    fn pins(&self, cluster: String) -> BoxFuture<'_, StoreResult<Vec<String>>>;
    /// Pins or unpins; a new pin past `max` on the cluster is refused. Whether it was pinned before.
    fn set_pin(
        &self,
        cluster: String,
        group: String,
        pinned: bool,
        by: String,
        at_ms: i64,
        max: usize,
    ) -> BoxFuture<'_, StoreResult<Result<bool, TooManyPins>>>;
    /// Each of `groups`' history from `from_ms` to `to_ms`, in their order.
    fn lag_history(
        &self,
        cluster: String,
        groups: Vec<String>,
        from_ms: i64,
        to_ms: i64,
    ) -> BoxFuture<'_, StoreResult<Vec<StoredHistory>>>;
    /// Drops what only matters before `before_ms`, keeping each series' value in force then; how many
    /// rows went.
    fn prune_lag(&self, before_ms: i64) -> BoxFuture<'_, StoreResult<u64>>;
}

/// Everything Rewind keeps, one trait per aggregate; a backend implements them all on one database.
pub trait Store:
    ExecutionStore + PlanStore + AuditStore + SessionStore + UserStore + LagStore
{
    /// A real write (for `/readyz`): fails when the store cannot take writes.
    fn write_probe(&self, at_ms: i64) -> BoxFuture<'_, StoreResult<()>>;
}
