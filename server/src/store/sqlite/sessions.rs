//! Sessions in SQLite (the token's hash only).

use app::api::ports::BoxFuture;
use rusqlite::{params, OptionalExtension};

use super::{db, from_json, to_json, SqliteStore};
use crate::store::{Session, SessionStore, StoreResult};

impl SessionStore for SqliteStore {
    fn create_session(&self, session: Session) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            // Expired sessions go whenever a new one is made: the table stays the size of who is active.
            conn.execute(
                "DELETE FROM sessions WHERE expires_at_ms < ?1",
                params![session.created_at_ms],
            )
            .map_err(db)?;
            conn.execute(
                "INSERT INTO sessions (token_hash, user_name, method, teams_json, source, created_at_ms, expires_at_ms, last_seen_ms, subject) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?8)",
                params![
                    session.token_hash,
                    session.user,
                    session.method,
                    to_json(&session.teams)?,
                    session.source,
                    session.created_at_ms,
                    session.expires_at_ms,
                    session.subject
                ],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn session(&self, token_hash: String) -> BoxFuture<'_, StoreResult<Option<Session>>> {
        self.run(move |conn| {
            let row = conn
                .query_row(
                    // A store user's teams and grants are read live, so an admin's change applies
                    // to their next request without signing them out.
                    "SELECT s.token_hash, s.user_name, s.method, COALESCE(u.teams_json, s.teams_json), \
                            s.source, s.created_at_ms, s.expires_at_ms, u.grants_json, s.last_seen_ms, s.subject \
                     FROM sessions s LEFT JOIN users u ON s.method = 'password' AND u.name = s.user_name \
                     WHERE s.token_hash = ?1",
                    params![token_hash],
                    |r| {
                        Ok((
                            (
                                r.get::<_, String>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, String>(3)?,
                            ),
                            r.get::<_, String>(4)?,
                            r.get::<_, i64>(5)?,
                            r.get::<_, i64>(6)?,
                            r.get::<_, Option<String>>(7)?,
                            r.get::<_, i64>(8)?,
                            r.get::<_, Option<String>>(9)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            row.map(
                |(
                    (token_hash, user, method, teams),
                    source,
                    created_at_ms,
                    expires_at_ms,
                    grants,
                    last_seen_ms,
                    subject,
                )| {
                    Ok(Session {
                        token_hash,
                        user,
                        method,
                        teams: from_json(&teams)?,
                        stored_grants: grants.as_deref().map(from_json).transpose()?,
                        source,
                        created_at_ms,
                        expires_at_ms,
                        last_seen_ms,
                        subject,
                    })
                },
            )
            .transpose()
        })
    }

    fn touch_session(&self, token_hash: String, at_ms: i64) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "UPDATE sessions SET last_seen_ms = ?2 WHERE token_hash = ?1 AND last_seen_ms < ?2",
                params![token_hash, at_ms],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn delete_session(&self, token_hash: String) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                params![token_hash],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn end_password_sessions(
        &self,
        user: String,
        except: Option<String>,
    ) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(move |conn| {
            let n = conn
                .execute(
                    "DELETE FROM sessions WHERE user_name = ?1 AND method = 'password' \
                     AND token_hash IS NOT ?2",
                    params![user, except],
                )
                .map_err(db)?;
            Ok(n as u64)
        })
    }

    fn open_sessions(&self, now_ms: i64) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM sessions WHERE expires_at_ms >= ?1",
                params![now_ms],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(db)
        })
    }
}
