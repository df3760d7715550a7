//! An in-memory `OffsetsGateway` for unit tests of the execute protocol: groups, committed offsets
//! and logs held in a map, with knobs for what a broker does to an execution (refuse partitions, fail
//! a call after it landed, change the group between two reads). The real-broker tests stay the truth
//! about Kafka; this one lets every branch of our own protocol run in milliseconds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use app::api::ports::BoxFuture;
use app::domain::reset::{
    CommittedOffset, GroupSnapshot, LandingRecord, MemberRef, PartitionSnapshot, TimeFound,
};
use app::domain::{GroupState, GroupType};
use app::error::{AppError, AppResult};

use super::port::{OffsetsGateway, PartitionError, RecentCommits};

/// One group as the fake broker holds it.
#[derive(Debug, Clone, Default)]
pub struct FakeGroup {
    pub members: Vec<MemberRef>,
    /// (topic, partition) to (offset, metadata).
    pub committed: BTreeMap<(String, i32), (i64, String)>,
}

/// Everything the fake broker knows; tests read and change it between calls.
#[derive(Default)]
pub struct FakeState {
    pub groups: BTreeMap<String, FakeGroup>,
    /// (topic, partition) to (log start, log end).
    pub logs: BTreeMap<(String, i32), (i64, i64)>,
    /// Partitions the next commits refuse, with the protocol error.
    pub refuse_commit: Vec<((String, i32), String)>,
    /// Partitions the next deletes refuse, with the protocol error.
    pub refuse_delete: Vec<((String, i32), String)>,
    /// The commit call fails with this (after it landed, when `commit_lands_anyway`).
    pub commit_fails: Option<AppError>,
    pub commit_lands_anyway: bool,
    /// A partition whose commit the broker acknowledges but stores elsewhere (read back differs).
    pub commit_lands_at: Option<((String, i32), i64)>,
    /// Calls in order: `snapshot`, `commit`, `delete`.
    pub calls: Vec<String>,
    /// Run on the state just before the n-th (from 1) group snapshot is answered.
    #[allow(clippy::type_complexity)]
    pub before_snapshot: Vec<(usize, Box<dyn Fn(&mut FakeState) + Send>)>,
    snapshots: usize,
}

#[derive(Default)]
pub struct FakeGateway {
    pub state: Mutex<FakeState>,
}

impl FakeGateway {
    /// A topic of `partitions` partitions, each holding offsets `0..end`.
    pub fn with_topic(self, topic: &str, partitions: i32, end: i64) -> Self {
        {
            let mut s = self.state.lock().unwrap();
            for p in 0..partitions {
                s.logs.insert((topic.to_owned(), p), (0, end));
            }
        }
        self
    }

    /// A group with no members and `offsets` committed on `topic`.
    pub fn with_group(self, group: &str, topic: &str, offsets: &[(i32, i64)]) -> Self {
        {
            let mut s = self.state.lock().unwrap();
            let g = s.groups.entry(group.to_owned()).or_default();
            for (p, o) in offsets {
                g.committed
                    .insert((topic.to_owned(), *p), (*o, String::new()));
            }
        }
        self
    }

    /// Commits `offset` with `metadata` on partition `partition` of topic `t`, as a consumer would.
    pub fn commit(&self, group: &str, partition: i32, offset: i64, metadata: String) {
        let mut s = self.state.lock().unwrap();
        s.groups
            .entry(group.to_owned())
            .or_default()
            .committed
            .insert(("t".to_owned(), partition), (offset, metadata));
    }

    pub fn committed(&self, group: &str) -> BTreeMap<(String, i32), i64> {
        let s = self.state.lock().unwrap();
        s.groups
            .get(group)
            .map(|g| {
                g.committed
                    .iter()
                    .map(|(k, (o, _))| (k.clone(), *o))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }
}

fn refused(list: &[((String, i32), String)], tp: &(String, i32)) -> Option<PartitionError> {
    list.iter()
        .find(|(k, _)| k == tp)
        .map(|(k, code)| PartitionError {
            topic: k.0.clone(),
            partition: k.1,
            code: code.clone(),
        })
}

impl OffsetsGateway for FakeGateway {
    fn bootstrap(&self, _cluster: &str) -> AppResult<String> {
        Ok("fake:9092".into())
    }

    fn group_snapshots<'a>(
        &'a self,
        _cluster: &'a str,
        groups: Vec<String>,
    ) -> BoxFuture<'a, AppResult<Vec<GroupSnapshot>>> {
        let mut s = self.state.lock().unwrap();
        s.snapshots += 1;
        s.calls.push("snapshot".into());
        let n = s.snapshots;
        let hooks: Vec<_> = std::mem::take(&mut s.before_snapshot);
        let (due, later): (Vec<_>, Vec<_>) = hooks.into_iter().partition(|(at, _)| *at == n);
        s.before_snapshot = later;
        for (_, hook) in due {
            hook(&mut s);
        }
        let out = groups
            .into_iter()
            .map(|name| match s.groups.get(&name) {
                None => GroupSnapshot {
                    group: name,
                    state: GroupState::Dead,
                    group_type: GroupType::Unknown,
                    exists: false,
                    members: Vec::new(),
                    committed: Vec::new(),
                },
                Some(g) => GroupSnapshot {
                    group: name,
                    state: if g.members.is_empty() {
                        GroupState::Empty
                    } else {
                        GroupState::Stable
                    },
                    group_type: GroupType::Classic,
                    exists: true,
                    members: g.members.clone(),
                    committed: g
                        .committed
                        .iter()
                        .map(|((t, p), (o, m))| CommittedOffset {
                            topic: t.clone(),
                            partition: *p,
                            offset: *o,
                            metadata: m.clone(),
                        })
                        .collect(),
                },
            })
            .collect();
        Box::pin(async move { Ok(out) })
    }

    fn partition_snapshots<'a>(
        &'a self,
        _cluster: &'a str,
        topics: Vec<String>,
    ) -> BoxFuture<'a, AppResult<(Vec<PartitionSnapshot>, Vec<String>)>> {
        let s = self.state.lock().unwrap();
        let found: Vec<PartitionSnapshot> = s
            .logs
            .iter()
            .filter(|((t, _), _)| topics.contains(t))
            .map(|((t, p), (start, end))| PartitionSnapshot {
                topic: t.clone(),
                partition: *p,
                leader: Some(1),
                log_start: Some(*start),
                log_end: Some(*end),
            })
            .collect();
        let missing = topics
            .into_iter()
            .filter(|t| !found.iter().any(|p| &p.topic == t))
            .collect();
        Box::pin(async move { Ok((found, missing)) })
    }

    fn offsets_for_time<'a>(
        &'a self,
        _cluster: &'a str,
        partitions: Vec<(String, i32)>,
        _at_ms: i64,
    ) -> BoxFuture<'a, AppResult<Vec<TimeFound>>> {
        // Every record of the fake is older than any instant asked for: the log end, as Kafka answers.
        let s = self.state.lock().unwrap();
        let out = partitions
            .into_iter()
            .map(|(t, p)| TimeFound {
                offset: s.logs.get(&(t.clone(), p)).map(|(_, end)| *end),
                topic: t,
                partition: p,
                timestamp: None,
            })
            .collect();
        Box::pin(async move { Ok(out) })
    }

    fn commit_offsets<'a>(
        &'a self,
        _cluster: &'a str,
        group: &'a str,
        offsets: Vec<(String, i32, i64)>,
        metadata: &'a str,
    ) -> BoxFuture<'a, AppResult<Vec<PartitionError>>> {
        let mut s = self.state.lock().unwrap();
        s.calls.push("commit".into());
        let failure = s.commit_fails.take();
        let lands = failure.is_none() || s.commit_lands_anyway;
        let mut refusals = Vec::new();
        // A group's commit is one atomic write: a refused partition fails it whole.
        for (t, p, _) in &offsets {
            if let Some(r) = refused(&s.refuse_commit, &(t.clone(), *p)) {
                refusals.push(r);
            }
        }
        if lands && refusals.is_empty() {
            let elsewhere = s.commit_lands_at.clone();
            let g = s.groups.entry(group.to_owned()).or_default();
            for (t, p, o) in offsets {
                let key = (t, p);
                let o = match &elsewhere {
                    Some((k, at)) if *k == key => *at,
                    _ => o,
                };
                g.committed.insert(key, (o, metadata.to_owned()));
            }
        }
        Box::pin(async move {
            match failure {
                Some(e) => Err(e),
                None => Ok(refusals),
            }
        })
    }

    fn delete_offsets<'a>(
        &'a self,
        _cluster: &'a str,
        group: &'a str,
        partitions: Vec<(String, i32)>,
    ) -> BoxFuture<'a, AppResult<Vec<PartitionError>>> {
        let mut s = self.state.lock().unwrap();
        s.calls.push("delete".into());
        let mut refusals = Vec::new();
        for tp in partitions {
            match refused(&s.refuse_delete, &tp) {
                Some(r) => refusals.push(r),
                None => {
                    if let Some(g) = s.groups.get_mut(group) {
                        g.committed.remove(&tp);
                    }
                }
            }
        }
        Box::pin(async move { Ok(refusals) })
    }

    fn recent_commits<'a>(
        &'a self,
        _cluster: &'a str,
        _group: &'a str,
        _since_ms: i64,
    ) -> BoxFuture<'a, AppResult<RecentCommits>> {
        Box::pin(async {
            Ok(RecentCommits {
                complete: true,
                ..RecentCommits::default()
            })
        })
    }

    fn record_timestamps<'a>(
        &'a self,
        _cluster: &'a str,
        _wanted: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'a, HashMap<(String, i32), i64>> {
        Box::pin(async { HashMap::new() })
    }

    fn landing_records<'a>(
        &'a self,
        _cluster: &'a str,
        _wanted: Vec<(String, i32, i64)>,
    ) -> BoxFuture<'a, AppResult<Vec<LandingRecord>>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}
