//! The plan builder's logic, apart from its view: form inputs to a spec, planning in the browser on the
//! last snapshot, totals and diff-track geometry. Pure, so it is tested here and runs unchanged in wasm.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::planner;
use super::reset::{
    PartitionPlan, Plan, PlanError, ResetSpec, Scope, Snapshot, Strategy, StrategyKind,
    TopicPartition, TopicScope,
};

/// A partition list longer than this in a scope is refused: it would not fit a link or a form.
const MAX_SCOPED_PARTITIONS: usize = 10_000;

/// Everything the form holds. All of it but `csv` travels in a plan's link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormInputs {
    pub strategy: String,
    /// The offset, shift, date-time, duration or source group, depending on the strategy.
    pub value: String,
    pub zone: String,
    /// Space-separated topic arguments: `orders`, `orders:0,1`, `orders:0-99`.
    pub scope: String,
    pub csv: String,
}

/// Why the form refuses a negative duration. Kafka's tool accepts one (an instant in the future: every
/// partition to its log end, and the API keeps that meaning for parity), but in the form it is almost
/// always a typo for "the last two hours", and it would silently skip every record.
pub const NEGATIVE_DURATION: &str = "A negative duration points into the future, which would move every partition to its log end and skip everything in between. Enter how far back to replay, such as PT2H or 90m (to-latest skips to the end on purpose).";

/// The spec the form describes, or a message naming what is wrong with it.
pub fn build_spec(cluster: &str, group: &str, form: &FormInputs) -> Result<ResetSpec, String> {
    let value = form.value.trim();
    let number = |what: &str| {
        value
            .trim_start_matches('+')
            .parse::<i64>()
            .map_err(|_| format!("{what} must be a whole number, got '{value}'"))
    };
    let Some(kind) = StrategyKind::parse(&form.strategy).filter(|k| k.in_builder()) else {
        return Err(format!("Unknown strategy '{}'.", form.strategy));
    };
    let strategy = match kind {
        StrategyKind::ShiftBy => Strategy::ShiftBy {
            shift: number("The shift")?,
        },
        StrategyKind::ToOffset => Strategy::ToOffset {
            offset: number("The offset")?,
        },
        StrategyKind::ToDatetime => {
            if value.is_empty() {
                return Err("Enter a date and time, or pick a preset.".into());
            }
            // An input with its own offset (the CLI's `...+08:00`, or `Z`) needs no zone.
            let own_offset = super::timespec::carries_offset(value);
            Strategy::ToDatetime {
                input: value.to_owned(),
                zone: Some(form.zone.trim().to_owned()).filter(|z| !z.is_empty() && !own_offset),
            }
        }
        StrategyKind::ByDuration => {
            if value.is_empty() {
                return Err("Enter a duration such as PT2H, 90m or 1d.".into());
            }
            if super::timespec::parse_duration(value).is_ok_and(|ms| ms < 0) {
                return Err(NEGATIVE_DURATION.into());
            }
            Strategy::ByDuration {
                duration: value.to_owned(),
            }
        }
        StrategyKind::ToEarliest => Strategy::ToEarliest,
        StrategyKind::ToLatest => Strategy::ToLatest,
        StrategyKind::ToCurrent => Strategy::ToCurrent,
        StrategyKind::FromFile => {
            if form.csv.trim().is_empty() {
                return Err(
                    "Choose a CSV file (topic,partition,offset or group,topic,partition,offset)."
                        .into(),
                );
            }
            Strategy::FromFile {
                csv: form.csv.clone(),
            }
        }
        StrategyKind::CopyFromGroup => {
            if value.is_empty() {
                return Err("Enter the group to copy offsets from.".into());
            }
            Strategy::CopyFromGroup {
                group: value.to_owned(),
            }
        }
        StrategyKind::Explicit | StrategyKind::RestoreBackup => {
            return Err(format!("Unknown strategy '{}'.", form.strategy))
        }
    };
    let spec = ResetSpec {
        cluster: cluster.to_owned(),
        groups: vec![group.to_owned()],
        scope: parse_scope(&form.scope)?,
        strategy,
    };
    // Everything checkable without Kafka fails here, while typing, with the tool's message.
    planner::validate(&spec).map_err(|e| e.to_string())?;
    Ok(spec)
}

/// The scope text as a `Scope`: empty means every topic the group has committed. Partition lists take
/// ranges (`0-99`), which the reference tool does not, so a wide topic can be scoped by hand.
pub fn parse_scope(text: &str) -> Result<Scope, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Ok(Scope::AllTopics);
    }
    let mut topics = Vec::with_capacity(words.len());
    let mut total = 0usize;
    for word in words {
        let arg = match word.split_once(':') {
            Some((topic, parts)) if parts.contains('-') => {
                let expanded = expand_ranges(parts)
                    .map_err(|e| format!("In '{word}': {e}"))?
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                format!("{topic}:{expanded}")
            }
            _ => word.to_owned(),
        };
        let scope = TopicScope::parse(&arg).map_err(|e: PlanError| e.to_string())?;
        total += scope.partitions.as_ref().map_or(0, Vec::len);
        if total > MAX_SCOPED_PARTITIONS {
            return Err(format!(
                "The scope names more than {MAX_SCOPED_PARTITIONS} partitions; scope whole topics instead."
            ));
        }
        topics.push(scope);
    }
    Ok(Scope::Topics { topics })
}

/// The scope text's topics, each with its partition list as typed (None: the whole topic).
pub fn scope_topics(text: &str) -> Vec<(String, Option<String>)> {
    text.split_whitespace()
        .map(|w| match w.split_once(':') {
            Some((t, p)) => (t.to_owned(), Some(p.to_owned())),
            None => (w.to_owned(), None),
        })
        .collect()
}

/// The scope text with `topic` removed (`None`), or set to the whole topic (`Some(None)`) or to a
/// partition list (`Some(Some("0-9"))`), keeping the other topics in their order.
pub fn set_scope_topic(text: &str, topic: &str, to: Option<Option<&str>>) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut placed = false;
    let word = |parts: Option<&str>| match parts.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => format!("{topic}:{p}"),
        None => topic.to_owned(),
    };
    for (t, p) in scope_topics(text) {
        if t != topic {
            words.push(match p {
                Some(p) => format!("{t}:{p}"),
                None => t,
            });
        } else if let (Some(parts), false) = (to, placed) {
            words.push(word(parts));
            placed = true;
        }
    }
    if let (Some(parts), false) = (to, placed) {
        words.push(word(parts));
    }
    words.join(" ")
}

/// `0-3,7` -> `[0, 1, 2, 3, 7]`.
fn expand_ranges(parts: &str) -> Result<Vec<i32>, String> {
    let mut out = Vec::new();
    for piece in parts.split(',') {
        let piece = piece.trim();
        match piece.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (partition_number(a)?, partition_number(b)?);
                if a > b {
                    return Err(format!("the range {a}-{b} runs backwards"));
                }
                // Counted before expanding: a link must not make the server or the tab build a huge list.
                if out.len() + (b - a) as usize >= MAX_SCOPED_PARTITIONS {
                    return Err(format!(
                        "more than {MAX_SCOPED_PARTITIONS} partitions; scope the whole topic instead"
                    ));
                }
                out.extend(a..=b);
            }
            None => out.push(partition_number(piece)?),
        }
        if out.len() > MAX_SCOPED_PARTITIONS {
            return Err(format!(
                "more than {MAX_SCOPED_PARTITIONS} partitions; scope the whole topic instead"
            ));
        }
    }
    Ok(out)
}

fn partition_number(s: &str) -> Result<i32, String> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| format!("'{s}' is not a partition number"))
}

/// What the browser can say about a spec with the snapshot it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// Planned on the snapshot, exactly as the server would plan it on the same snapshot.
    Planned(Box<Plan>),
    /// The snapshot lacks something this spec needs (a topic, a time lookup, a source group).
    NeedsKafka(String),
    /// The spec cannot be planned, whatever Kafka holds.
    Invalid(String),
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
        return Local::Invalid(e.to_string());
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
            Err(e) => return Local::Invalid(e.to_string()),
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
        Err(e) => Local::Invalid(e.to_string()),
    }
}

/// What a set of partition plans adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub partitions: usize,
    pub changed: usize,
    pub reread: i64,
    pub skipped: i64,
    /// Offsets the plan deletes (undo of a partition that had none).
    pub deleted: usize,
    pub warnings: usize,
    /// The time of the earliest record that will be re-read, where known.
    pub reread_from_ms: Option<i64>,
}

impl Totals {
    fn add(&mut self, p: &PartitionPlan) {
        self.partitions += 1;
        if p.changes() {
            self.changed += 1;
        }
        if p.target.is_none() {
            self.deleted += 1;
        }
        if !p.warnings.is_empty() {
            self.warnings += 1;
        }
        match p.delta() {
            Some(d) if d < 0 => {
                self.reread += -d;
                if let Some(t) = p.target_timestamp {
                    self.reread_from_ms = Some(self.reread_from_ms.map_or(t, |m| m.min(t)));
                }
            }
            Some(d) => self.skipped += d,
            None => {}
        }
    }
}

/// Totals over the whole plan and per topic (topics in name order).
pub fn totals(plan: &Plan) -> (Totals, Vec<(String, Totals)>) {
    let mut all = Totals::default();
    let mut by_topic: BTreeMap<&str, Totals> = BTreeMap::new();
    for p in plan.groups.iter().flat_map(|g| g.partitions.iter()) {
        all.add(p);
        by_topic.entry(p.topic.as_str()).or_default().add(p);
    }
    let topics = by_topic
        .into_iter()
        .map(|(t, totals)| (t.to_owned(), totals))
        .collect();
    (all, topics)
}

/// Where a partition's markers sit on its track from log start (0 %) to log end (100 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Track {
    pub current_pct: Option<f64>,
    pub target_pct: Option<f64>,
    /// The span between current and target, as (left, width) in percent.
    pub span: Option<(f64, f64)>,
    pub kind: Move,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Reread,
    Skip,
    Stay,
    Delete,
}

pub fn track(p: &PartitionPlan) -> Track {
    let width = (p.log_end - p.log_start).max(0) as f64;
    let pct = |o: i64| {
        if width == 0.0 {
            if o > p.log_start {
                100.0
            } else {
                0.0
            }
        } else {
            ((o - p.log_start) as f64 / width * 100.0).clamp(0.0, 100.0)
        }
    };
    let current_pct = p.current.map(pct);
    let target_pct = p.target.map(pct);
    let kind = match (p.target, p.delta()) {
        (None, _) => Move::Delete,
        (_, Some(d)) if d < 0 => Move::Reread,
        (_, Some(d)) if d > 0 => Move::Skip,
        _ => Move::Stay,
    };
    let span = match (current_pct, target_pct) {
        (Some(c), Some(t)) if c != t => Some((c.min(t), (c - t).abs())),
        _ => None,
    };
    Track {
        current_pct,
        target_pct,
        span,
        kind,
    }
}

/// The link that reproduces a plan: the group page with the form's inputs (the CSV stays out, it may be
/// large; a plan from a file is shared by saving it).
pub fn plan_link(cluster: &str, group: &str, form: &FormInputs) -> String {
    use crate::format::query_value as q;
    let mut link = format!(
        "{}&strategy={}",
        crate::format::group_href(cluster, group),
        q(&form.strategy)
    );
    for (key, value) in [
        ("value", &form.value),
        ("zone", &form.zone),
        ("scope", &form.scope),
    ] {
        if !value.is_empty() {
            link.push_str(&format!("&{key}={}", q(value)));
        }
    }
    link
}

/// The form that reproduces a spec, for opening a saved plan in the builder.
pub fn form_of(spec: &ResetSpec) -> FormInputs {
    let (value, zone, csv) = match &spec.strategy {
        Strategy::ShiftBy { shift } => (shift.to_string(), String::new(), String::new()),
        Strategy::ToOffset { offset } => (offset.to_string(), String::new(), String::new()),
        Strategy::ToDatetime { input, zone } => (
            input.clone(),
            zone.clone().unwrap_or_default(),
            String::new(),
        ),
        Strategy::ByDuration { duration } => (duration.clone(), String::new(), String::new()),
        Strategy::CopyFromGroup { group } => (group.clone(), String::new(), String::new()),
        Strategy::FromFile { csv } => (String::new(), String::new(), csv.clone()),
        _ => Default::default(),
    };
    let scope = match &spec.scope {
        Scope::AllTopics => String::new(),
        Scope::Topics { topics } => topics
            .iter()
            .map(TopicScope::to_arg)
            .collect::<Vec<_>>()
            .join(" "),
    };
    FormInputs {
        strategy: spec.strategy.name().to_owned(),
        value,
        zone,
        scope,
        csv,
    }
}

/// A spec in one line, as history and saved plans name it: `shift-by -100 on all topics`.
pub fn describe(spec: &ResetSpec) -> String {
    let form = form_of(spec);
    let what = match &spec.strategy {
        Strategy::ToDatetime { input, zone } => match zone {
            Some(z) => format!("to-datetime {input} ({z})"),
            None => format!("to-datetime {input}"),
        },
        Strategy::FromFile { csv } => format!("from-file ({} lines)", csv.lines().count()),
        Strategy::Explicit { offsets } => format!("explicit ({} offsets)", offsets.len()),
        Strategy::RestoreBackup { execution } => {
            format!("restore the backup of execution {execution}")
        }
        _ if form.value.is_empty() => form.strategy.clone(),
        _ => format!("{} {}", form.strategy, form.value),
    };
    let scope = if form.scope.is_empty() {
        "all topics".to_owned()
    } else {
        form.scope
    };
    format!("{what} on {scope}")
}

/// How a saved plan's partitions moved since it was made: (partition, then, now) where the current
/// offset or the target differs, plus partitions only one of the two plans has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftRow {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub current_then: Option<i64>,
    pub current_now: Option<i64>,
    pub target_then: Option<i64>,
    pub target_now: Option<i64>,
    /// In only one of the two plans.
    pub only_in: Option<&'static str>,
}

pub fn drift(then: &Plan, now: &Plan) -> Vec<DriftRow> {
    type Rows = BTreeMap<(String, String, i32), (Option<i64>, Option<i64>)>;
    let rows = |plan: &Plan| -> Rows {
        plan.groups
            .iter()
            .flat_map(|g| {
                g.partitions.iter().map(move |p| {
                    (
                        (g.group.clone(), p.topic.clone(), p.partition),
                        (p.current, p.target),
                    )
                })
            })
            .collect()
    };
    let (a, b) = (rows(then), rows(now));
    let keys: BTreeSet<&(String, String, i32)> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(k), b.get(k));
            if x == y {
                return None;
            }
            Some(DriftRow {
                group: k.0.clone(),
                topic: k.1.clone(),
                partition: k.2,
                current_then: x.and_then(|v| v.0),
                current_now: y.and_then(|v| v.0),
                target_then: x.and_then(|v| v.1),
                target_now: y.and_then(|v| v.1),
                only_in: match (x, y) {
                    (None, _) => Some("now"),
                    (_, None) => Some("then"),
                    _ => None,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reset::{CommittedOffset, GroupSnapshot, PartitionSnapshot};
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
            "The shift must be a whole number, got 'ten'"
        );
        let e = build_spec("c", "g", &form("by-duration", "P1W", "")).unwrap_err();
        assert!(e.contains("Cannot parse 'P1W' as a duration"), "{e}");
        let e = build_spec("c", "g", &form("copy-from-group", "g", "")).unwrap_err();
        assert!(e.contains("itself") || e.contains("same"), "{e}");
        let bad_csv = FormInputs {
            csv: "t,0,5\nt,x,5\n".into(),
            ..form("from-file", "", "")
        };
        let e = build_spec("c", "g", &bad_csv).unwrap_err();
        assert!(
            e.contains("line 2") || e.contains("Line 2") || e.contains("x"),
            "{e}"
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
                Err(NEGATIVE_DURATION.to_owned()),
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
}
