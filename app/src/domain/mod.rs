//! Wire and domain types shared by server and browser; no I/O lives here.

use serde::{Deserialize, Serialize};

pub mod access;
pub mod audit;
pub mod builder;
pub mod execution;
pub mod groups;
pub mod lag_history;
pub mod offsets_csv;
pub mod planner;
pub mod reset;
pub mod strategy;
pub mod timespec;
pub mod users;
pub mod zone;

/// A configured cluster as the browser may see it: never credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSummary {
    pub name: String,
    pub bootstrap_servers: String,
    /// `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`; shown so an operator knows how we connect.
    pub security_protocol: String,
}

/// Consumer-group state as Kafka reports it (classic and KIP-848 groups share these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GroupState {
    Stable,
    PreparingRebalance,
    CompletingRebalance,
    Assigning,
    Reconciling,
    Empty,
    Dead,
    Unknown,
}

impl GroupState {
    /// Parses the state string of ListGroups / DescribeGroups; anything unexpected is `Unknown`
    /// rather than an error, because new broker versions add states.
    /// Case is ignored without a lowercased copy: the groups list parses every group's state.
    pub fn parse(s: &str) -> Self {
        const NAMES: [(&str, GroupState); 8] = [
            ("stable", GroupState::Stable),
            ("empty", GroupState::Empty),
            ("preparingrebalance", GroupState::PreparingRebalance),
            ("completingrebalance", GroupState::CompletingRebalance),
            ("awaitingsync", GroupState::CompletingRebalance),
            ("assigning", GroupState::Assigning),
            ("reconciling", GroupState::Reconciling),
            ("dead", GroupState::Dead),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map_or(Self::Unknown, |(_, state)| *state)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "Stable",
            Self::PreparingRebalance => "PreparingRebalance",
            Self::CompletingRebalance => "CompletingRebalance",
            Self::Assigning => "Assigning",
            Self::Reconciling => "Reconciling",
            Self::Empty => "Empty",
            Self::Dead => "Dead",
            Self::Unknown => "Unknown",
        }
    }

    /// Offsets may be reset only when no member can overwrite them (reset-semantics.md).
    pub fn is_inactive(self) -> bool {
        matches!(self, Self::Empty | Self::Dead)
    }
}

impl std::fmt::Display for GroupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rebalance protocol a group uses: the classic one, or KIP-848's `consumer` protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupType {
    Classic,
    Consumer,
    Unknown,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Classic => "Classic",
            Self::Consumer => "Consumer",
            Self::Unknown => "Unknown",
        }
    }
}

/// One consumer group as the groups list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub group_id: String,
    pub state: GroupState,
    pub group_type: GroupType,
    /// Only ever committed offsets: no member has joined with a rebalance protocol.
    pub simple: bool,
    /// None when the group could not be described (the list still shows it).
    pub members: Option<u32>,
    /// Broker id of the group coordinator, when described.
    pub coordinator: Option<i32>,
}

/// The order of the groups list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum GroupSort {
    /// By group id: needs nothing but the group listing.
    #[default]
    Name,
    /// Highest total lag first, from the cluster's lag index (built in the background; see `LagIndexInfo`).
    Lag,
    /// Lag growing fastest first: lag growth over the status window of the lag samples.
    Growth,
}

impl GroupSort {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Lag => "Lag",
            Self::Growth => "Growth",
        }
    }
}

/// The state of a cluster's lag index, which sorting by lag needs: the lag of every group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagIndexInfo {
    /// When the index in use was read (ms since the epoch); None before the first one is complete.
    pub as_of: Option<i64>,
    /// (groups done, groups in all) while a new index is being built; (0, 0) when the caller may
    /// not know how many groups the cluster has.
    pub building: Option<(u32, u32)>,
}

impl LagIndexInfo {
    /// As a caller sees it: the progress counts every group of the cluster, so only someone who may
    /// see every group learns them.
    pub fn for_caller(mut self, sees_every_group: bool) -> Self {
        if !sees_every_group {
            self.building = self.building.map(|_| (0, 0));
        }
        self
    }
}

/// What the groups list asks for: server-side search, state filter, order and paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GroupQuery {
    /// Case-insensitive substring of the group id; empty matches all.
    pub search: String,
    pub state: Option<GroupState>,
    pub sort: GroupSort,
    /// Zero-based.
    pub page: u32,
    pub page_size: u32,
    /// Group-id globs the caller may see (`None`: all). Set by the server from the caller's grants,
    /// never taken from the request.
    #[serde(skip)]
    pub visible: Option<Vec<String>>,
    /// Only these groups match (a lag status filter), set by the server from the lag samples.
    #[serde(skip)]
    pub only: Option<std::collections::HashSet<String>>,
    /// The order for `GroupSort::Growth` (highest first), set by the server from the lag samples.
    #[serde(skip)]
    pub order: Option<std::collections::HashMap<String, i64>>,
}

impl GroupQuery {
    pub const DEFAULT_PAGE_SIZE: u32 = 50;
    pub const MAX_PAGE_SIZE: u32 = 500;

    pub fn effective_page_size(&self) -> u32 {
        match self.page_size {
            0 => Self::DEFAULT_PAGE_SIZE,
            n => n.min(Self::MAX_PAGE_SIZE),
        }
    }

    /// Whether the caller may see `group_id` at all.
    pub fn visible(&self, group_id: &str) -> bool {
        self.visible.as_ref().is_none_or(|globs| {
            globs
                .iter()
                .any(|g| crate::domain::access::glob_match(g, group_id))
        })
    }

    pub fn matches(&self, group_id: &str, state: GroupState) -> bool {
        if self.state.is_some_and(|s| s != state) {
            return false;
        }
        if self
            .only
            .as_ref()
            .is_some_and(|only| !only.contains(group_id))
        {
            return false;
        }
        self.search.is_empty() || contains_ignoring_case(group_id, &self.search)
    }
}

/// Whether `haystack` contains `needle`, case aside. Runs once per group of the cluster on every
/// search keystroke, so ASCII text (nearly every group id) is compared in place, without the two
/// lowercased copies per group the general case needs.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle.is_ascii() {
        let needle = needle.as_bytes();
        return haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle));
    }
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// One page of a cluster's consumer groups, sorted by group id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPage {
    pub cluster: String,
    /// Every consumer group of the cluster.
    pub total: u32,
    /// Groups matching the query, over all pages.
    pub matched: u32,
    /// Per state, over every group of the cluster (not just the query).
    pub state_counts: Vec<(GroupState, u32)>,
    pub page: u32,
    pub page_size: u32,
    pub groups: Vec<GroupSummary>,
    /// Brokers that did not answer: the list may be incomplete.
    pub warnings: Vec<String>,
    /// With `GroupSort::Lag`: the index the order comes from. Until one exists the page is in id order.
    pub lag_index: Option<LagIndexInfo>,
}

/// A group's lag as the groups list shows it: computed for the visible page after it renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLag {
    pub group_id: String,
    /// Topics the group has committed offsets for, sorted.
    pub topics: Vec<String>,
    pub committed_partitions: u32,
    /// Sum over committed partitions whose log end is known; None when the offsets could not be read.
    pub lag: Option<i64>,
}

/// A broker as a group's coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerNode {
    pub id: i32,
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub group_instance_id: Option<String>,
    pub assignment: Vec<(String, i32)>,
}

/// Where one partition of a group stands.
// A field that is None is left out of the JSON: a wide group's rows are mostly nulls otherwise (1.44 MB of
// JSON for 10,000 partitions instead of 0.87 MB, and brotli's time with it). Reading it back, serde takes
// a missing Option as None.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionPosition {
    pub topic: String,
    pub partition: i32,
    /// None: the group never committed this partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<i64>,
    /// The commit's metadata string (Rewind writes its plan id here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// Log start offset (ListOffsets EARLIEST); None when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_start: Option<i64>,
    /// Log end offset: the high watermark (ListOffsets LATEST, read uncommitted); None when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_end: Option<i64>,
    /// Index into `GroupDetail::members` of the member this partition is assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<usize>,
    /// Timestamp (ms) of the record at the committed offset, when one was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_timestamp: Option<i64>,
}

impl PartitionPosition {
    /// Records behind the log end, as Kafka's tool computes LAG: only when both ends are known; may be
    /// negative (a commit past the end after records were deleted), never clamped.
    pub fn lag(&self) -> Option<i64> {
        Some(self.log_end? - self.committed?)
    }

    /// How far behind in time: the age, at `read_at`, of the record the group will read next.
    /// Zero when caught up; unknown when that record was not read.
    pub fn time_lag_ms(&self, read_at: i64) -> Option<i64> {
        match self.lag()? {
            l if l <= 0 => Some(0),
            _ => self.committed_timestamp.map(|ts| (read_at - ts).max(0)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub cluster: String,
    pub group_id: String,
    pub state: GroupState,
    pub group_type: GroupType,
    pub simple: bool,
    pub assignor: String,
    pub coordinator: Option<BrokerNode>,
    pub members: Vec<GroupMember>,
    /// Assigned partitions and committed partitions, sorted by topic then partition.
    pub partitions: Vec<PartitionPosition>,
    /// When the snapshot was read (ms since the epoch), for lag in time.
    pub read_at: i64,
}

/// Totals of one topic of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicTotals {
    pub topic: String,
    pub partitions: u32,
    pub committed_partitions: u32,
    /// Sum of the known lags.
    pub lag: i64,
    /// Partitions whose lag is unknown (no commit or no log end).
    pub unknown_lag: u32,
    /// The largest known lag in time of the topic's partitions.
    pub max_time_lag_ms: Option<i64>,
}

impl GroupDetail {
    pub fn topic_totals(&self) -> Vec<TopicTotals> {
        let mut out: Vec<TopicTotals> = Vec::new();
        for p in &self.partitions {
            if out.last().map(|t| t.topic != p.topic).unwrap_or(true) {
                out.push(TopicTotals {
                    topic: p.topic.clone(),
                    partitions: 0,
                    committed_partitions: 0,
                    lag: 0,
                    unknown_lag: 0,
                    max_time_lag_ms: None,
                });
            }
            if let Some(t) = out.last_mut() {
                t.partitions += 1;
                if let Some(ms) = p.time_lag_ms(self.read_at) {
                    t.max_time_lag_ms = Some(t.max_time_lag_ms.map_or(ms, |m| m.max(ms)));
                }
                t.committed_partitions += u32::from(p.committed.is_some());
                match p.lag() {
                    Some(l) => t.lag += l,
                    None => t.unknown_lag += 1,
                }
            }
        }
        out
    }

    pub fn total_lag(&self) -> i64 {
        self.partitions
            .iter()
            .filter_map(PartitionPosition::lag)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_index_progress_is_hidden_from_callers_who_see_some_groups() {
        let info = LagIndexInfo {
            as_of: None,
            building: Some((1200, 50_000)),
        };
        assert_eq!(info.clone().for_caller(true).building, Some((1200, 50_000)));
        assert_eq!(info.for_caller(false).building, Some((0, 0)));
    }

    #[test]
    fn parses_broker_state_names_case_insensitively() {
        assert_eq!(GroupState::parse("Stable"), GroupState::Stable);
        assert_eq!(GroupState::parse("EMPTY"), GroupState::Empty);
        assert_eq!(
            GroupState::parse("PreparingRebalance"),
            GroupState::PreparingRebalance
        );
        assert_eq!(
            GroupState::parse("CompletingRebalance"),
            GroupState::CompletingRebalance
        );
        assert_eq!(GroupState::parse("Dead"), GroupState::Dead);
        assert_eq!(GroupState::parse("SomethingNew"), GroupState::Unknown);
    }

    fn pos(
        topic: &str,
        partition: i32,
        committed: Option<i64>,
        log_end: Option<i64>,
    ) -> PartitionPosition {
        PartitionPosition {
            topic: topic.into(),
            partition,
            committed,
            metadata: None,
            log_start: Some(0),
            log_end,
            member: None,
            committed_timestamp: None,
        }
    }

    #[test]
    fn lag_needs_both_ends_and_is_never_clamped() {
        assert_eq!(pos("t", 0, Some(40), Some(100)).lag(), Some(60));
        assert_eq!(pos("t", 0, None, Some(100)).lag(), None);
        assert_eq!(pos("t", 0, Some(40), None).lag(), None);
        assert_eq!(pos("t", 0, Some(120), Some(100)).lag(), Some(-20));
    }

    #[test]
    fn time_lag_is_the_age_of_the_next_record() {
        let mut p = pos("t", 0, Some(40), Some(100));
        assert_eq!(p.time_lag_ms(10_000), None, "record not read");
        p.committed_timestamp = Some(4_000);
        assert_eq!(p.time_lag_ms(10_000), Some(6_000));
        let caught_up = pos("t", 0, Some(100), Some(100));
        assert_eq!(caught_up.time_lag_ms(10_000), Some(0));
        assert_eq!(pos("t", 0, None, Some(100)).time_lag_ms(10_000), None);
    }

    #[test]
    fn topic_totals_group_consecutive_partitions() {
        let d = GroupDetail {
            cluster: "c".into(),
            group_id: "g".into(),
            state: GroupState::Empty,
            group_type: GroupType::Classic,
            simple: true,
            assignor: String::new(),
            coordinator: None,
            members: vec![],
            partitions: vec![
                pos("a", 0, Some(1), Some(10)),
                pos("a", 1, None, Some(10)),
                pos("b", 0, Some(5), Some(5)),
            ],
            read_at: 0,
        };
        let t = d.topic_totals();
        assert_eq!(t.len(), 2);
        assert_eq!(
            (
                t[0].partitions,
                t[0].committed_partitions,
                t[0].lag,
                t[0].unknown_lag
            ),
            (2, 1, 9, 1)
        );
        assert_eq!((t[1].partitions, t[1].lag), (1, 0));
        assert_eq!(d.total_lag(), 9);
    }

    #[test]
    fn query_filters_by_state_and_case_insensitive_substring() {
        let q = GroupQuery {
            search: "PAY".into(),
            state: Some(GroupState::Stable),
            ..GroupQuery::default()
        };
        assert!(q.matches("payments-processor", GroupState::Stable));
        assert!(!q.matches("payments-processor", GroupState::Empty));
        assert!(!q.matches("billing", GroupState::Stable));
        assert_eq!(q.effective_page_size(), GroupQuery::DEFAULT_PAGE_SIZE);
        let big = GroupQuery {
            page_size: 100_000,
            ..GroupQuery::default()
        };
        assert_eq!(big.effective_page_size(), GroupQuery::MAX_PAGE_SIZE);
    }

    #[test]
    fn only_empty_and_dead_are_inactive() {
        for s in [
            GroupState::Stable,
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Assigning,
            GroupState::Reconciling,
            GroupState::Unknown,
        ] {
            assert!(!s.is_inactive(), "{s} must count as active");
        }
        assert!(GroupState::Empty.is_inactive());
        assert!(GroupState::Dead.is_inactive());
    }
}
