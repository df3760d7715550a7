//! The groups list and a group's page as pure rules: filter, count, order and page a listing; merge a
//! group's members, commits and log bounds into partition rows; total a group's lag.
//!
//! Kept apart from the gateway so the rules are unit-tested without a broker; the gateway only reads.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{GroupDetail, GroupLag, GroupMember, GroupQuery, GroupState, PartitionPosition};

/// One page of a cluster's listing, cut as the query asks.
#[derive(Debug, PartialEq, Eq)]
pub struct PageCut<'a, T> {
    /// Groups the caller may see.
    pub total: u32,
    /// Of those, the ones matching the search and state filter.
    pub matched: u32,
    /// Per state, over every group the caller may see.
    pub state_counts: Vec<(GroupState, u32)>,
    pub page_size: u32,
    /// The page's groups, in the query's order.
    pub page: Vec<&'a T>,
}

/// Filters `listing` to what the caller may see and what the query matches, orders it (by id, or by
/// `lags` highest first with groups it does not know last, by id) and cuts out the query's page.
/// `id_state` reads a listed group's id and state.
pub fn cut_page<'a, T>(
    listing: &'a [T],
    id_state: impl Fn(&T) -> (&str, GroupState),
    query: &GroupQuery,
    lags: Option<&HashMap<String, i64>>,
) -> PageCut<'a, T> {
    let visible: Vec<(&str, GroupState, &'a T)> = listing
        .iter()
        .map(|g| {
            let (id, state) = id_state(g);
            (id, state, g)
        })
        .filter(|(id, _, _)| query.visible(id))
        .collect();
    let mut counts: BTreeMap<GroupState, u32> = BTreeMap::new();
    for g in &visible {
        *counts.entry(g.1).or_default() += 1;
    }
    let mut matching: Vec<&(&str, GroupState, &'a T)> =
        visible.iter().filter(|g| query.matches(g.0, g.1)).collect();
    let size = query.effective_page_size();
    let start = (query.page as usize).saturating_mul(size as usize);
    let page: Vec<&'a T> = sorted_window(&mut matching, start, size as usize, |a, b| match lags {
        Some(lags) => {
            let (la, lb) = (lags.get(a.0), lags.get(b.0));
            lb.cmp(&la).then_with(|| a.0.cmp(b.0))
        }
        None => a.0.cmp(b.0),
    })
    .iter()
    .map(|g| g.2)
    .collect();
    PageCut {
        total: count(visible.len()),
        matched: count(matching.len()),
        state_counts: counts.into_iter().collect(),
        page_size: size,
        page,
    }
}

/// The items sorting `items` by `order` would put at `start..start + size`, in that order. Only those
/// are sorted, after a selection moves them to the front: a page of 50 of 50,000 groups costs a
/// linear pass per request instead of sorting 50,000 ids.
fn sorted_window<T>(
    items: &mut [T],
    start: usize,
    size: usize,
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> &[T] {
    let end = start.saturating_add(size).min(items.len());
    if start >= end {
        return &[];
    }
    if end < items.len() {
        items.select_nth_unstable_by(end, &order);
    }
    items[..end].sort_unstable_by(&order);
    &items[start..end]
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A group's committed offset on one partition, as Kafka's OffsetFetch gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub topic: String,
    pub partition: i32,
    /// None: no offset committed there.
    pub offset: Option<i64>,
    pub metadata: Option<String>,
}

/// Whether a described group exists: the broker describes a group it does not know as Dead, and one
/// with no offsets either is not there at all.
pub fn exists(state: GroupState, has_commits: bool) -> bool {
    state != GroupState::Dead || has_commits
}

/// A group page's rows, one per partition assigned to a member or committed by the group, sorted by
/// topic then partition; log bounds and record timestamps are filled in later.
pub fn partition_rows(
    members: &[GroupMember],
    committed: impl IntoIterator<Item = Committed>,
) -> BTreeMap<(String, i32), PartitionPosition> {
    let mut rows: BTreeMap<(String, i32), PartitionPosition> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        for (t, p) in &m.assignment {
            rows.entry((t.clone(), *p))
                .or_insert_with(|| blank(t, *p))
                .member = Some(i);
        }
    }
    for c in committed {
        let row = rows
            .entry((c.topic.clone(), c.partition))
            .or_insert_with(|| blank(&c.topic, c.partition));
        row.committed = c.offset;
        row.metadata = c.metadata.filter(|m| !m.is_empty());
    }
    rows
}

/// A partition's row before anything is known about it.
fn blank(topic: &str, partition: i32) -> PartitionPosition {
    PartitionPosition {
        topic: topic.to_owned(),
        partition,
        committed: None,
        metadata: None,
        log_start: None,
        log_end: None,
        member: None,
        committed_timestamp: None,
    }
}

/// Adds a row for each partition the group never committed on, on the topics it has committed on
/// (`partitions_of` gives a topic's partition count): an operator resetting a partly committed group
/// must see them. Kafka's tool prints none of them.
pub fn add_uncommitted(
    rows: &mut BTreeMap<(String, i32), PartitionPosition>,
    partitions_of: impl Fn(&str) -> Option<i32>,
) {
    let topics: Vec<String> = {
        let mut t: Vec<String> = rows
            .values()
            .filter(|r| r.committed.is_some())
            .map(|r| r.topic.clone())
            .collect();
        t.dedup();
        t
    };
    for topic in topics {
        let count = partitions_of(&topic).unwrap_or(0);
        // The rows already there, from one range read: looking each partition up cost a key (a topic
        // copy) and a search per partition, 10,000 of each for a wide group committed everywhere.
        let present: std::collections::HashSet<i32> = rows
            .range((topic.clone(), 0)..=(topic.clone(), i32::MAX))
            .map(|((_, p), _)| *p)
            .collect();
        for partition in (0..count).filter(|p| !present.contains(p)) {
            rows.insert((topic.clone(), partition), blank(&topic, partition));
        }
    }
}

/// Which end of the log a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogBound {
    Start,
    End,
}

/// Sets one log bound on the rows it names; bounds for partitions without a row are ignored.
pub fn set_log_bound(
    rows: &mut BTreeMap<(String, i32), PartitionPosition>,
    bound: LogBound,
    offsets: impl IntoIterator<Item = ((String, i32), Option<i64>)>,
) {
    // A merge of two sorted lists rather than a search per offset: the offsets come back in the order
    // they were asked in, the rows' order, so the sort only checks that.
    let mut offsets: Vec<_> = offsets.into_iter().collect();
    offsets.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut offsets = offsets.into_iter().peekable();
    for (key, row) in rows.iter_mut() {
        while offsets.next_if(|(k, _)| k < key).is_some() {}
        if let Some((_, offset)) = offsets.next_if(|(k, _)| k == key) {
            match bound {
                LogBound::Start => row.log_start = offset,
                LogBound::End => row.log_end = offset,
            }
        }
    }
}

/// The records lag in time needs: the one at each committed offset that still has one to read
/// (inside the log, not at its end).
pub fn lag_time_targets<'a>(
    rows: impl IntoIterator<Item = &'a PartitionPosition>,
) -> Vec<(String, i32, i64)> {
    rows.into_iter()
        .filter_map(|p| {
            let c = p.committed?;
            (c < p.log_end? && c >= p.log_start?).then(|| (p.topic.clone(), p.partition, c))
        })
        .collect()
}

/// How far behind each group of a list page is in time: when the oldest record it has not read yet was
/// written (None: nothing unread, or no record could be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLagTime {
    pub group_id: String,
    pub oldest_unread_ms: Option<i64>,
    /// Some partitions with unread records could not be read in time: `oldest_unread_ms` (if any) is
    /// the oldest of those read, so the group is at least that far behind.
    #[serde(default)]
    pub partial: bool,
}

/// Record reads for many groups at once, in rounds: a reader reads one offset per partition, so where
/// groups committed different offsets on the same partition each offset gets a round of its own.
pub fn read_rounds(wanted: &[(String, i32, i64)]) -> Vec<Vec<(String, i32, i64)>> {
    let mut offsets: BTreeMap<(&str, i32), Vec<i64>> = BTreeMap::new();
    for (t, p, o) in wanted {
        let list = offsets.entry((t.as_str(), *p)).or_default();
        if !list.contains(o) {
            list.push(*o);
        }
    }
    let rounds = offsets.values().map(Vec::len).max().unwrap_or(0);
    (0..rounds)
        .map(|r| {
            offsets
                .iter()
                .filter_map(|((t, p), list)| list.get(r).map(|o| (t.to_string(), *p, *o)))
                .collect()
        })
        .collect()
}

/// A group's lag as the list shows it: summed over committed partitions whose log end is known
/// (`ends`), with the topics it committed on, sorted.
pub fn group_lag(
    group_id: String,
    committed: &[Committed],
    ends: &HashMap<(String, i32), i64>,
) -> GroupLag {
    let mut topics: Vec<String> = committed.iter().map(|c| c.topic.clone()).collect();
    topics.sort();
    topics.dedup();
    let lag = committed
        .iter()
        .filter_map(|c| Some(ends.get(&(c.topic.clone(), c.partition))? - c.offset?))
        .sum();
    GroupLag {
        group_id,
        topics,
        committed_partitions: count(committed.iter().filter(|c| c.offset.is_some()).count()),
        lag: Some(lag),
    }
}

/// When the record at a partition's committed offset was written: what lag in time is computed from.
/// Read after the group's offsets (it costs a record read per partition), so a page shows its offsets
/// at once and its lag in time a moment later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordTime {
    pub topic: String,
    pub partition: i32,
    /// The committed offset the record was read at.
    pub offset: i64,
    pub timestamp: i64,
}

impl GroupDetail {
    /// The detail with each row's `committed_timestamp` filled in from `times`, where the time was read
    /// at the row's committed offset (a commit since then makes it someone else's record).
    pub fn with_record_times(mut self, times: &[RecordTime]) -> Self {
        let by_partition: HashMap<(&str, i32), &RecordTime> = times
            .iter()
            .map(|t| ((t.topic.as_str(), t.partition), t))
            .collect();
        for row in &mut self.partitions {
            if let Some(t) = by_partition.get(&(row.topic.as_str(), row.partition)) {
                if row.committed == Some(t.offset) {
                    row.committed_timestamp = Some(t.timestamp);
                }
            }
        }
        self
    }
}

#[cfg(test)]
#[path = "groups_tests.rs"]
mod tests;
