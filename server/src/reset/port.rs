//! The Kafka operations resets need, as a trait the gateway implements (batched requests only).

use std::collections::HashMap;

use app::api::ports::BoxFuture;
use app::domain::reset::{GroupSnapshot, LandingRecord, PartitionSnapshot, TimeFound};
use app::error::AppResult;

/// A partition Kafka refused in a commit or delete, with the protocol error name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionError {
    pub topic: String,
    pub partition: i32,
    pub code: String,
}

/// One offset commit of a group as Kafka logged it in `__consumer_offsets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenCommit {
    pub topic: String,
    pub partition: i32,
    /// None: the offset was deleted.
    pub offset: Option<i64>,
    /// When the coordinator wrote it (ms since the epoch).
    pub at_ms: i64,
}

/// A group's recent commits; `complete` is false when the read ran out of time before the end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecentCommits {
    pub commits: Vec<SeenCommit>,
    /// The newest record the group protocol wrote for the group in the window (a member joined,
    /// left, or was assigned): commits before it came from members.
    pub membership_at_ms: Option<i64>,
    pub complete: bool,
}

pub trait OffsetsGateway: Send + Sync + 'static {
    /// The cluster's bootstrap servers, for the equivalent CLI command.
    fn bootstrap(&self, cluster: &str) -> AppResult<String>;
    /// State, members and committed offsets (sorted by topic then partition, as the planner needs) of
    /// each group: describes batched, offset fetches pipelined.
    fn group_snapshots<'a>(
        &'a self,
        cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<GroupSnapshot>>>;
    /// Every partition of `topics` with leader, log start and log end (one metadata request, then one
    /// ListOffsets per leader and spec), sorted; and the topics that do not exist.
    fn partition_snapshots<'a>(
        &'a self,
        cluster: &'a str,
        topics: Vec<String>,
    ) -> BoxFuture<'a, AppResult<(Vec<PartitionSnapshot>, Vec<String>)>>;
    /// ListOffsets by timestamp for all `partitions` at once, sorted.
    fn offsets_for_time<'a>(
        &'a self,
        cluster: &'a str,
        partitions: Vec<(String, i32)>,
        at_ms: i64,
    ) -> BoxFuture<'a, AppResult<Vec<TimeFound>>>;
    /// Commits `offsets` for `group` in one AlterConsumerGroupOffsets with `metadata` on each partition.
    /// Ok holds the partitions Kafka refused (empty: all committed).
    fn commit_offsets<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
        offsets: Vec<(String, i32, i64)>,
        metadata: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<PartitionError>>>;
    /// Deletes `group`'s committed offsets for `partitions` in one OffsetDelete.
    fn delete_offsets<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
        partitions: Vec<(String, i32)>,
    ) -> BoxFuture<'a, AppResult<Vec<PartitionError>>>;
    /// `group`'s offset commits logged at or after `since_ms` (its `__consumer_offsets` partition,
    /// read for at most a couple of seconds).
    fn recent_commits<'a>(
        &'a self,
        cluster: &'a str,
        group: &'a str,
        since_ms: i64,
    ) -> BoxFuture<'a, AppResult<RecentCommits>>;
    /// Timestamps of the records at the given offsets, best effort within a short budget.
    fn record_timestamps<'a>(
        &'a self,
        cluster: &'a str,
        wanted: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'a, HashMap<(String, i32), i64>>;
    /// The first record at or after each given offset, with key and value previews, within a short budget.
    fn landing_records<'a>(
        &'a self,
        cluster: &'a str,
        wanted: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'a, AppResult<Vec<LandingRecord>>>;
}
