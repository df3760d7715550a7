//! The builder's rules: form to spec, scope text, local planning, tracks and drift.

use super::*;
use crate::domain::reset::{CommittedOffset, GroupSnapshot, PartitionSnapshot};
use crate::domain::reset::{Scope, Snapshot};
use crate::domain::{GroupState, GroupType};

/// Topic `t` with partitions 0 and 1 (log 0..100), group `g` committed at 50 and 80.
fn snapshot() -> Snapshot {
    Snapshot {
        taken_at_ms: 1_000_000,
        groups: vec![GroupSnapshot {
            group: "g".into(),
            state: GroupState::Empty,
            group_type: GroupType::Classic,
            exists: true,
            members: vec![],
            committed: [(0, 50), (1, 80)]
                .iter()
                .map(|(p, o)| CommittedOffset {
                    topic: "t".into(),
                    partition: *p,
                    offset: *o,
                    metadata: String::new(),
                })
                .collect(),
        }],
        partitions: (0..2)
            .map(|p| PartitionSnapshot {
                topic: "t".into(),
                partition: p,
                leader: Some(1),
                log_start: Some(0),
                log_end: Some(100),
            })
            .collect(),
        missing_topics: vec![],
        time_lookup: None,
        source: None,
        backup: None,
    }
}

fn form(strategy: &str, value: &str, scope: &str) -> FormInputs {
    FormInputs {
        strategy: strategy.into(),
        value: value.into(),
        scope: scope.into(),
        ..Default::default()
    }
}

#[test]
fn the_form_becomes_a_spec_or_a_specific_message() {
    let s = build_spec("c", "g", &form("shift-by", "-10", "")).unwrap();
    assert_eq!(s.strategy, Strategy::ShiftBy { shift: -10 });
    assert_eq!(s.scope, Scope::AllTopics);
    assert_eq!(
        build_spec("c", "g", &form("shift-by", "ten", "")).unwrap_err(),
        FormError::at(Field::Value, "The shift must be a whole number, got 'ten'")
    );
    let e = build_spec("c", "g", &form("by-duration", "P1W", "")).unwrap_err();
    assert_eq!(e.field, Field::Value);
    assert!(
        e.message.contains("Cannot parse 'P1W' as a duration"),
        "{e}"
    );
    let e = build_spec("c", "g", &form("copy-from-group", "g", "")).unwrap_err();
    assert!(e.message.contains("itself"), "{e}");
    let bad_csv = FormInputs {
        csv: "t,0,5\nt,x,5\n".into(),
        ..form("from-file", "", "")
    };
    let e = build_spec("c", "g", &bad_csv).unwrap_err();
    assert_eq!(e.field, Field::Csv);
    assert!(e.message.contains("line 2"), "{e}");
}

/// Issue 18, item 5: each message belongs to the field that caused it.
#[test]
fn each_message_names_its_field() {
    let field = |f: FormInputs| build_spec("c", "g", &f).unwrap_err().field;
    assert_eq!(field(form("nope", "", "")), Field::Strategy);
    assert_eq!(field(form("to-offset", "x", "")), Field::Value);
    assert_eq!(field(form("to-datetime", "2026-02-30", "")), Field::Value);
    assert_eq!(field(form("to-offset", "5", "t:3-1")), Field::Scope);
    assert_eq!(field(form("to-offset", "5", "t:0,0")), Field::Scope);
    assert_eq!(
        field(FormInputs {
            zone: "Mars/Olympus".into(),
            ..form("to-datetime", "2026-11-24T08:00:00", "")
        }),
        Field::Zone
    );
    assert_eq!(field(form("from-file", "", "")), Field::Csv);
}

/// Issue 18, item 6: a chosen file that is empty is said to be empty, not missing.
#[test]
fn an_empty_file_is_named_empty() {
    let none = build_spec("c", "g", &form("from-file", "", "")).unwrap_err();
    assert!(none.message.starts_with("Choose a CSV file"), "{none}");
    let empty = FormInputs {
        csv: "\n \n".into(),
        csv_name: "plan.csv".into(),
        ..form("from-file", "", "")
    };
    assert_eq!(
        build_spec("c", "g", &empty).unwrap_err().message,
        "The file 'plan.csv' is empty: it needs one line per partition (topic,partition,offset or group,topic,partition,offset)."
    );
}

#[test]
fn scope_ranges_expand_and_wrong_ones_are_named() {
    let Scope::Topics { topics } = parse_scope("t:0-2,5 u").unwrap() else {
        panic!("topics expected")
    };
    assert_eq!(topics[0].partitions, Some(vec![0, 1, 2, 5]));
    assert_eq!(topics[1].partitions, None);
    assert_eq!(
        parse_scope("t:3-1").unwrap_err(),
        "In 't:3-1': the range 3-1 runs backwards"
    );
    assert!(parse_scope("t:0-999999").is_err());
    // A typo like 0-99999 no longer lists 100,000 partitions; a 10,000-partition topic still fits.
    assert!(parse_scope("x:0-99999")
        .unwrap_err()
        .contains("more than 10000 partitions"));
    assert!(parse_scope("x:0-9999").is_ok());
}

#[test]
fn a_negative_duration_is_refused_by_the_form_and_a_positive_one_is_not() {
    for typed in ["-2h", "-PT2H", " -90m"] {
        assert_eq!(
            build_spec("c", "g", &form("by-duration", typed, "")),
            Err(FormError::at(Field::Value, NEGATIVE_DURATION)),
            "{typed}"
        );
    }
    assert!(build_spec("c", "g", &form("by-duration", "PT2H", "")).is_ok());
    assert!(build_spec("c", "g", &form("by-duration", "0s", "")).is_ok());
}

#[test]
fn the_browser_plans_what_the_snapshot_covers_and_asks_kafka_for_the_rest() {
    let snap = snapshot();
    let read_for = build_spec("c", "g", &form("to-current", "", "")).unwrap();
    let shift = build_spec("c", "g", &form("shift-by", "-10", "")).unwrap();
    let Local::Planned(plan) = plan_locally(&shift, &snap, &read_for, 1_000_000) else {
        panic!("planned expected")
    };
    assert_eq!(plan, Box::new(planner::plan(&shift, &snap).unwrap()));
    let other_topic = build_spec("c", "g", &form("to-earliest", "", "u")).unwrap();
    assert_eq!(
        plan_locally(&other_topic, &snap, &read_for, 1_000_000),
        Local::NeedsKafka("the partitions of topic 'u'".into())
    );
    let at = build_spec(
        "c",
        "g",
        &FormInputs {
            zone: "UTC".into(),
            ..form("to-datetime", "2026-11-24T00:00:00.000", "")
        },
    )
    .unwrap();
    assert_eq!(
        plan_locally(&at, &snap, &read_for, 1_000_000),
        Local::NeedsKafka("the offsets for this instant".into())
    );
    let (all, topics) = totals(&plan);
    assert_eq!((all.changed, all.reread, all.skipped), (2, 20, 0));
    assert_eq!(topics.len(), 1);
}

#[test]
fn tracks_place_markers_between_the_log_bounds() {
    let snap = snapshot();
    let spec = build_spec("c", "g", &form("to-offset", "90", "t:0")).unwrap();
    let plan = planner::plan(&spec, &snap).unwrap();
    let t = track(&plan.groups[0].partitions[0]);
    assert_eq!((t.current_pct, t.target_pct), (Some(50.0), Some(90.0)));
    assert_eq!(t.span, Some((50.0, 40.0)));
    assert_eq!(t.kind, Move::Skip);
}

#[test]
fn drift_lists_partitions_that_moved_and_links_round_trip() {
    let mut snap = snapshot();
    let spec = build_spec("c", "g", &form("shift-by", "-5", "")).unwrap();
    let then = planner::plan(&spec, &snap).unwrap();
    snap.groups[0].committed[1].offset = 90;
    let now = planner::plan(&spec, &snap).unwrap();
    let rows = drift(&then, &now);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].partition, rows[0].current_then, rows[0].current_now),
        (1, Some(80), Some(90))
    );
    assert_eq!(
        (rows[0].target_then, rows[0].target_now),
        (Some(75), Some(85))
    );
    assert_eq!(set_scope_topic("a b:1", "b", Some(Some("0-3"))), "a b:0-3");
    assert_eq!(set_scope_topic("a b:1", "a", None), "b:1");
    assert_eq!(set_scope_topic("a", "c", Some(None)), "a c");
    assert_eq!(
        scope_topics("a b:1,2")[1],
        ("b".to_string(), Some("1,2".to_string()))
    );
    let f = form_of(&spec);
    assert_eq!(f, form("shift-by", "-5", ""));
    assert_eq!(
        plan_link("c", "a&b", &f),
        "/group?cluster=c&id=a%26b&strategy=shift-by&value=-5"
    );
}

/// Issue 18, item 6: a scope's faults name the value and what would be valid.
#[test]
fn scope_faults_name_the_value() {
    assert_eq!(
        parse_scope("orders:-1").unwrap_err(),
        "In 'orders:-1': partition -1 is negative; partitions are numbered from 0"
    );
    assert_eq!(
        parse_scope("orders:0,-3").unwrap_err(),
        "In 'orders:0,-3': partition -3 is negative; partitions are numbered from 0"
    );
    assert_eq!(
        parse_scope("orders:2-").unwrap_err(),
        "In 'orders:2-': a partition number is missing (write 0-9 or 0,3,7)"
    );
    assert_eq!(
        parse_scope("orders:a-3").unwrap_err(),
        "In 'orders:a-3': 'a' is not a partition number (write 0-9 or 0,3,7)"
    );
}
