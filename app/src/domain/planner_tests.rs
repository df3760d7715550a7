//! Planner tests: every vector of reset-semantics.md, the scope and error rules, and properties.

use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest};
use proptest::strategy::Strategy as _;

use super::*;
use crate::domain::reset::{
    BackupSnapshot, CommittedOffset, ExplicitOffset, MemberRef, PartitionSnapshot, TimeFound,
    TimeLookup, TopicScope,
};
use crate::domain::{GroupState, GroupType};

fn group(name: &str, committed: &[(&str, i32, i64)]) -> GroupSnapshot {
    let mut committed: Vec<CommittedOffset> = committed
        .iter()
        .map(|(t, p, o)| CommittedOffset {
            topic: t.to_string(),
            partition: *p,
            offset: *o,
            metadata: String::new(),
        })
        .collect();
    committed.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    GroupSnapshot {
        group: name.into(),
        state: GroupState::Empty,
        group_type: GroupType::Classic,
        exists: true,
        members: vec![],
        committed,
    }
}

/// One topic `t` with one partition per `(log start, log end)`, group `g` with `committed[i]` on partition i.
fn snap(logs: &[(i64, i64)], committed: &[Option<i64>]) -> Snapshot {
    let partitions = logs
        .iter()
        .enumerate()
        .map(|(i, (s, e))| PartitionSnapshot {
            topic: "t".into(),
            partition: i as i32,
            leader: Some(1),
            log_start: Some(*s),
            log_end: Some(*e),
        })
        .collect();
    let c: Vec<(&str, i32, i64)> = committed
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.map(|o| ("t", i as i32, o)))
        .collect();
    Snapshot {
        taken_at_ms: 1_000_000,
        groups: vec![group("g", &c)],
        partitions,
        missing_topics: vec![],
        time_lookup: None,
        source: None,
        backup: None,
    }
}

fn spec(scope: Scope, strategy: Strategy) -> ResetSpec {
    ResetSpec {
        cluster: "c".into(),
        groups: vec!["g".into()],
        scope,
        strategy,
    }
}

fn topic_t() -> Scope {
    Scope::Topics {
        topics: vec![TopicScope {
            topic: "t".into(),
            partitions: None,
        }],
    }
}

/// The single partition's target for one vector.
fn target(
    lso: i64,
    leo: i64,
    committed: Option<i64>,
    strategy: Strategy,
) -> Result<i64, PlanError> {
    let p = plan(
        &spec(topic_t(), strategy),
        &snap(&[(lso, leo)], &[committed]),
    )?;
    Ok(p.groups[0].partitions[0].target.expect("a target"))
}

#[test]
fn reference_vectors_1_to_14() {
    use Strategy::*;
    assert_eq!(target(0, 100, Some(100), ToOffset { offset: 50 }), Ok(50)); // 1
    assert_eq!(target(0, 100, None, ToOffset { offset: 150 }), Ok(100)); // 2
    assert_eq!(target(20, 100, None, ToOffset { offset: 5 }), Ok(20)); // 3
    assert_eq!(target(0, 100, None, ToOffset { offset: -1 }), Ok(0)); // 4
    assert_eq!(target(0, 100, None, ToOffset { offset: 100 }), Ok(100)); // 5
    assert_eq!(target(0, 200, Some(100), ShiftBy { shift: 50 }), Ok(150)); // 6
    assert_eq!(target(0, 200, Some(100), ShiftBy { shift: -50 }), Ok(50)); // 7
    assert_eq!(target(0, 200, Some(100), ShiftBy { shift: -150 }), Ok(0)); // 8
    assert_eq!(target(0, 200, Some(100), ShiftBy { shift: 150 }), Ok(200)); // 9
    assert_eq!(
        target(0, 100, None, ShiftBy { shift: 10 }),
        Err(PlanError::NoCommittedOffsetToShift {
            partition: "t-0".into()
        })
    ); // 10
    assert_eq!(
        PlanError::NoCommittedOffsetToShift {
            partition: "t-0".into()
        }
        .to_string(),
        "Cannot shift offset for partition t-0 since there is no current committed offset"
    );
    assert_eq!(target(30, 200, Some(10), ToCurrent), Ok(10)); // 11
    assert_eq!(target(30, 200, Some(10), ShiftBy { shift: 0 }), Ok(30)); // 12
    assert_eq!(target(0, 200, None, ToCurrent), Ok(200)); // 13
    assert_eq!(target(5, 200, Some(100), ToEarliest), Ok(5)); // 14
    assert_eq!(target(5, 200, Some(100), ToLatest), Ok(200)); // 14
}

fn with_lookup(mut s: Snapshot, at_ms: i64, found: Option<(i64, i64)>) -> Snapshot {
    s.time_lookup = Some(TimeLookup {
        at_ms,
        found: vec![TimeFound {
            topic: "t".into(),
            partition: 0,
            offset: found.map(|f| f.0),
            timestamp: found.map(|f| f.1),
        }],
    });
    s
}

#[test]
fn reference_vectors_15_to_17_time() {
    // 15: records from offset 50 have ts >= T.
    let at = 1605027098198;
    let s = with_lookup(snap(&[(0, 100)], &[Some(100)]), at, Some((50, at + 5)));
    let st = Strategy::ToDatetime {
        input: "2020-11-10T16:51:38.198".into(),
        zone: None,
    };
    let p = plan(&spec(topic_t(), st), &s).unwrap();
    let part = &p.groups[0].partitions[0];
    assert_eq!(
        (part.target, part.target_timestamp),
        (Some(50), Some(at + 5))
    );
    assert_eq!(p.at_ms, Some(at));

    // 16: all records older than now - 0.1 s: the broker answers -1, target is the log end, warned.
    let now = 1_000_000;
    let s = with_lookup(snap(&[(0, 100)], &[None]), now - 100, None);
    let by = Strategy::ByDuration {
        duration: "PT0.1S".into(),
    };
    assert_eq!(resolve_instant(&by, now), Ok(Some(now - 100)));
    let p = plan(&spec(topic_t(), by.clone()), &s).unwrap();
    let part = &p.groups[0].partitions[0];
    assert_eq!(part.target, Some(100));
    assert!(part.warnings.contains(&Warning::FellBackToLatest));
    assert_eq!(
        Warning::FellBackToLatest.message(&part.tp(), part.target),
        "Partition 0 from topic t is empty. Falling back to latest known offset."
    );

    // 17: empty partition.
    let s = with_lookup(snap(&[(0, 0)], &[None]), now - 60_000, None);
    let p = plan(
        &spec(
            topic_t(),
            Strategy::ByDuration {
                duration: "PT1M".into(),
            },
        ),
        &s,
    )
    .unwrap();
    assert_eq!(p.groups[0].partitions[0].target, Some(0));
}

#[test]
fn reference_vectors_18_19_from_file() {
    let file = |csv: &str| Strategy::FromFile { csv: csv.into() };
    assert_eq!(target(0, 100, None, file("t,0,500")), Ok(100)); // 18
    assert_eq!(target(10, 100, None, file("t,0,-1")), Ok(10)); // 19
                                                               // Scope is ignored with a file: only the file's rows for this group are planned.
    let s = snap(&[(0, 100), (0, 100)], &[Some(1), Some(1)]);
    let p = plan(&spec(Scope::AllTopics, file("t,1,7")), &s).unwrap();
    assert_eq!(p.groups[0].partitions.len(), 1);
    assert_eq!(p.groups[0].partitions[0].partition, 1);
    let other = plan(&spec(Scope::AllTopics, file("h,t,1,7")), &s);
    assert_eq!(
        other.map(|_| ()),
        Err(PlanError::NoPlanForGroup { group: "g".into() })
    );
    assert_eq!(
        PlanError::NoPlanForGroup { group: "g".into() }.to_string(),
        "No reset plan for group g found."
    );
}

#[test]
fn clamp_warnings_use_the_tools_words() {
    let p = plan(
        &spec(topic_t(), Strategy::ToOffset { offset: 150 }),
        &snap(&[(0, 100)], &[None]),
    )
    .unwrap();
    let part = &p.groups[0].partitions[0];
    assert_eq!(
        part.warnings,
        vec![
            Warning::ClampedToLatest { requested: 150 },
            Warning::NoCommittedOffset
        ]
    );
    assert_eq!(
        part.warnings[0].message(&part.tp(), part.target),
        "New offset (150) is higher than latest offset for topic partition t-0. Value will be set to 100"
    );
}

#[test]
fn all_topics_is_exactly_the_committed_partitions() {
    let s = snap(&[(0, 10), (0, 10), (0, 10)], &[Some(1), None, Some(3)]);
    let p = plan(&spec(Scope::AllTopics, Strategy::ToLatest), &s).unwrap();
    let parts: Vec<i32> = p.groups[0].partitions.iter().map(|p| p.partition).collect();
    assert_eq!(parts, vec![0, 2]);
    // No offsets at all: an empty plan, not an error.
    let s = snap(&[(0, 10)], &[None]);
    let p = plan(&spec(Scope::AllTopics, Strategy::ToLatest), &s).unwrap();
    assert!(p.groups[0].partitions.is_empty());
}

#[test]
fn topic_scope_covers_uncommitted_partitions_and_validates() {
    let s = snap(&[(0, 10), (0, 10)], &[Some(1), None]);
    let p = plan(&spec(topic_t(), Strategy::ToEarliest), &s).unwrap();
    assert_eq!(p.groups[0].partitions.len(), 2);
    assert_eq!(
        p.groups[0].partitions[1].warnings,
        vec![Warning::NoCommittedOffset]
    );

    let scope = |arg: &str| Scope::Topics {
        topics: vec![TopicScope::parse(arg).unwrap()],
    };
    let e = plan(&spec(scope("t:1,2,3"), Strategy::ToEarliest), &s).unwrap_err();
    assert_eq!(e.to_string(), "The partitions \"t-2,t-3\" do not exist");

    let mut no_leader = s.clone();
    no_leader.partitions[0].leader = None;
    let e = plan(&spec(scope("t:0"), Strategy::ToEarliest), &no_leader).unwrap_err();
    assert_eq!(e.to_string(), "The partitions \"t-0\" have no leader");

    let mut missing = s.clone();
    missing.missing_topics = vec!["nope".into()];
    let e = plan(&spec(scope("nope"), Strategy::ToEarliest), &missing).unwrap_err();
    assert_eq!(
        e,
        PlanError::UnknownTopic {
            topic: "nope".into()
        }
    );

    let e = plan(
        &spec(Scope::Topics { topics: vec![] }, Strategy::ToEarliest),
        &s,
    )
    .unwrap_err();
    assert_eq!(e, PlanError::NoScope);
}

#[test]
fn topic_arguments_parse_like_the_tool() {
    assert_eq!(
        TopicScope::parse("t:0,1,2").unwrap().partitions,
        Some(vec![0, 1, 2])
    );
    assert_eq!(TopicScope::parse("t").unwrap().partitions, None);
    assert_eq!(
        TopicScope::parse(":1").unwrap_err().to_string(),
        "Invalid topic arg ':1', expected topic name and partitions"
    );
    assert!(matches!(
        TopicScope::parse("t:x"),
        Err(PlanError::InvalidPartition { .. })
    ));
    assert!(matches!(
        TopicScope::parse("t:0,0"),
        Err(PlanError::DuplicatePartition { .. })
    ));
    // The same partition through two arguments is a duplicate too.
    let s = snap(&[(0, 10)], &[None]);
    let two = Scope::Topics {
        topics: vec![
            TopicScope::parse("t:0").unwrap(),
            TopicScope::parse("t:0").unwrap(),
        ],
    };
    assert!(matches!(
        plan(&spec(two, Strategy::ToEarliest), &s),
        Err(PlanError::DuplicatePartition { .. })
    ));
}

#[test]
fn active_groups_are_planned_but_refused_naming_members() {
    let mut s = snap(&[(0, 10)], &[Some(3)]);
    s.groups[0].state = GroupState::Stable;
    s.groups[0].members = vec![MemberRef {
        member_id: "m-1".into(),
        client_id: "billing".into(),
        host: "/10.0.0.7".into(),
    }];
    let p = plan(&spec(Scope::AllTopics, Strategy::ToEarliest), &s).unwrap();
    let refusal = p.groups[0].refusal.as_ref().expect("refused");
    assert_eq!(
        refusal.message("g"),
        "Assignments can only be reset if the group 'g' is inactive, but the current state is Stable. \
         Active members: m-1 (billing on /10.0.0.7)."
    );
    // A brand-new group id (unknown to the broker) may be reset.
    s.groups[0].exists = false;
    s.groups[0].state = GroupState::Unknown;
    let p = plan(&spec(topic_t(), Strategy::ToEarliest), &s).unwrap();
    assert!(p.groups[0].refusal.is_none());
}

#[test]
fn copy_from_group_and_explicit_offsets_clamp() {
    let mut s = snap(&[(5, 100), (5, 100)], &[Some(50), None]);
    s.source = Some(group("src", &[("t", 0, 2), ("t", 1, 70)]));
    let st = Strategy::CopyFromGroup {
        group: "src".into(),
    };
    let p = plan(&spec(Scope::AllTopics, st.clone()), &s).unwrap();
    let targets: Vec<Option<i64>> = p.groups[0].partitions.iter().map(|p| p.target).collect();
    assert_eq!(targets, vec![Some(5), Some(70)]);
    s.source = Some(group("src", &[("t", 0, 2)]));
    assert!(matches!(
        plan(&spec(topic_t(), st), &s),
        Err(PlanError::SourceHasNoOffset { .. })
    ));

    let ex = Strategy::Explicit {
        offsets: vec![ExplicitOffset {
            topic: "t".into(),
            partition: 1,
            offset: 1000,
        }],
    };
    let p = plan(&spec(Scope::AllTopics, ex), &s).unwrap();
    assert_eq!(p.groups[0].partitions.len(), 1);
    assert_eq!(p.groups[0].partitions[0].target, Some(100));
}

#[test]
fn restore_is_exact_and_deletes_what_was_not_committed() {
    let mut s = snap(&[(30, 100), (0, 100)], &[Some(90), Some(90)]);
    s.backup = Some(BackupSnapshot {
        execution: 7,
        group: "g".into(),
        offsets: vec![
            (TopicPartition::new("t", 0), Some(10)),
            (TopicPartition::new("t", 1), None),
        ],
    });
    let p = plan(
        &spec(Scope::AllTopics, Strategy::RestoreBackup { execution: 7 }),
        &s,
    )
    .unwrap();
    let parts = &p.groups[0].partitions;
    // Below the log start now, yet restored exactly: undo puts back what was there.
    assert_eq!(parts[0].target, Some(10));
    assert_eq!(parts[1].target, None);
    assert_eq!(parts[1].warnings, vec![Warning::OffsetDeleted]);
}

#[test]
fn time_lookup_must_match_the_instant() {
    let s = with_lookup(snap(&[(0, 100)], &[Some(1)]), 42, Some((5, 42)));
    let st = Strategy::ToDatetime {
        input: "2020-11-10T16:51:38.198".into(),
        zone: None,
    };
    assert!(matches!(
        plan(&spec(topic_t(), st), &s),
        Err(PlanError::IncompleteSnapshot { .. })
    ));
}

#[test]
fn fingerprint_tracks_commits_and_targets_but_not_a_moving_log_end_for_to_latest() {
    let a = snap(&[(0, 100)], &[Some(10)]);
    let mut b = a.clone();
    b.partitions[0].log_end = Some(120);
    let latest = spec(Scope::AllTopics, Strategy::ToLatest);
    assert_eq!(
        plan(&latest, &a).unwrap().fingerprint,
        plan(&latest, &b).unwrap().fingerprint
    );
    let mut c = a.clone();
    c.groups[0].committed[0].offset = 11;
    assert_ne!(
        plan(&latest, &a).unwrap().fingerprint,
        plan(&latest, &c).unwrap().fingerprint
    );
    // 110 is clamped to 100 on `a` but reachable on `b`: the plan really changed.
    let to_offset = spec(Scope::AllTopics, Strategy::ToOffset { offset: 110 });
    assert_ne!(
        plan(&to_offset, &a).unwrap().fingerprint,
        plan(&to_offset, &b).unwrap().fingerprint
    );
    // Clamped to the log end on both: the same rule, whatever the log end is now.
    let beyond = spec(Scope::AllTopics, Strategy::ToOffset { offset: 500 });
    assert_eq!(
        plan(&beyond, &a).unwrap().fingerprint,
        plan(&beyond, &b).unwrap().fingerprint
    );
    // to-current with no commit lands on the log end: a producer writing meanwhile is not drift.
    let mut fresh_a = snap(&[(0, 100)], &[None]);
    let mut fresh_b = fresh_a.clone();
    fresh_b.partitions[0].log_end = Some(130);
    fresh_a.groups[0].exists = false;
    fresh_b.groups[0].exists = false;
    let current = spec(topic_t(), Strategy::ToCurrent);
    assert_eq!(
        plan(&current, &fresh_a).unwrap().fingerprint,
        plan(&current, &fresh_b).unwrap().fingerprint
    );
}

fn log_and_commit() -> impl proptest::strategy::Strategy<Value = (i64, i64, Option<i64>)> {
    (
        0i64..1_000,
        0i64..1_000,
        proptest::option::of(-10i64..3_000),
    )
        .prop_map(|(s, len, c)| (s, s + len, c))
}

proptest! {
    #[test]
    fn clamped_strategies_stay_within_the_log(
        (lso, leo, committed) in log_and_commit(),
        offset in any::<i64>(),
        shift in any::<i64>(),
    ) {
        let committed = committed.filter(|c| *c >= 0);
        let strategies = [
            Strategy::ToOffset { offset },
            Strategy::ShiftBy { shift },
            Strategy::ToEarliest,
            Strategy::ToLatest,
            Strategy::FromFile { csv: format!("t,0,{offset}") },
        ];
        for st in strategies {
            match target(lso, leo, committed, st.clone()) {
                Ok(t) => prop_assert!((lso..=leo).contains(&t), "{st:?} gave {t} outside [{lso}, {leo}]"),
                Err(e) => prop_assert!(matches!(st, Strategy::ShiftBy { .. }) && committed.is_none(), "{e}"),
            }
        }
    }

    #[test]
    fn to_current_never_clamps((lso, leo, committed) in log_and_commit()) {
        let committed = committed.filter(|c| *c >= 0);
        let t = target(lso, leo, committed, Strategy::ToCurrent).unwrap();
        prop_assert_eq!(t, committed.unwrap_or(leo));
    }

    #[test]
    fn shift_by_zero_only_lifts_commits_below_log_start((lso, leo, committed) in log_and_commit()) {
        let Some(c) = committed.filter(|c| *c >= 0) else { return Ok(()) };
        let t = target(lso, leo, Some(c), Strategy::ShiftBy { shift: 0 }).unwrap();
        let expected = if c > leo { leo } else if c < lso { lso } else { c };
        prop_assert_eq!(t, expected);
    }
}
