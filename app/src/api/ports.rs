//! The service interface the server functions call; the `server` crate provides the implementation.
//!
//! Keeping it a trait lets server functions stay free of rdkafka (which never compiles to wasm) and lets
//! the server swap implementations (for example a second store backend) without touching the app.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::domain::execution::{
    DeleteOffsetsReport, ExecuteReport, Execution, ExecutionSummary, Preview, SavedPlan,
};
use crate::domain::reset::{ResetSpec, TopicScope};
use crate::domain::users::{UserChange, UserSummary};
use crate::domain::{ClusterSummary, GroupDetail, GroupLag, GroupPage, GroupQuery};
use crate::error::{AppError, AppResult};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Read access to the configured Kafka clusters.
pub trait KafkaReader: Send + Sync + 'static {
    fn clusters(&self) -> Vec<ClusterSummary>;
    /// One page of the cluster's consumer groups; only that page's groups are described.
    fn list_groups<'a>(
        &'a self,
        cluster: &'a str,
        query: GroupQuery,
    ) -> BoxFuture<'a, AppResult<GroupPage>>;
    /// Total lag and topics of each of `groups` (at most a page of them), in their order.
    fn group_lags<'a>(
        &'a self,
        cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<GroupLag>>>;
    /// When the oldest unread record of each of `groups` (at most a page) was written, in their order,
    /// best effort within a short budget (a record per lagging partition).
    fn group_lag_times<'a>(
        &'a self,
        cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<crate::domain::groups::GroupLagTime>>>;
    /// A group's members and, per partition, committed offset, log start and log end.
    fn describe_group<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, AppResult<GroupDetail>>;
    /// When the records at the group's committed offsets were written (lag in time), best effort
    /// within a short budget: a record per partition, so it is read apart from `describe_group`.
    fn record_times<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<crate::domain::groups::RecordTime>>>;
}

pub use crate::domain::access::Action;
use crate::domain::access::Caller;

/// Who is calling, as executions and the audit record them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    /// The client address the request came from, for the audit.
    pub source: String,
}

/// The request's signed-in caller and the role check every server function makes before any work.
pub trait Authorizer: Send + Sync + 'static {
    /// The caller of this request; `NotSignedIn` without a valid session.
    fn caller(&self) -> AppResult<Caller>;

    /// The caller, if they may do `action` on `group` of `cluster`; `Forbidden` otherwise (and a
    /// refused change is audited).
    fn authorize(&self, action: Action, cluster: &str, group: Option<&str>) -> AppResult<Actor>;
}

/// Reset plans: preview, execute (with backup and verification), undo, history, interop.
pub trait Resets: Send + Sync + 'static {
    /// A fresh snapshot read with batched requests and the plan on it, with its fingerprint.
    fn preview(&self, spec: ResetSpec) -> BoxFuture<'_, AppResult<Preview>>;
    /// Executes `spec` if a fresh snapshot still gives `fingerprint`; `at_ms` is the instant the
    /// preview's time lookup used (by-duration), so both resolve the same instant.
    fn execute(
        &self,
        spec: ResetSpec,
        fingerprint: String,
        at_ms: Option<i64>,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<ExecuteReport>>;
    fn execution(&self, id: i64) -> BoxFuture<'_, AppResult<Execution>>;
    /// Newest first, at most `limit`, of `cluster` (or one `group` of it), only of groups some glob of
    /// `visible` matches: filtered before the limit.
    fn executions(
        &self,
        cluster: String,
        group: Option<String>,
        visible: Vec<String>,
        limit: usize,
    ) -> BoxFuture<'_, AppResult<Vec<ExecutionSummary>>>;
    /// Previews `spec` and stores the plan under a new id.
    fn save_plan(&self, spec: ResetSpec, actor: Actor) -> BoxFuture<'_, AppResult<SavedPlan>>;
    fn saved_plan(&self, id: String) -> BoxFuture<'_, AppResult<SavedPlan>>;
    fn delete_plan(&self, id: String, actor: Actor) -> BoxFuture<'_, AppResult<()>>;
    /// The first record at or after each `(topic, partition, offset)`, with short key and value previews,
    /// for topics `group` has committed offsets on only: anything else is refused before any read.
    fn landing_records(
        &self,
        cluster: String,
        group: String,
        targets: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'_, AppResult<Vec<crate::domain::reset::LandingRecord>>>;
    /// The group's committed offsets in the reference tool's 3-column CSV.
    fn export_offsets(&self, cluster: String, group: String) -> BoxFuture<'_, AppResult<String>>;
    /// Deletes the group's offsets for the given topics (or partitions), with the tool's state rules.
    fn delete_offsets(
        &self,
        cluster: String,
        group: String,
        topics: Vec<TopicScope>,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<DeleteOffsetsReport>>;
}

/// The audit trail, newest first.
pub trait AuditLog: Send + Sync + 'static {
    fn entries(&self, filter: AuditFilter) -> BoxFuture<'_, AppResult<Vec<AuditEntry>>>;
}

/// Local users and their direct grants, as admins manage them from the console. Callers check
/// `Action::ManageUsers` first; the implementation adds the rules that need the store (no shadowing a
/// config user, no admin locking themselves out) and audits every change.
pub trait Users: Send + Sync + 'static {
    /// Config and store users with their effective grants, by name.
    fn list(&self) -> BoxFuture<'_, AppResult<Vec<UserSummary>>>;
    /// Creates (`creating`) or changes a store user. A new password signs the user out of every
    /// other session; changed teams and grants apply to their next request.
    fn save(
        &self,
        change: UserChange,
        creating: bool,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<UserSummary>>;
    /// Removes a store user and ends their sessions.
    fn delete(&self, name: String, actor: Actor) -> BoxFuture<'_, AppResult<()>>;
}

/// Sampled lag over time (see `domain::lag_history`). Callers authorise the group first.
pub trait LagHistoryReader: Send + Sync + 'static {
    /// The group's history over `window`, per topic and in total, with the executions inside it and
    /// its status, and the per-partition lines of `partitions_of` when it has them; asking marks the
    /// group as watched (its lag in time and per-partition lag are sampled for a while).
    fn history(
        &self,
        cluster: String,
        group: String,
        window: crate::domain::lag_history::Window,
        partitions_of: Option<String>,
    ) -> BoxFuture<'_, AppResult<crate::domain::lag_history::LagHistory>>;
    /// Pins (or unpins) the group: sampled per partition whether or not anyone looks. Audited; `Refused`
    /// when the cluster already has the most pins allowed. Whether it is pinned now.
    fn pin(
        &self,
        cluster: String,
        group: String,
        pinned: bool,
        actor: Actor,
    ) -> BoxFuture<'_, AppResult<bool>>;
    /// The last hour of each of `groups` (at most a page), small, with its status.
    fn sparklines(
        &self,
        cluster: String,
        groups: Vec<String>,
    ) -> BoxFuture<'_, AppResult<Vec<crate::domain::lag_history::Sparkline>>>;
    /// The groups of `cluster` with this status at the last pass, and each group's lag growth over
    /// the status window (for filtering and sorting the whole list).
    fn latest(&self, cluster: &str) -> crate::domain::lag_history::LatestStatuses;
    /// The group's samples over `window` as CSV, a row per pass and topic.
    fn csv(
        &self,
        cluster: String,
        group: String,
        window: crate::domain::lag_history::Window,
    ) -> BoxFuture<'_, AppResult<String>>;
    /// How far the replay started by execution `id` has come.
    fn replay_progress(
        &self,
        execution: crate::domain::execution::Execution,
    ) -> BoxFuture<'_, AppResult<Option<crate::domain::lag_history::ReplayProgress>>>;
}

/// Everything a server function may use, provided once per request through Leptos context.
#[derive(Clone)]
pub struct Services {
    pub kafka: Arc<dyn KafkaReader>,
    pub resets: Arc<dyn Resets>,
    pub auth: Arc<dyn Authorizer>,
    pub audit: Arc<dyn AuditLog>,
    pub users: Arc<dyn Users>,
    pub history: Arc<dyn LagHistoryReader>,
}

/// The services of this request. Missing context is a wiring bug on the server, not a user error,
/// so it is logged and reported as `Internal`.
pub fn services() -> AppResult<Services> {
    leptos::prelude::use_context::<Services>().ok_or_else(|| {
        tracing::error!(
            "Services missing from the Leptos context: the router was built without them"
        );
        AppError::Internal {
            reference: "services-missing".into(),
        }
    })
}
