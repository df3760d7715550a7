//! Lag over time: the sampled points of a group, how they are rebuilt from change-only storage, and the
//! status rules (after LinkedIn's Burrow) that judge a window of them. Pure: the server samples and
//! stores, the browser draws, both read these types.

use serde::{Deserialize, Serialize};

/// One sampling pass of a cluster: when it ran and whether Kafka answered it. A failed pass is a gap
/// in every group's history, never a zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    pub t_ms: i64,
    pub ok: bool,
}

/// What a pass saw of one topic of one group. `lag == None`: the group's offsets were unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicValue {
    pub lag: Option<i64>,
    /// Sum of the committed offsets on the topic: moves forward as the group consumes, back on a rewind.
    pub committed: i64,
    /// Age of the oldest unread record on the topic when it was read (only for groups watched then).
    pub time_lag_ms: Option<i64>,
    /// The group had members (a consumer was running).
    pub active: bool,
    /// The group has no offsets on the topic any more (it left it, or they were deleted): the topic's
    /// series ends here, where `lag: None` alone is a gap in it.
    #[serde(default)]
    pub ended: bool,
}

/// A stored change: from `t_ms` on, `topic` of the group reads `value` until the next change or gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChange {
    pub topic: String,
    pub t_ms: i64,
    pub value: TopicValue,
}

/// A group's totals at one pass; `None` fields in a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub t_ms: i64,
    /// None: a gap (the pass failed, or the group's offsets could not be read).
    pub lag: Option<i64>,
    pub committed: Option<i64>,
    pub time_lag_ms: Option<i64>,
    pub active: bool,
    /// A topic's committed offsets went back since its previous readable sample (a reset). Judged per
    /// topic: a topic the group stops committing on lowers the total without rewinding anything.
    #[serde(default)]
    pub moved_back: bool,
}

/// One topic's points over the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSeries {
    pub topic: String,
    pub points: Vec<Point>,
}

/// An execution (or undo) of this group inside the window, drawn as a marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub t_ms: i64,
    pub execution_id: i64,
    pub actor: String,
    pub what: String,
    pub undo_of: Option<i64>,
}

/// How a group is doing over a window of samples (see `judge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    Ok,
    Warning,
    Stalled,
    Stopped,
    Rewound,
    Error,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Ok,
        Status::Warning,
        Status::Stalled,
        Status::Stopped,
        Status::Rewound,
        Status::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Stalled => "STALLED",
            Self::Stopped => "STOPPED",
            Self::Rewound => "REWOUND",
            Self::Error => "ERROR",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    /// What the status means, for a tooltip.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Ok => "Keeping up: caught up at some point in the window, or lag not growing",
            Self::Warning => "Consuming, but lag grew over the window",
            Self::Stalled => {
                "A consumer is running, but its committed offsets have not moved while records wait"
            }
            Self::Stopped => "No consumer and no commits while records wait",
            Self::Rewound => "Committed offsets moved backwards in the window",
            Self::Error => "The group's offsets could not be read at the last sample",
        }
    }
}

/// A group's status with what decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    pub status: Status,
    /// Rewind's execution that moved the offsets back, for `Rewound` when it was Rewind.
    pub rewound_by: Option<i64>,
}

/// Samples a window needs before it is judged: fewer say nothing about a trend.
pub const MIN_SAMPLES: usize = 3;

/// Judges a window of a group's totals (oldest first), after Burrow's rules, in this order:
/// 1. ERROR: the newest sample is a gap (the group or the cluster was unreadable).
/// 2. REWOUND: a topic's committed offsets went back since its previous readable sample (a reset;
///    `markers` name the execution when one of Rewind's landed between the two samples).
/// 3. OK: some sample had no lag (the group caught up inside the window).
/// 4. Committed offsets did not move across the window while records wait (lag > 0 at the end):
///    STALLED when a consumer was running at the end, STOPPED when none was.
/// 5. WARNING: offsets moved, yet lag grew at every step that changed it and ends above where it began.
/// 6. OK otherwise.
///
/// Returns None with fewer than `MIN_SAMPLES` readable samples.
pub fn judge(points: &[Point], markers: &[Marker]) -> Option<Judgement> {
    let last = points.last()?;
    if last.lag.is_none() {
        return Some(Judgement {
            status: Status::Error,
            rewound_by: None,
        });
    }
    let read: Vec<(i64, i64, i64, bool)> = points
        .iter()
        .filter_map(|p| Some((p.t_ms, p.lag?, p.committed?, p.active)))
        .collect();
    if read.len() < MIN_SAMPLES {
        return None;
    }
    let first_t = read[0].0;
    let back = points
        .iter()
        .enumerate()
        .rev()
        .find(|(_, p)| p.moved_back && p.lag.is_some() && p.t_ms > first_t);
    if let Some((i, p)) = back {
        // The sample before it; an execution started up to one interval before that one still
        // committed after it (a pass can run while an execution does).
        let prev = points[..i]
            .iter()
            .rev()
            .find(|q| q.lag.is_some())
            .map_or(first_t, |q| q.t_ms);
        let since = prev - (p.t_ms - prev);
        let rewound_by = markers
            .iter()
            .filter(|m| m.t_ms > since && m.t_ms <= p.t_ms)
            .map(|m| m.execution_id)
            .next_back();
        return Some(Judgement {
            status: Status::Rewound,
            rewound_by,
        });
    }
    let status = if read.iter().any(|r| r.1 == 0) {
        Status::Ok
    } else {
        let (first, end) = (read[0], read[read.len() - 1]);
        if end.2 == first.2 {
            if end.3 {
                Status::Stalled
            } else {
                Status::Stopped
            }
        } else {
            let growing = read.windows(2).all(|w| w[1].1 >= w[0].1) && end.1 > first.1;
            if growing {
                Status::Warning
            } else {
                Status::Ok
            }
        }
    };
    Some(Judgement {
        status,
        rewound_by: None,
    })
}

/// Rebuilds each topic's points at every pass from change-only storage. `changes` are sorted by
/// time and include, per topic, the last change before the first pass (the value it still held).
/// After a failed pass a topic holds nothing until its next change (the sampler writes every value
/// afresh after a gap), so gaps stay gaps.
pub fn rebuild(passes: &[Pass], changes: &[StoredChange]) -> Vec<TopicSeries> {
    let mut topics: Vec<String> = changes.iter().map(|c| c.topic.clone()).collect();
    topics.sort();
    topics.dedup();
    topics
        .into_iter()
        .map(|topic| {
            let mine: Vec<&StoredChange> = changes.iter().filter(|c| c.topic == topic).collect();
            let mut next = 0;
            let mut held: Option<TopicValue> = None;
            let mut started = false;
            let mut last_committed: Option<i64> = None;
            let mut points = Vec::new();
            for pass in passes {
                while next < mine.len() && mine[next].t_ms <= pass.t_ms {
                    held = Some(mine[next].value);
                    next += 1;
                }
                // An unchanged value is not written again: it carries until the next change or a
                // gap (after which the sampler writes every value afresh).
                if !pass.ok {
                    held = None;
                }
                // Passes before the topic's first value are not gaps: the group had no offsets
                // there yet, so the series starts at its first value, and stops where it ended.
                if held.is_some_and(|v| v.ended) {
                    started = false;
                    continue;
                }
                started |= held.is_some();
                if !started {
                    continue;
                }
                let v = held.filter(|v| v.lag.is_some());
                let committed = v.map(|v| v.committed);
                let moved_back = matches!((last_committed, committed), (Some(a), Some(b)) if b < a);
                if committed.is_some() {
                    last_committed = committed;
                }
                points.push(Point {
                    t_ms: pass.t_ms,
                    lag: v.and_then(|v| v.lag),
                    committed,
                    time_lag_ms: v.and_then(|v| v.time_lag_ms),
                    active: v.is_some_and(|v| v.active),
                    moved_back,
                });
            }
            TopicSeries { topic, points }
        })
        .collect()
}

/// The group's totals at each pass since its first value: sums over topics (a gap when any topic is
/// in one), the largest lag in time, and whether any topic moved back.
pub fn totals(passes: &[Pass], series: &[TopicSeries]) -> Vec<Point> {
    // Each series has points at the passes where the topic was the group's, in pass order.
    let mut cursors = vec![0usize; series.len()];
    passes
        .iter()
        .filter_map(|pass| {
            let mut at: Vec<&Point> = Vec::new();
            for (s, c) in series.iter().zip(cursors.iter_mut()) {
                while s.points.get(*c).is_some_and(|p| p.t_ms < pass.t_ms) {
                    *c += 1;
                }
                if let Some(p) = s.points.get(*c).filter(|p| p.t_ms == pass.t_ms) {
                    at.push(p);
                }
            }
            // No topic is the group's at this pass (not yet, or no more): no point at all.
            if at.is_empty() {
                return None;
            }
            let readable = pass.ok && at.iter().all(|p| p.lag.is_some());
            Some(Point {
                t_ms: pass.t_ms,
                lag: readable.then(|| at.iter().filter_map(|p| p.lag).sum()),
                committed: readable.then(|| at.iter().filter_map(|p| p.committed).sum()),
                time_lag_ms: at.iter().filter_map(|p| p.time_lag_ms).max(),
                active: at.iter().any(|p| p.active),
                moved_back: at.iter().any(|p| p.moved_back),
            })
        })
        .collect()
}

/// A group's lag history over a window, as the group page draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagHistory {
    pub group: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// Sampling interval, so the chart can tell a gap from a sparse window.
    pub interval_ms: i64,
    pub totals: Vec<Point>,
    pub topics: Vec<TopicSeries>,
    pub markers: Vec<Marker>,
    pub judgement: Option<Judgement>,
    /// Pinned: sampled per partition whether or not anyone is looking.
    #[serde(default)]
    pub pinned: bool,
    /// Topics with per-partition samples in the window (the group was watched or pinned then).
    #[serde(default)]
    pub partition_topics: Vec<String>,
    /// The per-partition lines of the topic asked for, if any.
    #[serde(default)]
    pub partitions: Option<PartitionLines>,
}

/// Partitions of one topic drawn as lines: the `PARTITION_LINES` with the most lag at their last
/// sample (a chart of ten thousand lines shows nothing), each series named by its partition number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionLines {
    pub topic: String,
    pub series: Vec<TopicSeries>,
    /// How many partitions of the topic have samples in the window.
    pub of: usize,
}

/// Per-partition lines a chart draws at most.
pub const PARTITION_LINES: usize = 10;

/// The `n` series with the most lag at their last readable sample (a tie: the lower partition
/// first), in partition order; series are named by partition number.
pub fn most_lagging(mut series: Vec<TopicSeries>, n: usize) -> Vec<TopicSeries> {
    let last = |s: &TopicSeries| s.points.iter().rev().find_map(|p| p.lag);
    let number = |s: &TopicSeries| s.topic.parse::<i64>().unwrap_or(i64::MAX);
    series.sort_by(|a, b| {
        last(b)
            .cmp(&last(a))
            .then_with(|| number(a).cmp(&number(b)))
    });
    series.truncate(n);
    series.sort_by_key(|s| number(s));
    series
}

/// The windows the chart offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Window {
    #[default]
    Hour,
    SixHours,
    Day,
    Week,
}

impl Window {
    pub const ALL: [Window; 4] = [Window::Hour, Window::SixHours, Window::Day, Window::Week];

    pub fn ms(self) -> i64 {
        const H: i64 = 3_600_000;
        match self {
            Self::Hour => H,
            Self::SixHours => 6 * H,
            Self::Day => 24 * H,
            Self::Week => 7 * 24 * H,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Hour => "1 h",
            Self::SixHours => "6 h",
            Self::Day => "24 h",
            Self::Week => "7 d",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::SixHours => "6h",
            Self::Day => "24h",
            Self::Week => "7d",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.key() == s)
    }
}

/// Points kept for drawing: at most `max` per series, each bucket keeping its largest lag (a spike
/// must not vanish when a week is drawn in 400 pixels) and a gap when any of it was one.
pub fn downsample(points: &[Point], max: usize) -> Vec<Point> {
    if points.len() <= max || max == 0 {
        return points.to_vec();
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .filter_map(|c| {
            let last = *c.last()?;
            if c.iter().any(|p| p.lag.is_none()) {
                return Some(Point {
                    lag: None,
                    committed: None,
                    ..last
                });
            }
            let top = c.iter().max_by_key(|p| p.lag).copied().unwrap_or(last);
            Some(Point {
                t_ms: last.t_ms,
                time_lag_ms: c.iter().filter_map(|p| p.time_lag_ms).max(),
                moved_back: c.iter().any(|p| p.moved_back),
                ..top
            })
        })
        .collect()
}

/// Every group's status and lag growth at a cluster's last sampling pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatestStatuses {
    pub by_group: std::collections::HashMap<String, (Option<Status>, Option<i64>)>,
}

/// Samples a status is judged over (Burrow's default window is ten offsets).
pub const STATUS_SAMPLES: usize = 10;

/// The status of a group from its totals: the last `STATUS_SAMPLES` of them.
pub fn judge_latest(totals: &[Point], markers: &[Marker]) -> Option<Judgement> {
    let start = totals.len().saturating_sub(STATUS_SAMPLES);
    judge(&totals[start..], markers)
}

/// A small per-group series for the groups list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sparkline {
    pub group_id: String,
    pub lags: Vec<Option<i64>>,
    pub judgement: Option<Judgement>,
    /// Lag now minus lag at the window's first readable sample: what "growing fastest" sorts by.
    pub growth: Option<i64>,
}

/// Growth of the lag over `points`: newest readable minus oldest readable.
pub fn growth(points: &[Point]) -> Option<i64> {
    let first = points.iter().find_map(|p| p.lag)?;
    let last = points.iter().rev().find_map(|p| p.lag)?;
    Some(last - first)
}

/// Replay progress after an execution that moved offsets back by `to_reread` records in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayProgress {
    pub to_reread: i64,
    /// Records consumed since the execution (committed total now minus right after), capped at the total.
    pub reread: i64,
    /// Records per second over the samples since the execution.
    pub rate_per_s: Option<f64>,
    pub eta_ms: Option<i64>,
    pub as_of_ms: Option<i64>,
}

/// How far a replay has come: `totals` sampled after the execution committed at `at_ms`, whose
/// committed total then was `start_committed`.
pub fn replay_progress(
    to_reread: i64,
    start_committed: i64,
    at_ms: i64,
    totals: &[Point],
) -> ReplayProgress {
    let after: Vec<(i64, i64)> = totals
        .iter()
        .filter(|p| p.t_ms >= at_ms)
        .filter_map(|p| Some((p.t_ms, p.committed?)))
        .collect();
    let Some(&(t_last, c_last)) = after.last() else {
        return ReplayProgress {
            to_reread,
            reread: 0,
            rate_per_s: None,
            eta_ms: None,
            as_of_ms: None,
        };
    };
    let reread = (c_last - start_committed).clamp(0, to_reread.max(0));
    let elapsed_ms = t_last - at_ms;
    let rate_per_s =
        (elapsed_ms > 0 && reread > 0).then(|| reread as f64 * 1000.0 / elapsed_ms as f64);
    let eta_ms = rate_per_s
        .filter(|r| *r > 0.0)
        .map(|r| ((to_reread - reread).max(0) as f64 / r * 1000.0).round() as i64);
    ReplayProgress {
        to_reread,
        reread,
        rate_per_s,
        eta_ms,
        as_of_ms: Some(t_last),
    }
}

#[cfg(test)]
#[path = "lag_history_tests.rs"]
mod tests;
