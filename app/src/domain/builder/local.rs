//! Planning in the browser on the last snapshot, and knowing when only Kafka can answer.

use super::super::planner;
use std::collections::BTreeSet;

use super::super::reset::{Plan, PlanError, ResetSpec, Snapshot, Strategy, TopicPartition};

/// What the browser can say about a spec with the snapshot it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// Planned on the snapshot, exactly as the server would plan it on the same snapshot.
    Planned(Box<Plan>),
    /// The snapshot lacks something this spec needs (a topic, a time lookup, a source group).
    NeedsKafka(String),
    /// The spec cannot be planned, whatever Kafka holds.
    Invalid(PlanError),
}

/// How long a by-duration snapshot stays usable in the browser: "2 hours ago" read a minute ago is
/// still the instant the operator means; read an hour ago it is not.
pub const DURATION_SNAPSHOT_MAX_AGE_MS: i64 = 60_000;

/// Plans `spec` on `snapshot`, which was read for `snapshot_spec`, at `now_ms`. Time-based strategies are
/// planned here only for the instant the snapshot looked up: any other instant needs a ListOffsets.
pub fn plan_locally(
    spec: &ResetSpec,
    snapshot: &Snapshot,
    snapshot_spec: &ResetSpec,
    now_ms: i64,
) -> Local {
    if let Err(e) = planner::validate(spec) {
        return Local::Invalid(e);
    }
    if spec.cluster != snapshot_spec.cluster {
        return Local::NeedsKafka("another cluster".into());
    }
    let mut groups = Vec::with_capacity(spec.groups.len());
    for g in &spec.groups {
        match snapshot.groups.iter().find(|s| &s.group == g) {
            Some(s) => groups.push(s.clone()),
            None => return Local::NeedsKafka(format!("group '{g}'")),
        }
    }
    let lacking = match &spec.strategy {
        Strategy::CopyFromGroup { group } => snapshot
            .source
            .as_ref()
            .is_none_or(|s| &s.group != group)
            .then(|| format!("the offsets of group '{group}'")),
        Strategy::RestoreBackup { execution } => snapshot
            .backup
            .as_ref()
            .is_none_or(|b| b.execution != *execution)
            .then(|| format!("the backup of execution {execution}")),
        Strategy::ToDatetime { .. } => (spec.strategy != snapshot_spec.strategy)
            .then(|| "the offsets for this instant".to_string()),
        Strategy::ByDuration { .. } => (spec.strategy != snapshot_spec.strategy
            || now_ms - snapshot.taken_at_ms > DURATION_SNAPSHOT_MAX_AGE_MS)
            .then(|| "the offsets for this instant".to_string()),
        _ => None,
    };
    if let Some(what) = lacking {
        return Local::NeedsKafka(what);
    }
    let backup_topics: Vec<String> = snapshot
        .backup
        .iter()
        .flat_map(|b| b.offsets.iter().map(|(tp, _)| tp.topic.clone()))
        .collect();
    let needed =
        match planner::topics_needed(spec, &groups, snapshot.source.as_ref(), &backup_topics) {
            Ok(t) => t,
            Err(e) => return Local::Invalid(e),
        };
    let present: BTreeSet<&str> = snapshot
        .partitions
        .iter()
        .map(|p| p.topic.as_str())
        .chain(snapshot.missing_topics.iter().map(String::as_str))
        .collect();
    if let Some(t) = needed.iter().find(|t| !present.contains(t.as_str())) {
        return Local::NeedsKafka(format!("the partitions of topic '{t}'"));
    }
    if matches!(
        spec.strategy,
        Strategy::ToDatetime { .. } | Strategy::ByDuration { .. }
    ) {
        let uncovered = needed
            .iter()
            .flat_map(|t| snapshot.topic_partitions(t))
            .find(|p| {
                snapshot
                    .time_found(&TopicPartition::new(p.topic.clone(), p.partition))
                    .is_none()
            });
        if uncovered.is_some() {
            return Local::NeedsKafka("the offsets for this instant".into());
        }
    }
    match planner::plan(spec, snapshot) {
        Ok(plan) => Local::Planned(Box::new(plan)),
        Err(PlanError::IncompleteSnapshot { what }) => Local::NeedsKafka(what),
        Err(e) => Local::Invalid(e),
    }
}
