//! Reset plan types: what an operator asks for (`ResetSpec`), what Kafka looked like (`Snapshot`), and
//! the outcome per partition (`Plan`), with the reference tool's warnings and errors.

use serde::{Deserialize, Serialize};

pub use super::strategy::{ExplicitOffset, Strategy, StrategyKind};
use super::{GroupState, GroupType};

/// A partition of a topic, ordered by topic then partition as every table shows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    /// `topic-partition`, as the reference tool names partitions in its messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Which partitions a reset touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Scope {
    /// `--all-topics`: exactly the partitions the group has committed offsets for.
    #[default]
    AllTopics,
    /// `--topic t` and `--topic t:0,1`, possibly several.
    Topics { topics: Vec<TopicScope> },
}

/// One `--topic` argument: a whole topic, or some of its partitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicScope {
    pub topic: String,
    /// None: every partition of the topic (committed or not).
    pub partitions: Option<Vec<i32>>,
}

impl TopicScope {
    /// Parses `t` or `t:0,1,2` as the reference tool does.
    pub fn parse(arg: &str) -> Result<Self, PlanError> {
        let invalid = || PlanError::InvalidTopicArg {
            arg: arg.to_string(),
        };
        let Some((topic, list)) = arg.split_once(':') else {
            if arg.trim().is_empty() {
                return Err(invalid());
            }
            return Ok(Self {
                topic: arg.trim().to_string(),
                partitions: None,
            });
        };
        if topic.trim().is_empty() || list.trim().is_empty() {
            return Err(invalid());
        }
        let mut partitions = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in list.split(',') {
            let p: i32 = p.trim().parse().map_err(|_| PlanError::InvalidPartition {
                arg: arg.to_string(),
                value: p.to_string(),
            })?;
            if !seen.insert(p) {
                return Err(PlanError::DuplicatePartition {
                    topic: topic.trim().to_string(),
                    partition: p,
                });
            }
            partitions.push(p);
        }
        Ok(Self {
            topic: topic.trim().to_string(),
            partitions: Some(partitions),
        })
    }

    /// The argument as the reference tool takes it.
    pub fn to_arg(&self) -> String {
        match &self.partitions {
            None => self.topic.clone(),
            Some(ps) => {
                let list: Vec<String> = ps.iter().map(i32::to_string).collect();
                format!("{}:{}", self.topic, list.join(","))
            }
        }
    }
}

/// What an operator asks for: move `groups` in `scope` by `strategy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetSpec {
    pub cluster: String,
    pub groups: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
    pub strategy: Strategy,
}

/// A group as the snapshot saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSnapshot {
    pub group: String,
    pub state: GroupState,
    pub group_type: GroupType,
    /// Whether the broker knows the group at all; an unknown id is a brand-new group.
    pub exists: bool,
    pub members: Vec<MemberRef>,
    /// Committed offsets, sorted by topic then partition.
    pub committed: Vec<CommittedOffset>,
}

impl GroupSnapshot {
    pub fn committed(&self, tp: &TopicPartition) -> Option<i64> {
        self.committed
            .binary_search_by(|c| (c.topic.as_str(), c.partition).cmp(&(&tp.topic, tp.partition)))
            .ok()
            .map(|i| self.committed[i].offset)
    }
}

/// An active member, as named in a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub metadata: String,
}

/// One partition's log as the snapshot saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionSnapshot {
    pub topic: String,
    pub partition: i32,
    /// None: the partition has no leader, so its offsets are unknown.
    pub leader: Option<i32>,
    pub log_start: Option<i64>,
    pub log_end: Option<i64>,
}

/// The answers of a ListOffsets-by-timestamp at `at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeLookup {
    pub at_ms: i64,
    /// Sorted by topic then partition.
    pub found: Vec<TimeFound>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeFound {
    pub topic: String,
    pub partition: i32,
    /// None when the broker answered -1: no record at or after the instant.
    pub offset: Option<i64>,
    /// Timestamp of the record found.
    pub timestamp: Option<i64>,
}

/// The offsets a group had before an execution, for undo. `None`: no committed offset then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSnapshot {
    pub execution: i64,
    pub group: String,
    pub offsets: Vec<(TopicPartition, Option<i64>)>,
}

/// Everything the planner needs from Kafka and the store, read with batched requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When it was read (ms since the epoch); by-duration resolves against this "now".
    pub taken_at_ms: i64,
    pub groups: Vec<GroupSnapshot>,
    /// Every partition of every topic the plan may touch, sorted by topic then partition.
    pub partitions: Vec<PartitionSnapshot>,
    /// Topics named by the spec that the cluster does not have.
    pub missing_topics: Vec<String>,
    pub time_lookup: Option<TimeLookup>,
    /// For copy-from-group: the source group.
    pub source: Option<GroupSnapshot>,
    /// For restore-backup: the backup.
    pub backup: Option<BackupSnapshot>,
}

impl Snapshot {
    pub fn partition(&self, tp: &TopicPartition) -> Option<&PartitionSnapshot> {
        self.partitions
            .binary_search_by(|p| (p.topic.as_str(), p.partition).cmp(&(&tp.topic, tp.partition)))
            .ok()
            .map(|i| &self.partitions[i])
    }

    pub fn topic_partitions<'a>(
        &'a self,
        topic: &'a str,
    ) -> impl Iterator<Item = &'a PartitionSnapshot> + 'a {
        let start = self
            .partitions
            .partition_point(|p| p.topic.as_str() < topic);
        self.partitions[start..]
            .iter()
            .take_while(move |p| p.topic == topic)
    }

    pub fn time_found(&self, tp: &TopicPartition) -> Option<&TimeFound> {
        let lookup = self.time_lookup.as_ref()?;
        lookup
            .found
            .binary_search_by(|f| (f.topic.as_str(), f.partition).cmp(&(&tp.topic, tp.partition)))
            .ok()
            .map(|i| &lookup.found[i])
    }
}

/// The record a partition's target lands on, as the preview shows it on demand: a short, lossy preview
/// of key and value (never the whole record: a console is not a data export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandingRecord {
    pub topic: String,
    pub partition: i32,
    /// The record's offset: the target, or the next one present (compaction, transaction markers).
    pub offset: i64,
    pub timestamp: Option<i64>,
    /// None for a null key or value; bytes that are not UTF-8 are shown as hex.
    pub key: Option<String>,
    pub value: Option<String>,
    /// Size of the value in bytes, as the preview is cut short.
    pub value_bytes: usize,
}

/// Something the operator should know about one partition's target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Warning {
    /// The requested offset was past the log end.
    ClampedToLatest { requested: i64 },
    /// The requested offset was before the log start.
    ClampedToEarliest { requested: i64 },
    /// No record at or after the instant: the target is the log end.
    FellBackToLatest,
    /// The group had no committed offset here; one is created.
    NoCommittedOffset,
    /// to-current keeps a committed offset below the log start, as the reference tool does; the
    /// consumer will apply its `auto.offset.reset` there.
    BelowLogStart,
    /// Undo of a partition that had no committed offset before: the offset is deleted.
    OffsetDeleted,
}

impl Warning {
    /// The operator-facing sentence, worded like the reference tool where it has one.
    pub fn message(&self, tp: &TopicPartition, target: Option<i64>) -> String {
        let t = target.map_or_else(|| "-".to_string(), |t| t.to_string());
        match self {
            Self::ClampedToLatest { requested } => format!(
                "New offset ({requested}) is higher than latest offset for topic partition {tp}. Value will be set to {t}"
            ),
            Self::ClampedToEarliest { requested } => format!(
                "New offset ({requested}) is lower than earliest offset for topic partition {tp}. Value will be set to {t}"
            ),
            Self::FellBackToLatest => format!(
                "Partition {} from topic {} is empty. Falling back to latest known offset.",
                tp.partition, tp.topic
            ),
            Self::NoCommittedOffset => {
                format!("The group has no committed offset for {tp}: one will be created.")
            }
            Self::BelowLogStart => format!(
                "The committed offset of {tp} is below the log start: the records were deleted, so the consumer will apply its auto.offset.reset."
            ),
            Self::OffsetDeleted => format!(
                "{tp} had no committed offset before that execution: undo deletes the group's offset, so the consumer will apply its auto.offset.reset."
            ),
        }
    }
}

/// One partition of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionPlan {
    pub topic: String,
    pub partition: i32,
    pub log_start: i64,
    pub log_end: i64,
    /// The committed offset now; None when there is none.
    pub current: Option<i64>,
    /// The offset to commit; None only for undo of a partition that had no commit (delete it).
    pub target: Option<i64>,
    /// Timestamp of the record at the target, when known (time lookups; filled in by the server).
    pub target_timestamp: Option<i64>,
    pub warnings: Vec<Warning>,
}

impl PartitionPlan {
    pub fn tp(&self) -> TopicPartition {
        TopicPartition::new(self.topic.clone(), self.partition)
    }

    /// Records the move re-reads (negative) or skips (positive): target - current. With no current
    /// offset there is no delta.
    pub fn delta(&self) -> Option<i64> {
        Some(self.target? - self.current?)
    }

    pub fn changes(&self) -> bool {
        self.current != self.target
    }
}

/// Why a group's plan cannot be executed (the preview still shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Refusal {
    Active {
        state: GroupState,
        members: Vec<MemberRef>,
    },
}

impl Refusal {
    pub fn message(&self, group: &str) -> String {
        match self {
            Self::Active { state, members } => {
                let mut s = format!(
                    "Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
                );
                if !members.is_empty() {
                    let names: Vec<String> = members
                        .iter()
                        .map(|m| format!("{} ({} on {})", m.member_id, m.client_id, m.host))
                        .collect();
                    s.push_str(&format!(" Active members: {}.", names.join(", ")));
                }
                s
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPlan {
    pub group: String,
    pub state: GroupState,
    pub refusal: Option<Refusal>,
    /// Sorted by topic then partition.
    pub partitions: Vec<PartitionPlan>,
}

/// A whole plan: per group, per partition, with the snapshot facts it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub spec: ResetSpec,
    /// The instant time lookups used (to-datetime, by-duration).
    pub at_ms: Option<i64>,
    pub snapshot_at_ms: i64,
    pub groups: Vec<GroupPlan>,
    /// Hash of each partition's committed offset and target (for a target that is a log bound by rule,
    /// such as to-latest or clamped, the rule rather than the moving value); execute refuses when a
    /// fresh snapshot gives another.
    pub fingerprint: String,
}

impl Plan {
    pub fn partition_count(&self) -> usize {
        self.groups.iter().map(|g| g.partitions.len()).sum()
    }

    /// The plan of `group` alone, as one group's record shows it: other groups of a multi-group plan
    /// are theirs to see, not this group's viewers'.
    pub fn of_group(mut self, group: &str) -> Self {
        self.spec.groups.retain(|g| g == group);
        self.groups.retain(|g| g.group == group);
        self
    }
}

/// Most groups one plan may name (the reference tool takes any number of `--group`; a console request
/// must be bounded).
pub const MAX_GROUPS_PER_PLAN: usize = 100;

impl ResetSpec {
    /// The group a copy-from plan reads (its offsets become the targets).
    pub fn copy_source(&self) -> Option<&str> {
        match &self.strategy {
            Strategy::CopyFromGroup { group } => Some(group),
            _ => None,
        }
    }

    /// Every group whose offsets a plan of this spec shows: its own and, for copy-from, the source.
    pub fn groups_shown(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .map(String::as_str)
            .chain(self.copy_source())
    }
}

/// A spec that cannot be planned, with the reference tool's message where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PlanError {
    #[error("Invalid topic arg '{arg}', expected topic name and partitions")]
    InvalidTopicArg { arg: String },
    #[error("Invalid topic arg '{arg}': partition '{value}' is not an integer")]
    InvalidPartition { arg: String, value: String },
    /// The tool takes it and finds no such partition; the cause is worth naming.
    #[error("Partition {partition} of topic {topic} is negative; partitions are numbered from 0")]
    NegativePartition { topic: String, partition: i32 },
    #[error("Partition {partition} of topic {topic} is given twice")]
    DuplicatePartition { topic: String, partition: i32 },
    #[error("Topic '{topic}' does not exist")]
    UnknownTopic { topic: String },
    #[error("The partitions \"{partitions}\" do not exist")]
    PartitionsDoNotExist { partitions: String },
    #[error("The partitions \"{partitions}\" have no leader")]
    PartitionsWithoutLeader { partitions: String },
    #[error("Option --reset-offsets needs a scope: all topics, or one or more topics")]
    NoScope,
    #[error("At least one group is needed")]
    NoGroup,
    #[error("Group '{group}' is given twice")]
    DuplicateGroup { group: String },
    #[error(
        "Cannot shift offset for partition {partition} since there is no current committed offset"
    )]
    NoCommittedOffsetToShift { partition: String },
    #[error("Cannot parse '{input}' as a date and time: {reason}")]
    InvalidDatetime { input: String, reason: String },
    #[error("'{zone}' is not an IANA time zone (for example UTC, Europe/Berlin, Asia/Shanghai)")]
    UnknownZone { zone: String },
    #[error("Cannot parse '{input}' as a duration: {reason}")]
    InvalidDuration { input: String, reason: String },
    #[error("CSV line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error("The CSV file is empty: it needs a line topic,partition,offset (or group,topic,partition,offset) per partition")]
    EmptyCsv,
    #[error("No reset plan for group {group} found.")]
    NoPlanForGroup { group: String },
    #[error("Source group '{group}' has no committed offset for {partition}")]
    SourceHasNoOffset { group: String, partition: String },
    #[error("Copying offsets from group '{group}' to itself changes nothing")]
    CopyFromItself { group: String },
    /// Names the plan's own group, never the execution's: that one may be another team's.
    #[error("Execution {execution} did not reset group '{group}'; undo applies to an execution's own group only")]
    RestoreOtherGroup { execution: i64, group: String },
    #[error("The snapshot lacks {what}; preview again")]
    IncompleteSnapshot { what: String },
}

impl PlanError {
    /// 400: the spec is the caller's to fix; 502 where Kafka's state (no leader, a snapshot Kafka
    /// could not complete) is what stands in the way.
    pub fn status(&self) -> u16 {
        match self {
            Self::PartitionsWithoutLeader { .. } | Self::IncompleteSnapshot { .. } => 502,
            _ => 400,
        }
    }
}
