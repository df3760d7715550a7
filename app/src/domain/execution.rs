//! Executions and saved plans as the store keeps them and the browser shows them.

use serde::{Deserialize, Serialize};

use super::reset::{Plan, ResetSpec, TopicPartition};

/// Where an execution stands. `Pending` exists only between the durable backup and the verified
/// commit; a server that dies there resolves it on start-up by reading Kafka.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionStatus {
    Pending,
    Succeeded,
    Failed,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One partition of an execution: before, intended, and what Kafka had after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOutcome {
    pub topic: String,
    pub partition: i32,
    /// The backed-up committed offset; None when there was none.
    pub before: Option<i64>,
    /// The plan's target; None deletes the offset (undo of a partition that had none).
    pub target: Option<i64>,
    /// Read back from Kafka after the commit; None when there is no committed offset or it was not read.
    pub after: Option<i64>,
    /// The partition's error from Kafka, or the verification mismatch.
    pub error: Option<String>,
}

impl PartitionOutcome {
    pub fn tp(&self) -> TopicPartition {
        TopicPartition::new(self.topic.clone(), self.partition)
    }

    pub fn verified(&self) -> bool {
        self.error.is_none() && self.after == self.target
    }
}

/// A recorded execution of one group's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    pub id: i64,
    pub cluster: String,
    pub group: String,
    /// Who ran it (the signed-in identity once sign-in exists; the configured operator name until then).
    pub actor: String,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub status: ExecutionStatus,
    /// The spec and plan as previewed and executed.
    pub spec: ResetSpec,
    pub plan: Plan,
    /// What Rewind wrote into every committed offset's metadata, to trace a commit back here.
    pub commit_metadata: String,
    /// Set when this execution undid another one.
    pub undo_of: Option<i64>,
    pub partitions: Vec<PartitionOutcome>,
    /// Why it failed, how a pending one was resolved, or what a consumer overwrote.
    pub message: Option<String>,
    /// When Rewind, looking again after success, found a consumer had moved the offsets.
    #[serde(default)]
    pub overwritten_at_ms: Option<i64>,
}

/// An execution in a history list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionSummary {
    pub id: i64,
    pub cluster: String,
    pub group: String,
    pub actor: String,
    pub started_at_ms: i64,
    pub status: ExecutionStatus,
    pub strategy: String,
    pub partitions: usize,
    pub undo_of: Option<i64>,
    pub message: Option<String>,
    #[serde(default)]
    pub overwritten_at_ms: Option<i64>,
    /// The reset in one line: strategy, value and scope (`shift-by -100 on orders:0-3`); empty for
    /// executions recorded before it was kept.
    #[serde(default)]
    pub what: String,
}

impl From<&Execution> for ExecutionSummary {
    fn from(e: &Execution) -> Self {
        Self {
            id: e.id,
            cluster: e.cluster.clone(),
            group: e.group.clone(),
            actor: e.actor.clone(),
            started_at_ms: e.started_at_ms,
            status: e.status,
            strategy: e.spec.strategy.name().to_string(),
            partitions: e.partitions.len(),
            undo_of: e.undo_of,
            message: e.message.clone(),
            overwritten_at_ms: e.overwritten_at_ms,
            what: super::builder::describe(&e.spec),
        }
    }
}

/// What execute answers: one execution per group of the spec, in its order. A group that was not
/// attempted (an earlier one failed) has no execution and is named in `not_attempted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ExecuteReport {
    pub executions: Vec<Execution>,
    pub not_attempted: Vec<String>,
}

/// A plan saved under a short id, with the plan as it was previewed then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub id: String,
    pub created_at_ms: i64,
    pub created_by: String,
    pub plan: Plan,
}

/// The answer of a preview: the plan and, when the tool can express it, its command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub plan: Plan,
    pub cli: super::offsets_csv::CliCommand,
    /// The plan's targets in the reference tool's CSV format.
    pub csv: String,
    /// What the plan was made from: the browser replans on it while the operator edits, with no round trip.
    pub snapshot: super::reset::Snapshot,
    /// The cluster's bootstrap servers, for the CLI command of a plan made in the browser.
    pub bootstrap: String,
}

/// The outcome of deleting a group's offsets, per partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOffsetsReport {
    pub cluster: String,
    pub group: String,
    pub partitions: Vec<DeletedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedOffset {
    pub topic: String,
    pub partition: i32,
    /// The offset deleted (None: there was none).
    pub before: Option<i64>,
    /// Kafka's error for this partition, if refused (e.g. GROUP_SUBSCRIBED_TO_TOPIC).
    pub error: Option<String>,
}
