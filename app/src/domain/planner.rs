//! The planner: a pure function from a `ResetSpec` and a `Snapshot` to a `Plan`, implementing
//! `reset-semantics.md` exactly. It runs on the server for preview and execute, and in the browser
//! for instant feedback, so it never reads a clock or does I/O.

use std::collections::{BTreeMap, BTreeSet};

use super::offsets_csv;
use super::reset::{
    GroupPlan, GroupSnapshot, PartitionPlan, Plan, PlanError, Refusal, ResetSpec, Scope, Snapshot,
    Strategy, TopicPartition, Warning,
};
use super::timespec;

/// The instant a time-based strategy looks up, given the planner's "now"; None for other strategies.
pub fn resolve_instant(strategy: &Strategy, now_ms: i64) -> Result<Option<i64>, PlanError> {
    match strategy {
        Strategy::ToDatetime { input, zone } => {
            timespec::parse_datetime(input, zone.as_deref()).map(Some)
        }
        Strategy::ByDuration { duration } => {
            let d = timespec::parse_duration(duration)?;
            Ok(Some(now_ms.saturating_sub(d)))
        }
        _ => Ok(None),
    }
}

/// Checks what can be checked without Kafka (groups, scope arguments, file, time inputs), so bad input
/// fails before any request is sent.
pub fn validate(spec: &ResetSpec) -> Result<(), PlanError> {
    if spec.groups.is_empty() {
        return Err(PlanError::NoGroup);
    }
    let mut seen = BTreeSet::new();
    for g in &spec.groups {
        if !seen.insert(g.as_str()) {
            return Err(PlanError::DuplicateGroup { group: g.clone() });
        }
    }
    if let Scope::Topics { topics } = &spec.scope {
        if topics.is_empty() && !spec.strategy.carries_partitions() {
            return Err(PlanError::NoScope);
        }
        let mut seen = BTreeSet::new();
        for t in topics {
            if t.topic.trim().is_empty() {
                return Err(PlanError::InvalidTopicArg { arg: t.to_arg() });
            }
            for p in t.partitions.iter().flatten() {
                if *p < 0 {
                    return Err(PlanError::NegativePartition {
                        topic: t.topic.clone(),
                        partition: *p,
                    });
                }
                if !seen.insert((t.topic.as_str(), *p)) {
                    return Err(PlanError::DuplicatePartition {
                        topic: t.topic.clone(),
                        partition: *p,
                    });
                }
            }
        }
    }
    match &spec.strategy {
        Strategy::FromFile { csv } => {
            offsets_csv::parse_reset_csv(csv, &spec.groups)?;
        }
        Strategy::ToDatetime { .. } | Strategy::ByDuration { .. } => {
            resolve_instant(&spec.strategy, 0)?;
        }
        Strategy::CopyFromGroup { group } if spec.groups.iter().any(|g| g == group) => {
            return Err(PlanError::CopyFromItself {
                group: group.clone(),
            });
        }
        Strategy::Explicit { offsets } => {
            let mut seen = BTreeSet::new();
            for o in offsets {
                if !seen.insert((o.topic.as_str(), o.partition)) {
                    return Err(PlanError::DuplicatePartition {
                        topic: o.topic.clone(),
                        partition: o.partition,
                    });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Topics whose partitions the snapshot must cover, once the groups' (and a copy source's) committed
/// offsets are known.
pub fn topics_needed(
    spec: &ResetSpec,
    groups: &[GroupSnapshot],
    source: Option<&GroupSnapshot>,
    backup_topics: &[String],
) -> Result<BTreeSet<String>, PlanError> {
    let mut topics = BTreeSet::new();
    match &spec.strategy {
        Strategy::FromFile { csv } => {
            for rows in offsets_csv::parse_reset_csv(csv, &spec.groups)?.values() {
                topics.extend(rows.iter().map(|(tp, _)| tp.topic.clone()));
            }
        }
        Strategy::Explicit { offsets } => {
            topics.extend(offsets.iter().map(|o| o.topic.clone()));
        }
        Strategy::RestoreBackup { .. } => topics.extend(backup_topics.iter().cloned()),
        _ => {}
    }
    match &spec.scope {
        Scope::AllTopics if !spec.strategy.carries_partitions() => {
            let committed_by = match (&spec.strategy, source) {
                (Strategy::CopyFromGroup { .. }, Some(s)) => std::slice::from_ref(s),
                _ => groups,
            };
            for g in committed_by {
                topics.extend(g.committed.iter().map(|c| c.topic.clone()));
            }
        }
        Scope::AllTopics => {}
        Scope::Topics { topics: scoped } => {
            topics.extend(scoped.iter().map(|t| t.topic.clone()));
        }
    }
    Ok(topics)
}

/// Plans `spec` against `snapshot`.
pub fn plan(spec: &ResetSpec, snapshot: &Snapshot) -> Result<Plan, PlanError> {
    validate(spec)?;
    let at_ms = match &spec.strategy {
        Strategy::ToDatetime { .. } => {
            let at = resolve_instant(&spec.strategy, snapshot.taken_at_ms)?;
            let looked_up = snapshot.time_lookup.as_ref().map(|l| l.at_ms);
            if at != looked_up {
                return Err(PlanError::IncompleteSnapshot {
                    what: "the offsets for this instant".into(),
                });
            }
            at
        }
        // "now" is the one the snapshot's lookup used, so preview and execute agree on the instant.
        Strategy::ByDuration { .. } => match &snapshot.time_lookup {
            Some(l) => Some(l.at_ms),
            None => {
                return Err(PlanError::IncompleteSnapshot {
                    what: "the offsets for this instant".into(),
                })
            }
        },
        _ => None,
    };
    let file_rows = match &spec.strategy {
        Strategy::FromFile { csv } => Some(offsets_csv::parse_reset_csv(csv, &spec.groups)?),
        _ => None,
    };

    let mut groups = Vec::with_capacity(spec.groups.len());
    for group in &spec.groups {
        let gs = snapshot
            .groups
            .iter()
            .find(|g| &g.group == group)
            .ok_or_else(|| PlanError::IncompleteSnapshot {
                what: format!("group '{group}'"),
            })?;
        let requested = requested_targets(spec, snapshot, gs, file_rows.as_ref())?;
        check_partitions(snapshot, requested.keys())?;
        let mut partitions = Vec::with_capacity(requested.len());
        for (tp, requested) in requested {
            partitions.push(plan_partition(spec, snapshot, gs, tp, requested)?);
        }
        let refusal = (gs.exists && !gs.state.is_inactive()).then(|| Refusal::Active {
            state: gs.state,
            members: gs.members.clone(),
        });
        groups.push(GroupPlan {
            group: group.clone(),
            state: gs.state,
            refusal,
            partitions,
        });
    }
    let fingerprint = fingerprint(&spec.strategy, at_ms, &groups);
    Ok(Plan {
        spec: spec.clone(),
        at_ms,
        snapshot_at_ms: snapshot.taken_at_ms,
        groups,
        fingerprint,
    })
}

/// What a partition's target is before the log bounds apply.
enum Requested {
    /// Decided by the strategy from the snapshot (earliest, latest, current, time lookup, shift).
    Strategy,
    /// An offset given by the operator (file, explicit, copy): clamped.
    Given(i64),
    /// Restored exactly from a backup; None deletes the offset.
    Restore(Option<i64>),
}

/// The partitions in scope for one group, with what each asks for.
fn requested_targets(
    spec: &ResetSpec,
    snapshot: &Snapshot,
    gs: &GroupSnapshot,
    file_rows: Option<&BTreeMap<String, Vec<(TopicPartition, i64)>>>,
) -> Result<BTreeMap<TopicPartition, Requested>, PlanError> {
    let mut out = BTreeMap::new();
    match &spec.strategy {
        Strategy::FromFile { .. } => {
            let rows = file_rows.and_then(|f| f.get(&gs.group)).ok_or_else(|| {
                PlanError::NoPlanForGroup {
                    group: gs.group.clone(),
                }
            })?;
            for (tp, offset) in rows {
                if out.insert(tp.clone(), Requested::Given(*offset)).is_some() {
                    return Err(PlanError::DuplicatePartition {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                    });
                }
            }
            return Ok(out);
        }
        Strategy::Explicit { offsets } => {
            for o in offsets {
                out.insert(
                    TopicPartition::new(o.topic.clone(), o.partition),
                    Requested::Given(o.offset),
                );
            }
            return Ok(out);
        }
        Strategy::RestoreBackup { execution } => {
            let backup = snapshot
                .backup
                .as_ref()
                .ok_or_else(|| PlanError::IncompleteSnapshot {
                    what: format!("the backup of execution {execution}"),
                })?;
            if backup.group != gs.group {
                return Err(PlanError::RestoreOtherGroup {
                    execution: *execution,
                    group: gs.group.clone(),
                });
            }
            for (tp, offset) in &backup.offsets {
                out.insert(tp.clone(), Requested::Restore(*offset));
            }
            return Ok(out);
        }
        _ => {}
    }
    let source =
        match &spec.strategy {
            Strategy::CopyFromGroup { group } => Some(snapshot.source.as_ref().ok_or_else(
                || PlanError::IncompleteSnapshot {
                    what: format!("source group '{group}'"),
                },
            )?),
            _ => None,
        };
    let scoped: Vec<TopicPartition> = match &spec.scope {
        Scope::AllTopics => source
            .unwrap_or(gs)
            .committed
            .iter()
            .filter(|c| c.offset >= 0)
            .map(|c| TopicPartition::new(c.topic.clone(), c.partition))
            .collect(),
        Scope::Topics { topics } => {
            let mut v = Vec::new();
            for t in topics {
                if snapshot.missing_topics.contains(&t.topic) {
                    return Err(PlanError::UnknownTopic {
                        topic: t.topic.clone(),
                    });
                }
                match &t.partitions {
                    None => {
                        let before = v.len();
                        v.extend(
                            snapshot
                                .topic_partitions(&t.topic)
                                .map(|p| TopicPartition::new(p.topic.clone(), p.partition)),
                        );
                        if v.len() == before {
                            return Err(PlanError::IncompleteSnapshot {
                                what: format!("the partitions of topic '{}'", t.topic),
                            });
                        }
                    }
                    Some(ps) => {
                        v.extend(ps.iter().map(|p| TopicPartition::new(t.topic.clone(), *p)))
                    }
                }
            }
            v
        }
    };
    for tp in scoped {
        let requested = match source {
            Some(src) => Requested::Given(src.committed(&tp).ok_or_else(|| {
                PlanError::SourceHasNoOffset {
                    group: src.group.clone(),
                    partition: tp.to_string(),
                }
            })?),
            None => Requested::Strategy,
        };
        out.insert(tp, requested);
    }
    Ok(out)
}

/// The reference tool's validation: every partition exists, and has a leader.
fn check_partitions<'a>(
    snapshot: &Snapshot,
    tps: impl Iterator<Item = &'a TopicPartition>,
) -> Result<(), PlanError> {
    let mut missing = Vec::new();
    let mut leaderless = Vec::new();
    for tp in tps {
        match snapshot.partition(tp) {
            None => missing.push(tp.to_string()),
            Some(p) if p.leader.is_none() => leaderless.push(tp.to_string()),
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        return Err(PlanError::PartitionsDoNotExist {
            partitions: missing.join(","),
        });
    }
    if !leaderless.is_empty() {
        return Err(PlanError::PartitionsWithoutLeader {
            partitions: leaderless.join(","),
        });
    }
    Ok(())
}

fn plan_partition(
    spec: &ResetSpec,
    snapshot: &Snapshot,
    gs: &GroupSnapshot,
    tp: TopicPartition,
    requested: Requested,
) -> Result<PartitionPlan, PlanError> {
    let incomplete = || PlanError::IncompleteSnapshot {
        what: format!("the log start and end of {tp}"),
    };
    let log = snapshot.partition(&tp).ok_or_else(incomplete)?;
    let (log_start, log_end) = match (log.log_start, log.log_end) {
        (Some(s), Some(e)) => (s, e),
        _ => return Err(incomplete()),
    };
    let current = gs.committed(&tp).filter(|c| *c >= 0);
    let mut warnings = Vec::new();
    let mut target_timestamp = None;
    let clamp = |x: i64, warnings: &mut Vec<Warning>| {
        // Upper bound first, as the reference tool; x == log end is allowed.
        if x > log_end {
            warnings.push(Warning::ClampedToLatest { requested: x });
            log_end
        } else if x < log_start {
            warnings.push(Warning::ClampedToEarliest { requested: x });
            log_start
        } else {
            x
        }
    };
    let target = match requested {
        Requested::Given(x) => Some(clamp(x, &mut warnings)),
        Requested::Restore(x) => {
            if x.is_none() && current.is_some() {
                warnings.push(Warning::OffsetDeleted);
            }
            x
        }
        Requested::Strategy => Some(match &spec.strategy {
            Strategy::ToEarliest => log_start,
            Strategy::ToLatest => log_end,
            Strategy::ToCurrent => match current {
                Some(c) => {
                    if c < log_start {
                        warnings.push(Warning::BelowLogStart);
                    }
                    c
                }
                None => log_end,
            },
            Strategy::ToOffset { offset } => clamp(*offset, &mut warnings),
            Strategy::ShiftBy { shift } => {
                let c = current.ok_or_else(|| PlanError::NoCommittedOffsetToShift {
                    partition: tp.to_string(),
                })?;
                clamp(c.saturating_add(*shift), &mut warnings)
            }
            Strategy::ToDatetime { .. } | Strategy::ByDuration { .. } => {
                let found =
                    snapshot
                        .time_found(&tp)
                        .ok_or_else(|| PlanError::IncompleteSnapshot {
                            what: format!("the offset by time of {tp}"),
                        })?;
                match found.offset {
                    Some(o) => {
                        target_timestamp = found.timestamp;
                        o
                    }
                    None => {
                        warnings.push(Warning::FellBackToLatest);
                        log_end
                    }
                }
            }
            // Offsets given by the operator were resolved to `Requested::Given` above.
            Strategy::FromFile { .. }
            | Strategy::Explicit { .. }
            | Strategy::CopyFromGroup { .. }
            | Strategy::RestoreBackup { .. } => return Err(incomplete()),
        }),
    };
    if current.is_none() && target.is_some() {
        warnings.push(Warning::NoCommittedOffset);
    }
    Ok(PartitionPlan {
        topic: tp.topic,
        partition: tp.partition,
        log_start,
        log_end,
        current,
        target,
        target_timestamp,
        warnings,
    })
}

/// Why a target is a log bound, when it is one by rule rather than by value.
fn target_cause(strategy: &Strategy, p: &PartitionPlan) -> Option<&'static [u8]> {
    let warned = |w: fn(&Warning) -> bool| p.warnings.iter().any(w);
    if matches!(strategy, Strategy::ToLatest)
        || warned(|w| {
            matches!(
                w,
                Warning::ClampedToLatest { .. } | Warning::FellBackToLatest
            )
        })
        || (matches!(strategy, Strategy::ToCurrent) && p.current.is_none())
    {
        Some(b"log-end")
    } else if matches!(strategy, Strategy::ToEarliest)
        || warned(|w| matches!(w, Warning::ClampedToEarliest { .. }))
    {
        Some(b"log-start")
    } else {
        None
    }
}

/// FNV-1a 64 over the decisive facts, in plan order: stable across builds and platforms (unlike std's
/// hasher), which is all a drift check needs; it is not a security boundary.
fn fingerprint(strategy: &Strategy, at_ms: Option<i64>, groups: &[GroupPlan]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    let opt = |x: Option<i64>| x.map_or(i64::MIN, |v| v);
    eat(strategy.name().as_bytes());
    eat(&opt(at_ms).to_le_bytes());
    for g in groups {
        eat(&(g.group.len() as u64).to_le_bytes());
        eat(g.group.as_bytes());
        for p in &g.partitions {
            eat(&(p.topic.len() as u64).to_le_bytes());
            eat(p.topic.as_bytes());
            eat(&p.partition.to_le_bytes());
            eat(&opt(p.current).to_le_bytes());
            // A target that is a log bound by rule (clamped, fell back, to-current with no commit,
            // to-earliest/latest) follows the log: its cause is fingerprinted, not its value, so new
            // records or a retention pass between preview and execute are not drift.
            match target_cause(strategy, p) {
                Some(cause) => eat(cause),
                None => eat(&opt(p.target).to_le_bytes()),
            }
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
