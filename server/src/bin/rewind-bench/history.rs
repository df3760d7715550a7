//! The lag-history benchmark: real sampling passes over every group of the bench cluster (time and
//! broker requests per pass, rows written), then the store's size for a week of samples: the real
//! passes' rows, plus a week of synthetic passes written through the same store code (every group idle
//! but a share that changes at every pass), measured on disk.

use std::sync::Arc;
use std::time::Instant;

use app::domain::lag_history::TopicValue;
use rewind_server::config::LagHistoryConfig;
use rewind_server::kafka::KafkaGateway;
use rewind_server::lag_history::LagHistoryService;
use rewind_server::store::{SampleRow, SqliteStore, Store};

use crate::{diff, print_row, settle, BenchResult, Timed};

/// A week of passes at the default interval (60 s).
const WEEK_OF_PASSES: i64 = 7 * 24 * 60;

pub async fn bench_history(
    gateway: Arc<KafkaGateway>,
    dir: &std::path::Path,
    groups: usize,
    runs: usize,
    active_share: f64,
) -> BenchResult<()> {
    println!();
    println!("lag history ({groups} groups; a pass reads every group of the cluster):");
    let path = dir.join("history.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
    let service =
        LagHistoryService::new(gateway.clone(), store.clone(), LagHistoryConfig::default());
    let mut times = Vec::new();
    let mut requests = Default::default();
    for run in 0..runs {
        settle().await;
        let before = gateway.request_counts("local");
        let t = Instant::now();
        service.pass("local").await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if run == 0 {
            settle().await;
            requests = diff(&before, &gateway.request_counts("local"));
        }
    }
    let timed = Timed {
        times,
        requests,
        ..Timed::default()
    };
    print_row("sampling pass (all groups)", &timed, 0);
    let after_real = db_bytes(&path);
    println!(
        "{:<34} {:>9.1} MB after {runs} real passes (first pass writes every group; then only changes)",
        "store size",
        after_real as f64 / 1e6
    );

    // A week at 60 s: every group idle except `active_share` of them changing at every pass.
    let active = ((groups as f64) * active_share).round() as usize;
    let t0 = rewind_server::now_ms();
    let t = Instant::now();
    for i in 0..WEEK_OF_PASSES {
        let rows = (0..active)
            .map(|g| SampleRow {
                group: format!("rewind-bench-active-{g:06}"),
                topic: "rewind-bench-small".into(),
                value: TopicValue {
                    lag: Some((i * 7 + g as i64) % 5_000),
                    committed: 1_000_000 + i * 50,
                    time_lag_ms: None,
                    active: true,
                    ended: false,
                },
            })
            .collect();
        store
            .record_pass("week".into(), t0 + (i + 1) * 60_000, true, rows, Vec::new())
            .await?;
    }
    let written = t.elapsed().as_secs_f64();
    let week = db_bytes(&path);
    println!(
        "{:<34} {:>9.1} MB for {WEEK_OF_PASSES} passes, {active} groups ({:.1} %) changing at every pass, the rest idle ({written:.0} s to write)",
        "store size, one week at 60 s",
        week as f64 / 1e6,
        active_share * 100.0
    );
    let per_row =
        (week.saturating_sub(after_real)) as f64 / (WEEK_OF_PASSES as f64 * active.max(1) as f64);
    println!(
        "{:<34} {:>9.1} bytes per changed sample (so 500 MB holds {:.0} changing groups for a week)",
        "cost of a change",
        per_row,
        500e6 / (per_row * WEEK_OF_PASSES as f64)
    );
    Ok(())
}

/// The database's size on disk, its write-ahead log checkpointed into it first.
fn db_bytes(path: &std::path::Path) -> u64 {
    if let Ok(conn) = rusqlite::Connection::open(path) {
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
    let size = |p: std::path::PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    size(path.to_owned()) + size(path.with_extension("db-wal"))
}
