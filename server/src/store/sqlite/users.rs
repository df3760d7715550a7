//! Local users in SQLite, with their password sessions counted.

use app::api::ports::BoxFuture;
use rusqlite::{params, Connection};

use super::{db, from_json, to_json, SqliteStore};
use crate::store::{LocalUser, StoreResult, UserStore};

impl UserStore for SqliteStore {
    fn put_user(&self, user: LocalUser) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO users (name, password_hash, teams_json, grants_json, created_at_ms, updated_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, \
                 teams_json = excluded.teams_json, grants_json = excluded.grants_json, updated_at_ms = excluded.updated_at_ms",
                params![
                    user.name,
                    user.password_hash,
                    to_json(&user.teams)?,
                    to_json(&user.grants)?,
                    user.created_at_ms,
                    user.updated_at_ms
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn user(&self, name: String) -> BoxFuture<'_, StoreResult<Option<(LocalUser, u32)>>> {
        self.run(move |conn| Ok(select_users(conn, Some(&name))?.pop()))
    }

    fn users(&self) -> BoxFuture<'_, StoreResult<Vec<(LocalUser, u32)>>> {
        self.run(move |conn| select_users(conn, None))
    }

    fn delete_user(&self, name: String) -> BoxFuture<'_, StoreResult<bool>> {
        self.run(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let n = tx
                .execute("DELETE FROM users WHERE name = ?1", params![name])
                .map_err(db)?;
            tx.execute(
                "DELETE FROM sessions WHERE user_name = ?1 AND method = 'password'",
                params![name],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n > 0)
        })
    }
}

/// Store users (one, or all by name) with their unexpired password sessions.
fn select_users(conn: &Connection, name: Option<&str>) -> StoreResult<Vec<(LocalUser, u32)>> {
    let mut stmt = conn
        .prepare(
            "SELECT u.name, u.password_hash, u.teams_json, u.grants_json, u.created_at_ms, u.updated_at_ms, \
                    (SELECT COUNT(*) FROM sessions s WHERE s.user_name = u.name AND s.method = 'password' \
                     AND s.expires_at_ms > ?2) \
             FROM users u WHERE ?1 IS NULL OR u.name = ?1 ORDER BY u.name",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![name, crate::now_ms()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, u32>(6)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (name, password_hash, teams, grants, created_at_ms, updated_at_ms, sessions) =
            row.map_err(db)?;
        out.push((
            LocalUser {
                name,
                password_hash,
                teams: from_json(&teams)?,
                grants: from_json(&grants)?,
                created_at_ms,
                updated_at_ms,
            },
            sessions,
        ));
    }
    Ok(out)
}
