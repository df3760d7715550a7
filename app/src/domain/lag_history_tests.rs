//! Unit tests of the lag-history rules: rebuilding from change-only rows, totals, status, progress.

use super::*;

fn p(t: i64, lag: i64, committed: i64, active: bool) -> Point {
    Point {
        t_ms: t,
        lag: Some(lag),
        committed: Some(committed),
        time_lag_ms: None,
        active,
        moved_back: false,
    }
}

fn back(p: Point) -> Point {
    Point {
        moved_back: true,
        ..p
    }
}

fn gap(t: i64) -> Point {
    Point {
        t_ms: t,
        lag: None,
        committed: None,
        time_lag_ms: None,
        active: false,
        moved_back: false,
    }
}

fn status(points: &[Point]) -> Option<Status> {
    judge(points, &[]).map(|j| j.status)
}

#[test]
fn each_status_is_reached_by_what_it_describes() {
    // Caught up once in the window.
    assert_eq!(
        status(&[p(1, 5, 10, true), p(2, 0, 15, true), p(3, 3, 18, true)]),
        Some(Status::Ok)
    );
    // Consuming, lag shrinking.
    assert_eq!(
        status(&[p(1, 9, 10, true), p(2, 7, 15, true), p(3, 5, 20, true)]),
        Some(Status::Ok)
    );
    // Consuming, lag growing.
    assert_eq!(
        status(&[p(1, 5, 10, true), p(2, 8, 12, true), p(3, 12, 14, true)]),
        Some(Status::Warning)
    );
    // A member, offsets frozen, records waiting.
    assert_eq!(
        status(&[p(1, 5, 10, true), p(2, 9, 10, true), p(3, 9, 10, true)]),
        Some(Status::Stalled)
    );
    // Nobody, offsets frozen, records waiting.
    assert_eq!(
        status(&[p(1, 5, 10, false), p(2, 9, 10, false), p(3, 12, 10, false)]),
        Some(Status::Stopped)
    );
    // Offsets went back.
    assert_eq!(
        status(&[
            p(1, 0, 100, false),
            back(p(2, 60, 40, false)),
            p(3, 60, 40, false)
        ]),
        Some(Status::Rewound)
    );
    // A total that fell because a topic left the group (no topic moved back) is no rewind.
    assert_eq!(
        status(&[p(1, 0, 100, false), p(2, 0, 40, false), p(3, 0, 40, false)]),
        Some(Status::Ok)
    );
    // Last sample unreadable.
    assert_eq!(
        status(&[p(1, 0, 100, false), p(2, 0, 100, false), gap(3)]),
        Some(Status::Error)
    );
    // Too few samples to judge.
    assert_eq!(
        status(&[gap(1), p(2, 0, 100, false), p(3, 0, 100, false)]),
        None
    );
}

#[test]
fn a_rewind_names_the_execution_that_landed_between_its_samples() {
    let markers = [
        Marker {
            t_ms: 5,
            execution_id: 7,
            actor: "ada".into(),
            what: "to-earliest".into(),
            undo_of: None,
        },
        Marker {
            t_ms: 25,
            execution_id: 8,
            actor: "ada".into(),
            what: "shift-by -10".into(),
            undo_of: None,
        },
    ];
    let points = [
        p(10, 0, 100, false),
        p(20, 0, 100, false),
        back(p(30, 10, 90, false)),
    ];
    let j = judge(&points, &markers).expect("judged");
    assert_eq!((j.status, j.rewound_by), (Status::Rewound, Some(8)));
    // A consumer's own rewind (no execution in between) is still a rewind, of nobody's.
    assert_eq!(
        judge(&points, &markers[..1]).and_then(|j| j.rewound_by),
        None
    );
}

fn change(topic: &str, t: i64, lag: i64, committed: i64) -> StoredChange {
    StoredChange {
        topic: topic.into(),
        t_ms: t,
        value: TopicValue {
            lag: Some(lag),
            committed,
            time_lag_ms: None,
            active: true,
            ended: false,
        },
    }
}

#[test]
fn unchanged_values_carry_and_gaps_stay_gaps() {
    let passes = [
        Pass { t_ms: 10, ok: true },
        Pass { t_ms: 20, ok: true },
        Pass {
            t_ms: 30,
            ok: false,
        },
        Pass { t_ms: 40, ok: true },
        Pass { t_ms: 50, ok: true },
    ];
    // Written at 10 (then unchanged at 20), nothing at 30 (failed), afresh at 40, unchanged at 50.
    let changes = [
        change("a", 10, 5, 100),
        change("b", 10, 1, 7),
        change("a", 40, 6, 110),
        change("b", 40, 1, 7),
    ];
    let series = rebuild(&passes, &changes);
    let a: Vec<Option<i64>> = series[0].points.iter().map(|p| p.lag).collect();
    assert_eq!(a, [Some(5), Some(5), None, Some(6), Some(6)]);
    let t = totals(&passes, &series);
    let lags: Vec<Option<i64>> = t.iter().map(|p| p.lag).collect();
    assert_eq!(lags, [Some(6), Some(6), None, Some(7), Some(7)]);
    assert_eq!(t[3].committed, Some(117));
}

#[test]
fn a_topic_without_a_fresh_value_after_a_gap_is_a_gap() {
    let passes = [
        Pass { t_ms: 10, ok: true },
        Pass {
            t_ms: 20,
            ok: false,
        },
        Pass { t_ms: 30, ok: true },
    ];
    let series = rebuild(&passes, &[change("a", 10, 5, 100)]);
    let a: Vec<Option<i64>> = series[0].points.iter().map(|p| p.lag).collect();
    assert_eq!(a, [Some(5), None, None]);
}

#[test]
fn downsampling_keeps_spikes_and_gaps() {
    let points: Vec<Point> = (0..100)
        .map(|i| p(i, if i == 42 { 1000 } else { 1 }, i, true))
        .collect();
    let mut with_gap = points.clone();
    with_gap[77] = gap(77);
    let d = downsample(&with_gap, 10);
    assert_eq!(d.len(), 10);
    assert!(d.iter().any(|p| p.lag == Some(1000)));
    assert!(d.iter().any(|p| p.lag.is_none()));
}

#[test]
fn replay_progress_counts_records_reread_since_the_execution() {
    let totals = [
        p(0, 0, 1000, true),
        p(10_000, 900, 200, true),
        p(20_000, 700, 400, true),
        p(30_000, 500, 600, true),
    ];
    let r = replay_progress(800, 200, 10_000, &totals);
    assert_eq!(r.reread, 400);
    assert_eq!(r.rate_per_s, Some(20.0));
    assert_eq!(r.eta_ms, Some(20_000));
    assert_eq!(growth(&totals), Some(500));
}

#[test]
fn a_series_starts_at_its_first_value_and_a_reset_is_seen_per_topic() {
    let passes: Vec<Pass> = (1..=4)
        .map(|i| Pass {
            t_ms: i * 10,
            ok: true,
        })
        .collect();
    // Topic a from the start; topic b from the third pass; a goes back at the fourth.
    let changes = [
        change("a", 10, 0, 100),
        change("b", 30, 5, 50),
        change("a", 40, 20, 80),
    ];
    let series = rebuild(&passes, &changes);
    assert_eq!(
        series[1].points.len(),
        2,
        "b has no points before its first value"
    );
    let t = totals(&passes, &series);
    let lags: Vec<Option<i64>> = t.iter().map(|p| p.lag).collect();
    assert_eq!(
        lags,
        [Some(0), Some(0), Some(5), Some(25)],
        "no gap before b existed"
    );
    assert!(
        t[3].moved_back && !t[2].moved_back,
        "b arriving raised the total; a going back is the rewind"
    );
    // A group whose first value comes late has no points before it.
    let late = totals(&passes, &rebuild(&passes, &[change("x", 30, 1, 1)]));
    assert_eq!(late.iter().map(|p| p.t_ms).collect::<Vec<_>>(), [30, 40]);
}

#[test]
fn a_topic_the_group_left_ends_its_series_without_gapping_the_total() {
    let passes: Vec<Pass> = (1..=4)
        .map(|i| Pass {
            t_ms: i * 10,
            ok: true,
        })
        .collect();
    let mut left = change("b", 30, 0, 0);
    left.value = TopicValue {
        lag: None,
        ended: true,
        ..left.value
    };
    let changes = [change("a", 10, 1, 100), change("b", 10, 2, 50), left];
    let series = rebuild(&passes, &changes);
    assert_eq!(series[1].points.len(), 2, "b ends where the group left it");
    let t = totals(&passes, &series);
    let lags: Vec<Option<i64>> = t.iter().map(|p| p.lag).collect();
    assert_eq!(lags, [Some(3), Some(3), Some(1), Some(1)]);
    assert!(t.iter().all(|p| !p.moved_back));
}

#[test]
fn the_partitions_drawn_are_those_with_the_most_lag_at_their_last_sample() {
    let passes: Vec<Pass> = (1..=2)
        .map(|i| Pass {
            t_ms: i * 10,
            ok: true,
        })
        .collect();
    // Partition 2 lagged most once but has caught up; 11 and 3 lag most now; 7 ties 3 and loses.
    let changes = [
        change("2", 10, 900, 1),
        change("2", 20, 0, 2),
        change("3", 10, 5, 1),
        change("7", 10, 5, 1),
        change("11", 10, 1, 1),
        change("11", 20, 50, 1),
    ];
    let top = most_lagging(rebuild(&passes, &changes), 2);
    let names: Vec<&str> = top.iter().map(|s| s.topic.as_str()).collect();
    assert_eq!(
        names,
        ["3", "11"],
        "by lag now, then drawn in partition order"
    );
}
