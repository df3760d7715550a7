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
    let mut visible: Vec<(&str, GroupState, &'a T)> = listing
        .iter()
        .map(|g| {
            let (id, state) = id_state(g);
            (id, state, g)
        })
        .filter(|(id, _, _)| query.visible(id))
        .collect();
    visible.sort_by(|a, b| a.0.cmp(b.0));
    let mut counts: BTreeMap<GroupState, u32> = BTreeMap::new();
    for g in &visible {
        *counts.entry(g.1).or_default() += 1;
    }
    let mut matching: Vec<&(&str, GroupState, &'a T)> =
        visible.iter().filter(|g| query.matches(g.0, g.1)).collect();
    if let Some(lags) = lags {
        matching.sort_by(|a, b| {
            let (la, lb) = (lags.get(a.0), lags.get(b.0));
            lb.cmp(&la).then_with(|| a.0.cmp(b.0))
        });
    }
    let size = query.effective_page_size();
    let start = (query.page as usize).saturating_mul(size as usize);
    PageCut {
        total: count(visible.len()),
        matched: count(matching.len()),
        state_counts: counts.into_iter().collect(),
        page_size: size,
        page: matching
            .iter()
            .skip(start)
            .take(size as usize)
            .map(|g| g.2)
            .collect(),
    }
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
    let blank = |topic: &str, partition: i32| PartitionPosition {
        topic: topic.to_owned(),
        partition,
        committed: None,
        metadata: None,
        log_start: None,
        log_end: None,
        member: None,
        committed_timestamp: None,
    };
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
    for (key, offset) in offsets {
        if let Some(row) = rows.get_mut(&key) {
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
mod tests {
    use super::*;

    fn listing(groups: &[(&str, GroupState)]) -> Vec<(String, GroupState)> {
        groups.iter().map(|(g, s)| (g.to_string(), *s)).collect()
    }

    fn ids<T: AsRef<str>>(page: &[&(T, GroupState)]) -> Vec<String> {
        page.iter().map(|g| g.0.as_ref().to_owned()).collect()
    }

    fn id_state(g: &(String, GroupState)) -> (&str, GroupState) {
        (g.0.as_str(), g.1)
    }

    #[test]
    fn pages_are_cut_in_id_order_with_counts_over_what_the_caller_sees() {
        let all = listing(&[
            ("team-b", GroupState::Stable),
            ("team-a", GroupState::Empty),
            ("other-x", GroupState::Empty),
            ("team-c", GroupState::Empty),
        ]);
        let query = GroupQuery {
            state: Some(GroupState::Empty),
            page_size: 1,
            page: 1,
            visible: Some(vec!["team-*".into()]),
            ..GroupQuery::default()
        };
        let cut = cut_page(&all, id_state, &query, None);
        assert_eq!(cut.total, 3, "other-x is not visible");
        assert_eq!(cut.matched, 2);
        assert_eq!(
            cut.state_counts,
            vec![(GroupState::Stable, 1), (GroupState::Empty, 2)]
                .into_iter()
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(ids(&cut.page), vec!["team-c"]);
        // A page past the end is empty, not an error.
        let past = GroupQuery { page: 9, ..query };
        assert!(cut_page(&all, id_state, &past, None).page.is_empty());
    }

    #[test]
    fn search_is_case_insensitive_and_page_size_is_bounded() {
        let all = listing(&[
            ("Orders-EU", GroupState::Empty),
            ("payments", GroupState::Empty),
        ]);
        let query = GroupQuery {
            search: "orders".into(),
            page_size: 100_000,
            ..GroupQuery::default()
        };
        let cut = cut_page(&all, id_state, &query, None);
        assert_eq!(ids(&cut.page), vec!["Orders-EU"]);
        assert_eq!(cut.page_size, GroupQuery::MAX_PAGE_SIZE);
    }

    #[test]
    fn sorting_by_lag_puts_the_highest_first_and_unknown_groups_last_by_id() {
        let all = listing(&[
            ("a", GroupState::Empty),
            ("b", GroupState::Empty),
            ("c", GroupState::Empty),
            ("d", GroupState::Empty),
        ]);
        let lags: HashMap<String, i64> = [("b".to_string(), 5), ("d".to_string(), 50)].into();
        let cut = cut_page(&all, id_state, &GroupQuery::default(), Some(&lags));
        assert_eq!(ids(&cut.page), vec!["d", "b", "a", "c"]);
    }

    fn member(assignment: &[(&str, i32)]) -> GroupMember {
        GroupMember {
            member_id: "m".into(),
            client_id: "c".into(),
            host: "/127.0.0.1".into(),
            group_instance_id: None,
            assignment: assignment
                .iter()
                .map(|(t, p)| (t.to_string(), *p))
                .collect(),
        }
    }

    fn committed(topic: &str, partition: i32, offset: Option<i64>, metadata: &str) -> Committed {
        Committed {
            topic: topic.into(),
            partition,
            offset,
            metadata: Some(metadata.into()),
        }
    }

    #[test]
    fn rows_merge_assignments_and_commits_then_log_bounds() {
        let members = [member(&[("t", 1)]), member(&[("t", 0)])];
        let mut rows = partition_rows(
            &members,
            [
                committed("t", 0, Some(7), ""),
                committed("u", 0, Some(3), "rewind:1:x"),
            ],
        );
        let keys: Vec<_> = rows.keys().cloned().collect();
        assert_eq!(
            keys,
            vec![("t".into(), 0), ("t".into(), 1), ("u".into(), 0)]
        );
        let t0 = &rows[&("t".to_string(), 0)];
        assert_eq!(
            (t0.member, t0.committed, t0.metadata.clone()),
            (Some(1), Some(7), None)
        );
        assert_eq!(
            rows[&("t".to_string(), 1)].committed,
            None,
            "assigned, never committed"
        );
        assert_eq!(
            rows[&("u".to_string(), 0)].metadata.as_deref(),
            Some("rewind:1:x")
        );

        set_log_bound(
            &mut rows,
            LogBound::Start,
            [(("t".into(), 0), Some(0)), (("x".into(), 0), Some(9))],
        );
        set_log_bound(
            &mut rows,
            LogBound::End,
            [(("t".into(), 0), Some(10)), (("u".into(), 0), Some(3))],
        );
        assert_eq!(
            rows.len(),
            3,
            "a bound for a partition without a row adds none"
        );
        assert_eq!(rows[&("t".to_string(), 0)].lag(), Some(3));
        // Only t-0 has a record to read at its committed offset: u-0 is at its end and has no start.
        assert_eq!(
            lag_time_targets(rows.values()),
            vec![("t".to_string(), 0, 7)]
        );
    }

    #[test]
    fn a_dead_group_without_commits_does_not_exist() {
        assert!(!exists(GroupState::Dead, false));
        assert!(exists(GroupState::Dead, true));
        assert!(exists(GroupState::Empty, false));
    }

    #[test]
    fn lag_sums_known_ends_only() {
        let ends: HashMap<(String, i32), i64> =
            [(("t".to_string(), 0), 10), (("t".to_string(), 1), 4)].into();
        let lag = group_lag(
            "g".into(),
            &[
                committed("t", 0, Some(7), ""),
                committed("t", 1, None, ""),
                committed("u", 0, Some(1), ""),
            ],
            &ends,
        );
        assert_eq!(lag.lag, Some(3));
        assert_eq!(lag.topics, vec!["t", "u"]);
        assert_eq!(lag.committed_partitions, 2);
    }

    #[test]
    fn record_times_fill_rows_whose_committed_offset_they_were_read_at() {
        let members: [GroupMember; 0] = [];
        let rows = partition_rows(
            &members,
            [
                committed("t", 0, Some(7), ""),
                committed("t", 1, Some(3), ""),
            ],
        );
        let detail = GroupDetail {
            cluster: "c".into(),
            group_id: "g".into(),
            state: GroupState::Empty,
            group_type: super::super::GroupType::Classic,
            simple: true,
            assignor: String::new(),
            coordinator: None,
            members: Vec::new(),
            partitions: rows.into_values().collect(),
            read_at: 10_000,
        };
        let time = |partition: i32, offset: i64, timestamp: i64| RecordTime {
            topic: "t".into(),
            partition,
            offset,
            timestamp,
        };
        // t-1 was committed again since its record was read: its time is not this row's.
        let d = detail.with_record_times(&[time(0, 7, 4_000), time(1, 2, 1_000)]);
        assert_eq!(d.partitions[0].committed_timestamp, Some(4_000));
        assert_eq!(d.partitions[1].committed_timestamp, None);
    }
}
