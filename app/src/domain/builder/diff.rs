//! What a plan adds up to, where each partition moves on its track, and how a saved plan drifted.

use std::collections::{BTreeMap, BTreeSet};

use super::super::reset::{PartitionPlan, Plan};

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
    /// A partition that re-reads had not read to its log end: the re-read ends before "now".
    pub reread_behind: bool,
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
                if p.current.is_some_and(|c| c < p.log_end) {
                    self.reread_behind = true;
                }
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
