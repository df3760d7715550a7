//! Lag history in SQLite: passes, change-only rows per (group, topic) series and per (group, topic,
//! partition) for watched or pinned groups, and the pins.

use app::api::ports::BoxFuture;
use app::domain::lag_history::{Pass, StoredChange, TopicValue};
use rusqlite::{params, Connection, OptionalExtension};

use super::{db, SqliteStore};
use crate::store::{LagStore, PartitionRow, SampleRow, StoreResult, StoredHistory, TooManyPins};

impl LagStore for SqliteStore {
    fn record_pass(
        &self,
        cluster: String,
        t_ms: i64,
        ok: bool,
        rows: Vec<SampleRow>,
        partitions: Vec<PartitionRow>,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            tx.execute(
                "INSERT OR REPLACE INTO lag_passes (cluster, t_ms, ok) VALUES (?1, ?2, ?3)",
                params![cluster, t_ms, ok],
            )
            .map_err(db)?;
            {
                // Existing series are only looked up (an upsert would rewrite the row each time).
                let mut add_series = tx
                    .prepare_cached(
                        "INSERT INTO lag_series (cluster, group_id, topic) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (cluster, group_id, topic) DO NOTHING",
                    )
                    .map_err(db)?;
                let mut series = tx
                    .prepare_cached(
                        "SELECT id FROM lag_series WHERE cluster = ?1 AND group_id = ?2 AND topic = ?3",
                    )
                    .map_err(db)?;
                let mut change = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO lag_changes (series, t_ms, lag, committed, time_lag, active, ended) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .map_err(db)?;
                for r in rows {
                    let found: Option<i64> = series
                        .query_row(params![cluster, r.group, r.topic], |row| row.get(0))
                        .optional()
                        .map_err(db)?;
                    let id = match found {
                        Some(id) => id,
                        None => {
                            add_series
                                .execute(params![cluster, r.group, r.topic])
                                .map_err(db)?;
                            tx.last_insert_rowid()
                        }
                    };
                    let v = r.value;
                    change
                        .execute(params![id, t_ms, v.lag, v.committed, v.time_lag_ms, v.active, v.ended])
                        .map_err(db)?;
                }
                record_partitions(&tx, &cluster, t_ms, partitions)?;
            }
            tx.commit().map_err(db)
        })
    }

    fn partition_history(
        &self,
        cluster: String,
        group: String,
        topic: String,
        (from_ms, to_ms): (i64, i64),
        limit: usize,
    ) -> BoxFuture<'_, StoreResult<(StoredHistory, usize)>> {
        self.run(move |conn| {
            let gap = last_gap_before(conn, &cluster, from_ms)?;
            // Per series: its lag at its last row in the window, and whether it has anything to draw
            // there. Two index seeks per partition; only the chosen series' rows are read after.
            let mut series = conn
                .prepare_cached(&format!(
                    "SELECT s.id, s.partition, \
                       (SELECT c.lag FROM lag_partition_changes c \
                        WHERE c.series = s.id AND c.t_ms <= ?4 ORDER BY c.t_ms DESC LIMIT 1), \
                       {} \
                     FROM lag_partition_series s \
                     WHERE s.cluster = ?1 AND s.group_id = ?2 AND s.topic = ?3",
                    present("?5")
                ))
                .map_err(db)?;
            let mut drawn: Vec<(i64, i32, Option<i64>)> = series
                .query_map(params![cluster, group, topic, to_ms, from_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, bool>(3)?))
                })
                .map_err(db)?
                .filter_map(|r| match r {
                    Ok((id, partition, lag, true)) => Some(Ok((id, partition, lag))),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<_, _>>()
                .map_err(db)?;
            let of = drawn.len();
            // Most lag first (a series with none last), then the lower partition.
            drawn.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
            drawn.truncate(limit);
            let mut before = conn
                .prepare_cached(
                    "SELECT t_ms, lag, committed, NULL, 0, ended FROM lag_partition_changes \
                     WHERE series = ?1 AND t_ms < ?2 ORDER BY t_ms DESC LIMIT 1",
                )
                .map_err(db)?;
            let mut within = conn
                .prepare_cached(
                    "SELECT t_ms, lag, committed, NULL, 0, ended FROM lag_partition_changes \
                     WHERE series = ?1 AND t_ms >= ?2 AND t_ms <= ?3 ORDER BY t_ms",
                )
                .map_err(db)?;
            let mut changes = Vec::new();
            for (id, partition, _) in drawn {
                series_changes(
                    (&mut before, &mut within),
                    (id, &partition.to_string()),
                    (from_ms, to_ms),
                    gap,
                    &mut changes,
                )?;
            }
            changes.sort_by_key(|c| c.t_ms);
            Ok((
                StoredHistory {
                    passes: passes(conn, &cluster, from_ms, to_ms)?,
                    changes,
                },
                of,
            ))
        })
    }

    fn partition_topics(
        &self,
        cluster: String,
        group: String,
        from_ms: i64,
    ) -> BoxFuture<'_, StoreResult<Vec<String>>> {
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT DISTINCT s.topic FROM lag_partition_series s \
                     WHERE s.cluster = ?1 AND s.group_id = ?2 AND {} ORDER BY s.topic",
                    present("?3")
                ))
                .map_err(db)?;
            let topics = stmt
                .query_map(params![cluster, group, from_ms], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)?;
            Ok(topics)
        })
    }

    fn pins(&self, cluster: String) -> BoxFuture<'_, StoreResult<Vec<String>>> {
        self.run(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT group_id FROM lag_pins WHERE cluster = ?1 ORDER BY group_id",
                )
                .map_err(db)?;
            let pins = stmt
                .query_map(params![cluster], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)?;
            Ok(pins)
        })
    }

    fn set_pin(
        &self,
        cluster: String,
        group: String,
        pinned: bool,
        by: String,
        at_ms: i64,
        max: usize,
    ) -> BoxFuture<'_, StoreResult<Result<bool, TooManyPins>>> {
        self.run(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let was: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM lag_pins WHERE cluster = ?1 AND group_id = ?2)",
                    params![cluster, group],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if pinned && !was {
                let count: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM lag_pins WHERE cluster = ?1",
                        params![cluster],
                        |r| r.get(0),
                    )
                    .map_err(db)?;
                if usize::try_from(count).unwrap_or(usize::MAX) >= max {
                    return Ok(Err(TooManyPins { max }));
                }
                tx.execute(
                    "INSERT INTO lag_pins (cluster, group_id, pinned_by, at_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![cluster, group, by, at_ms],
                )
                .map_err(db)?;
            } else if !pinned && was {
                tx.execute(
                    "DELETE FROM lag_pins WHERE cluster = ?1 AND group_id = ?2",
                    params![cluster, group],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(Ok(was))
        })
    }

    fn lag_history(
        &self,
        cluster: String,
        groups: Vec<String>,
        from_ms: i64,
        to_ms: i64,
    ) -> BoxFuture<'_, StoreResult<Vec<StoredHistory>>> {
        self.run(move |conn| {
            let passes = passes(conn, &cluster, from_ms, to_ms)?;
            let gap = last_gap_before(conn, &cluster, from_ms)?;
            groups
                .iter()
                .map(|g| {
                    Ok(StoredHistory {
                        passes: passes.clone(),
                        changes: changes(conn, &cluster, g, from_ms, to_ms, gap)?,
                    })
                })
                .collect()
        })
    }

    fn prune_lag(&self, before_ms: i64) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            // Keep each series' last row at or before the cut: it is the value still in force.
            let changes = tx
                .execute(
                    "DELETE FROM lag_changes WHERE t_ms < ?1 AND EXISTS ( \
                       SELECT 1 FROM lag_changes n WHERE n.series = lag_changes.series \
                       AND n.t_ms > lag_changes.t_ms AND n.t_ms <= ?1)",
                    params![before_ms],
                )
                .map_err(db)?;
            let partition_changes = tx
                .execute(
                    "DELETE FROM lag_partition_changes WHERE t_ms < ?1 AND EXISTS ( \
                       SELECT 1 FROM lag_partition_changes n WHERE n.series = lag_partition_changes.series \
                       AND n.t_ms > lag_partition_changes.t_ms AND n.t_ms <= ?1)",
                    params![before_ms],
                )
                .map_err(db)?;
            // Keep the last failed pass before the cut too: a value written before it must not
            // carry past it once the passes around it are gone.
            let passes = tx
                .execute(
                    "DELETE FROM lag_passes WHERE t_ms < ?1 AND NOT (ok = 0 AND t_ms = ( \
                       SELECT MAX(p.t_ms) FROM lag_passes p \
                       WHERE p.cluster = lag_passes.cluster AND p.ok = 0 AND p.t_ms < ?1))",
                    params![before_ms],
                )
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok((changes + partition_changes + passes) as u64)
        })
    }
}

/// SQL: whether partition series `s` has something to draw from the window's start (the parameter
/// `from`) on: a row inside the window, or a value still in force at its start (its last row before it
/// did not end the line). One rule for the chart's choice of partitions and of topics.
fn present(from: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM lag_partition_changes c WHERE c.series = s.id AND c.t_ms >= {from}) \
         OR (SELECT c.ended FROM lag_partition_changes c WHERE c.series = s.id AND c.t_ms < {from} \
           ORDER BY c.t_ms DESC LIMIT 1) = 0)"
    )
}

/// The last failed pass before `from_ms`: a value written before it no longer holds in the window.
fn last_gap_before(conn: &Connection, cluster: &str, from_ms: i64) -> StoreResult<Option<i64>> {
    conn.query_row(
        "SELECT MAX(t_ms) FROM lag_passes WHERE cluster = ?1 AND t_ms < ?2 AND ok = 0",
        params![cluster, from_ms],
        |r| r.get(0),
    )
    .map_err(db)
}

/// One series' changes over the window into `out`, named `name` (a topic, or a partition number): the
/// one still in force at its start (unless a gap came after it) and those inside it, with the queries
/// for before and inside the window. Both tables are read as the same six columns (`t_ms, lag,
/// committed, time_lag, active, ended`; partitions select NULL and 0 for the two they lack).
fn series_changes(
    (before, within): (
        &mut rusqlite::CachedStatement<'_>,
        &mut rusqlite::CachedStatement<'_>,
    ),
    (id, name): (i64, &str),
    (from_ms, to_ms): (i64, i64),
    gap: Option<i64>,
    out: &mut Vec<StoredChange>,
) -> StoreResult<()> {
    let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<StoredChange> {
        Ok(StoredChange {
            topic: name.to_owned(),
            t_ms: r.get(0)?,
            value: TopicValue {
                lag: r.get(1)?,
                committed: r.get(2)?,
                time_lag_ms: r.get(3)?,
                active: r.get(4)?,
                ended: r.get(5)?,
            },
        })
    };
    let held = before
        .query_row(params![id, from_ms], read)
        .optional()
        .map_err(db)?
        .filter(|c| gap.is_none_or(|g| c.t_ms > g));
    out.extend(held);
    for r in within
        .query_map(params![id, from_ms, to_ms], read)
        .map_err(db)?
    {
        out.push(r.map_err(db)?);
    }
    Ok(())
}

/// Writes a pass's per-partition rows, creating each partition's series the first time.
fn record_partitions(
    tx: &rusqlite::Transaction<'_>,
    cluster: &str,
    t_ms: i64,
    rows: Vec<PartitionRow>,
) -> StoreResult<()> {
    let mut add_series = tx
        .prepare_cached(
            "INSERT INTO lag_partition_series (cluster, group_id, topic, partition) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (cluster, group_id, topic, partition) DO NOTHING",
        )
        .map_err(db)?;
    let mut series = tx
        .prepare_cached(
            "SELECT id FROM lag_partition_series \
             WHERE cluster = ?1 AND group_id = ?2 AND topic = ?3 AND partition = ?4",
        )
        .map_err(db)?;
    let mut change = tx
        .prepare_cached(
            "INSERT OR REPLACE INTO lag_partition_changes (series, t_ms, lag, committed, ended) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db)?;
    for r in rows {
        let key = params![cluster, r.group, r.topic, r.partition];
        let id = match series
            .query_row(key, |row| row.get(0))
            .optional()
            .map_err(db)?
        {
            Some(id) => id,
            None => {
                add_series.execute(key).map_err(db)?;
                tx.last_insert_rowid()
            }
        };
        change
            .execute(params![id, t_ms, r.lag, r.committed, r.ended])
            .map_err(db)?;
    }
    Ok(())
}

fn passes(conn: &Connection, cluster: &str, from_ms: i64, to_ms: i64) -> StoreResult<Vec<Pass>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT t_ms, ok FROM lag_passes WHERE cluster = ?1 AND t_ms >= ?2 AND t_ms <= ?3 ORDER BY t_ms",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![cluster, from_ms, to_ms], |r| {
            Ok(Pass {
                t_ms: r.get(0)?,
                ok: r.get(1)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

fn changes(
    conn: &Connection,
    cluster: &str,
    group: &str,
    from_ms: i64,
    to_ms: i64,
    gap: Option<i64>,
) -> StoreResult<Vec<StoredChange>> {
    let mut series = conn
        .prepare_cached("SELECT id, topic FROM lag_series WHERE cluster = ?1 AND group_id = ?2")
        .map_err(db)?;
    let ids: Vec<(i64, String)> = series
        .query_map(params![cluster, group], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?;
    let mut before = conn
        .prepare_cached(
            "SELECT t_ms, lag, committed, time_lag, active, ended FROM lag_changes \
             WHERE series = ?1 AND t_ms < ?2 ORDER BY t_ms DESC LIMIT 1",
        )
        .map_err(db)?;
    let mut within = conn
        .prepare_cached(
            "SELECT t_ms, lag, committed, time_lag, active, ended FROM lag_changes \
             WHERE series = ?1 AND t_ms >= ?2 AND t_ms <= ?3 ORDER BY t_ms",
        )
        .map_err(db)?;
    let mut out = Vec::new();
    for (id, topic) in ids {
        series_changes(
            (&mut before, &mut within),
            (id, &topic),
            (from_ms, to_ms),
            gap,
            &mut out,
        )?;
    }
    out.sort_by_key(|c| c.t_ms);
    Ok(out)
}

#[cfg(test)]
#[path = "lag_tests.rs"]
mod tests;
