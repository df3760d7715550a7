//! Unit tests of the lag store's pins and per-partition rows, on a real SQLite file.

use super::*;
use crate::store::{LagStore, PartitionRow, TooManyPins};
use app::domain::lag_history::rebuild;

fn store(name: &str) -> SqliteStore {
    let dir = std::env::temp_dir().join(format!("rewind-lag-test-{}-{name}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("rewind.db");
    let _ = std::fs::remove_file(&path);
    SqliteStore::open(&path).unwrap()
}

#[tokio::test]
async fn pins_past_the_limit_are_refused_and_unpinning_makes_room() {
    let s = store("pins");
    let pin = |g: &str, on: bool| s.set_pin("c".into(), g.into(), on, "ada".into(), 1, 2);
    assert_eq!(pin("a", true).await.unwrap(), Ok(false));
    assert_eq!(
        pin("a", true).await.unwrap(),
        Ok(true),
        "pinning twice is one pin"
    );
    assert_eq!(pin("b", true).await.unwrap(), Ok(false));
    assert_eq!(pin("x", true).await.unwrap(), Err(TooManyPins { max: 2 }));
    // Another cluster has room of its own.
    let other = s.set_pin("d".into(), "x".into(), true, "ada".into(), 1, 2);
    assert_eq!(other.await.unwrap(), Ok(false));
    assert_eq!(pin("a", false).await.unwrap(), Ok(true));
    assert_eq!(pin("x", true).await.unwrap(), Ok(false));
    assert_eq!(s.pins("c".into()).await.unwrap(), ["b", "x"]);
}

#[tokio::test]
async fn a_partition_no_longer_sampled_ends_its_line_until_sampled_again() {
    let s = store("parts");
    let row = |partition: i32, lag: Option<i64>, ended: bool| PartitionRow {
        group: "g".into(),
        topic: "t".into(),
        partition,
        lag,
        committed: 5,
        ended,
    };
    let pass =
        |t: i64, rows: Vec<PartitionRow>| s.record_pass("c".into(), t, true, Vec::new(), rows);
    pass(10, vec![row(0, Some(3), false), row(1, Some(1), false)])
        .await
        .unwrap();
    pass(20, Vec::new()).await.unwrap();
    // No longer watched: both lines end.
    pass(30, vec![row(0, None, true), row(1, None, true)])
        .await
        .unwrap();
    pass(40, Vec::new()).await.unwrap();
    pass(50, vec![row(0, Some(7), false)]).await.unwrap();
    let (h, of) = s
        .partition_history("c".into(), "g".into(), "t".into(), (0, 60), 10)
        .await
        .unwrap();
    assert_eq!(of, 2);
    let series = rebuild(&h.passes, &h.changes);
    type Line = (String, Vec<(i64, Option<i64>)>);
    let drawn: Vec<Line> = series
        .iter()
        .map(|s| {
            (
                s.topic.clone(),
                s.points.iter().map(|p| (p.t_ms, p.lag)).collect(),
            )
        })
        .collect();
    assert_eq!(
        drawn,
        [
            (
                "0".to_owned(),
                vec![(10, Some(3)), (20, Some(3)), (50, Some(7))]
            ),
            ("1".to_owned(), vec![(10, Some(1)), (20, Some(1))]),
        ]
    );
    // Only the most lagging are read: partition 0 (7 at its last row) before 1 (ended).
    let (top, of) = s
        .partition_history("c".into(), "g".into(), "t".into(), (0, 60), 1)
        .await
        .unwrap();
    assert_eq!(of, 2);
    assert!(top.changes.iter().all(|c| c.topic == "0"), "{top:?}");
    // From 35 on, partition 1 has nothing to draw (its line ended at 30) and is not counted.
    let (_, of) = s
        .partition_history("c".into(), "g".into(), "t".into(), (35, 60), 10)
        .await
        .unwrap();
    assert_eq!(of, 1);
    // A window after the lines ended and before they resumed has no partition to offer.
    assert!(
        s.partition_topics("c".into(), "g".into(), 35)
            .await
            .unwrap()
            == ["t"]
    );
    let gone = s
        .partition_topics("c".into(), "other".into(), 0)
        .await
        .unwrap();
    assert!(gone.is_empty());
}
