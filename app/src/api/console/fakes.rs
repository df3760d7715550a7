//! Fakes of the ports for the console's unit tests: a caller with fixed grants, resets held in memory
//! that write down every call, and Kafka, audit and users that hold nothing.

use std::sync::Mutex;

use crate::api::ports::{
    Action, Actor, AuditLog, Authorizer, BoxFuture, KafkaReader, LagHistoryReader, Resets, Users,
};
use crate::domain::access::Caller;
use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::domain::execution::{
    DeleteOffsetsReport, ExecuteReport, Execution, ExecutionSummary, Preview, SavedPlan,
};
use crate::domain::lag_history::{LagHistory, LatestStatuses, ReplayProgress, Sparkline, Window};
use crate::domain::reset::{LandingRecord, ResetSpec, TopicScope};
use crate::domain::users::{UserChange, UserSummary};
use crate::domain::{ClusterSummary, GroupDetail, GroupLag, GroupPage, GroupQuery};
use crate::error::{AppError, AppResult};

/// A caller with one grant per `(role, group glob)` on cluster `c`.
pub struct FakeAuth(pub Caller);

impl Authorizer for FakeAuth {
    fn caller(&self) -> AppResult<Caller> {
        Ok(self.0.clone())
    }

    fn authorize(&self, action: Action, cluster: &str, group: Option<&str>) -> AppResult<Actor> {
        self.0.check(action, cluster, group)?;
        Ok(Actor {
            name: self.0.name.clone(),
            source: "127.0.0.1".into(),
        })
    }
}

/// Executions and saved plans held in memory; every call the console makes is written down.
#[derive(Default)]
pub struct FakeResets {
    pub executions: Vec<Execution>,
    pub plans: Vec<SavedPlan>,
    /// What the store's history query returns, whatever it is asked.
    pub history: Vec<ExecutionSummary>,
    pub calls: Mutex<Vec<String>>,
    pub history_asked: Mutex<Option<(Vec<String>, usize)>>,
}

impl FakeResets {
    fn called(&self, what: &str) {
        self.calls.lock().unwrap().push(what.to_owned());
    }
}

fn not_found<T>(what: String) -> AppResult<T> {
    Err(AppError::NotFound { what })
}

impl Resets for FakeResets {
    fn preview(&self, _spec: ResetSpec) -> BoxFuture<'_, AppResult<Preview>> {
        self.called("preview");
        Box::pin(async { not_found("preview (fake)".into()) })
    }

    fn execute(
        &self,
        _spec: ResetSpec,
        _fingerprint: String,
        _at_ms: Option<i64>,
        _actor: Actor,
    ) -> BoxFuture<'_, AppResult<ExecuteReport>> {
        self.called("execute");
        Box::pin(async {
            Ok(ExecuteReport {
                executions: Vec::new(),
                not_attempted: Vec::new(),
            })
        })
    }

    fn execution(&self, id: i64) -> BoxFuture<'_, AppResult<Execution>> {
        let found = self.executions.iter().find(|e| e.id == id).cloned();
        Box::pin(async move { found.map_or_else(|| not_found(format!("Execution {id}")), Ok) })
    }

    fn executions(
        &self,
        _cluster: String,
        _group: Option<String>,
        visible: Vec<String>,
        limit: usize,
    ) -> BoxFuture<'_, AppResult<Vec<ExecutionSummary>>> {
        *self.history_asked.lock().unwrap() = Some((visible, limit));
        let history = self.history.clone();
        Box::pin(async move { Ok(history) })
    }

    fn save_plan(&self, _spec: ResetSpec, _actor: Actor) -> BoxFuture<'_, AppResult<SavedPlan>> {
        self.called("save_plan");
        Box::pin(async { not_found("save (fake)".into()) })
    }

    fn saved_plan(&self, id: String) -> BoxFuture<'_, AppResult<SavedPlan>> {
        let found = self.plans.iter().find(|p| p.id == id).cloned();
        Box::pin(async move { found.map_or_else(|| not_found(format!("Plan {id}")), Ok) })
    }

    fn delete_plan(&self, _id: String, _actor: Actor) -> BoxFuture<'_, AppResult<()>> {
        self.called("delete_plan");
        Box::pin(async { Ok(()) })
    }

    fn landing_records(
        &self,
        _cluster: String,
        _group: String,
        _targets: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'_, AppResult<Vec<LandingRecord>>> {
        self.called("landing_records");
        Box::pin(async { Ok(Vec::new()) })
    }

    fn export_offsets(&self, _cluster: String, _group: String) -> BoxFuture<'_, AppResult<String>> {
        self.called("export_offsets");
        Box::pin(async { Ok(String::new()) })
    }

    fn delete_offsets(
        &self,
        _cluster: String,
        _group: String,
        _topics: Vec<TopicScope>,
        _actor: Actor,
    ) -> BoxFuture<'_, AppResult<DeleteOffsetsReport>> {
        self.called("delete_offsets");
        Box::pin(async { not_found("delete (fake)".into()) })
    }
}

/// Kafka with no groups: the rules under test decide before any read.
pub struct NoKafka;

impl KafkaReader for NoKafka {
    fn clusters(&self) -> Vec<ClusterSummary> {
        ["c", "other"]
            .map(|name| ClusterSummary {
                name: name.into(),
                bootstrap_servers: "localhost:9092".into(),
                security_protocol: "plaintext".into(),
            })
            .into()
    }

    fn list_groups<'a>(
        &'a self,
        cluster: &'a str,
        query: GroupQuery,
    ) -> BoxFuture<'a, AppResult<GroupPage>> {
        // Echoes what the console asked for, so a test can see the visibility it passed.
        Box::pin(async move {
            Ok(GroupPage {
                cluster: cluster.into(),
                total: 0,
                matched: 0,
                state_counts: Vec::new(),
                page: query.page,
                page_size: query.effective_page_size(),
                groups: Vec::new(),
                warnings: query.visible.unwrap_or_default(),
                lag_index: None,
            })
        })
    }

    fn group_lags<'a>(
        &'a self,
        _cluster: &'a str,
        _groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<GroupLag>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn group_lag_times<'a>(
        &'a self,
        _cluster: &'a str,
        _groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<crate::domain::groups::GroupLagTime>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn record_times<'a>(
        &'a self,
        _cluster: &'a str,
        _group: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<crate::domain::groups::RecordTime>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn describe_group<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
    ) -> BoxFuture<'a, AppResult<GroupDetail>> {
        Box::pin(async move {
            Err(AppError::UnknownGroup {
                cluster: cluster.into(),
                group: group.into(),
            })
        })
    }
}

pub struct NoAudit;

impl AuditLog for NoAudit {
    fn entries(&self, _filter: AuditFilter) -> BoxFuture<'_, AppResult<Vec<AuditEntry>>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

pub struct NoUsers;

impl Users for NoUsers {
    fn list(&self) -> BoxFuture<'_, AppResult<Vec<UserSummary>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn save(
        &self,
        _change: UserChange,
        _creating: bool,
        _actor: Actor,
    ) -> BoxFuture<'_, AppResult<UserSummary>> {
        Box::pin(async { not_found("user (fake)".into()) })
    }

    fn delete(&self, _name: String, _actor: Actor) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// No samples: the console's rules around lag history are tested, not the sampler.
pub struct NoHistory;

impl LagHistoryReader for NoHistory {
    fn history(
        &self,
        _cluster: String,
        group: String,
        _window: Window,
        _partitions_of: Option<String>,
    ) -> BoxFuture<'_, AppResult<LagHistory>> {
        Box::pin(async move {
            Ok(LagHistory {
                group,
                from_ms: 0,
                to_ms: 0,
                interval_ms: 60_000,
                totals: Vec::new(),
                topics: Vec::new(),
                markers: Vec::new(),
                judgement: None,
                pinned: false,
                partition_topics: Vec::new(),
                partitions: None,
            })
        })
    }

    fn pin(
        &self,
        _cluster: String,
        _group: String,
        pinned: bool,
        _actor: Actor,
    ) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move { Ok(pinned) })
    }

    fn sparklines(
        &self,
        _cluster: String,
        _groups: Vec<String>,
    ) -> BoxFuture<'_, AppResult<Vec<Sparkline>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn latest(&self, _cluster: &str) -> LatestStatuses {
        LatestStatuses::default()
    }

    fn csv(
        &self,
        _cluster: String,
        _group: String,
        _window: Window,
    ) -> BoxFuture<'_, AppResult<String>> {
        Box::pin(async { Ok(String::new()) })
    }

    fn replay_progress(
        &self,
        _execution: Execution,
    ) -> BoxFuture<'_, AppResult<Option<ReplayProgress>>> {
        Box::pin(async { Ok(None) })
    }
}
