//! Lag history in SQLite: passes, and change-only rows per (group, topic) series.

use app::api::ports::BoxFuture;
use app::domain::lag_history::{Pass, StoredChange, TopicValue};
use rusqlite::{params, Connection, OptionalExtension};

use super::{db, SqliteStore};
use crate::store::{LagStore, SampleRow, StoreResult, StoredHistory};

impl LagStore for SqliteStore {
    fn record_pass(
        &self,
        cluster: String,
        t_ms: i64,
        ok: bool,
        rows: Vec<SampleRow>,
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
            }
            tx.commit().map_err(db)
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
            // A value written before the last gap ahead of the window no longer holds in it.
            let gap: Option<i64> = conn
                .query_row(
                    "SELECT MAX(t_ms) FROM lag_passes WHERE cluster = ?1 AND t_ms < ?2 AND ok = 0",
                    params![cluster, from_ms],
                    |r| r.get(0),
                )
                .map_err(db)?;
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
            Ok((changes + passes) as u64)
        })
    }
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
        let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<StoredChange> {
            Ok(StoredChange {
                topic: topic.clone(),
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
        let rows = within
            .query_map(params![id, from_ms, to_ms], read)
            .map_err(db)?;
        for r in rows {
            out.push(r.map_err(db)?);
        }
    }
    out.sort_by_key(|c| c.t_ms);
    Ok(out)
}
