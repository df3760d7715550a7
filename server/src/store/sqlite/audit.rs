//! The audit trail in SQLite, filtered by the caller's grants in SQL.

use app::api::ports::BoxFuture;
use rusqlite::params;

use super::{db, from_json, glob_literal_brackets, to_json, SqliteStore};
use crate::store::{AuditEntry, AuditFilter, AuditStore, StoreResult};

impl AuditStore for SqliteStore {
    fn audit(&self, entry: AuditEntry) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO audit (at_ms, actor, source, action, cluster, group_id, detail_json, result) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    entry.at_ms,
                    entry.actor,
                    entry.source,
                    entry.action,
                    entry.cluster,
                    entry.group,
                    to_json(&entry.detail)?,
                    entry.result
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn audit_entries(&self, filter: AuditFilter) -> BoxFuture<'_, StoreResult<Vec<AuditEntry>>> {
        self.run(move |conn| {
            // The caller's grants as SQL, so a caller who may see little does not make the store read
            // (and hand over) everyone's entries. Grant globs use `*` and `?` as GLOB does; `[` is
            // literal in a grant and escaped here.
            let mut visible_sql = String::new();
            let mut globs: Vec<String> = Vec::new();
            if let Some(v) = &filter.visible {
                let mut terms = vec![if v.clusterless {
                    "cluster IS NULL".to_owned()
                } else {
                    "0".to_owned()
                }];
                for (c, g) in &v.grants {
                    let (ci, gi) = (10 + globs.len(), 11 + globs.len());
                    terms.push(format!(
                        "(cluster GLOB ?{ci} AND (group_id IS NULL OR group_id GLOB ?{gi}))"
                    ));
                    globs.push(glob_literal_brackets(c));
                    globs.push(glob_literal_brackets(g));
                }
                visible_sql = format!(" AND ({})", terms.join(" OR "));
            }
            // Empty filter fields match everything; substrings use instr() so no LIKE escaping is needed.
            let sql = format!(
                "SELECT id, at_ms, actor, source, action, cluster, group_id, detail_json, result \
                 FROM audit WHERE \
                   (?1 = '' OR instr(lower(actor), lower(?1)) > 0) AND \
                   (?2 = '' OR action = ?2) AND \
                   (?3 = '' OR cluster = ?3) AND \
                   (?4 = '' OR instr(lower(coalesce(group_id, '')), lower(?4)) > 0) AND \
                   (?5 = '' OR instr(lower(result), lower(?5)) > 0) AND \
                   (?6 IS NULL OR at_ms >= ?6) AND (?7 IS NULL OR at_ms <= ?7) AND \
                   (?8 IS NULL OR id < ?8){visible_sql} \
                 ORDER BY id DESC LIMIT ?9"
            );
            let mut stmt = conn.prepare(&sql).map_err(db)?;
            let limit = filter.effective_limit() as i64;
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![
                &filter.actor,
                &filter.action,
                &filter.cluster,
                &filter.group,
                &filter.result,
                &filter.since_ms,
                &filter.until_ms,
                &filter.before_id,
                &limit,
            ];
            values.extend(globs.iter().map(|g| g as &dyn rusqlite::ToSql));
            let rows = stmt
                .query_map(values.as_slice(), |r| {
                    Ok((
                        AuditEntry {
                            id: r.get(0)?,
                            at_ms: r.get(1)?,
                            actor: r.get(2)?,
                            source: r.get(3)?,
                            action: r.get(4)?,
                            cluster: r.get(5)?,
                            group: r.get(6)?,
                            detail: serde_json::Value::Null,
                            result: r.get(8)?,
                        },
                        r.get::<_, String>(7)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (mut entry, detail) = row.map_err(db)?;
                entry.detail = from_json(&detail)?;
                out.push(entry);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Security review, item 14: the store reads only the entries a caller's grants cover, instead
    /// of every entry in 5,000-row pages for the server to filter.
    #[tokio::test]
    async fn audit_entries_are_filtered_by_the_callers_grants_in_sql() {
        use app::domain::audit::{AuditFilter, AuditVisibility};
        let store = SqliteStore::in_memory().unwrap();
        for (cluster, group) in [
            (Some("prod"), Some("team-a-g1")),
            (Some("prod"), Some("team-b-g1")),
            (Some("prod"), None),
            (Some("test"), Some("team-a-g1")),
            (None, None),
        ] {
            let mut e = AuditEntry::new(1, "x", "127.0.0.1", "execute", "succeeded");
            if let Some(c) = cluster {
                e = e.about(c.to_owned(), group.map(str::to_owned));
            }
            store.audit(e).await.unwrap();
        }
        let seen = |grants: Vec<(&str, &str)>, clusterless: bool| {
            let filter = AuditFilter {
                visible: Some(AuditVisibility {
                    grants: grants
                        .into_iter()
                        .map(|(c, g)| (c.to_owned(), g.to_owned()))
                        .collect(),
                    clusterless,
                }),
                ..AuditFilter::default()
            };
            let store = &store;
            async move {
                let mut out: Vec<(Option<String>, Option<String>)> = store
                    .audit_entries(filter)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| (e.cluster, e.group))
                    .collect();
                out.sort();
                out
            }
        };
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            seen(vec![("prod", "team-a-*")], false).await,
            vec![(s("prod"), None), (s("prod"), s("team-a-g1"))]
        );
        assert_eq!(
            seen(vec![("p[r]od", "*")], false).await,
            vec![],
            "[ is literal"
        );
        assert_eq!(seen(vec![], true).await, vec![(None, None)]);
        assert_eq!(seen(vec![("*", "*")], true).await.len(), 5);
    }
}
