//! The embedded SQLite store: one file under the data directory, WAL journal, synchronous=FULL so a
//! committed transaction (a backup above all) survives a crash or power loss.

mod audit;
mod executions;
mod lag;
mod migrations;
mod plans;
mod sessions;
mod users;

use std::path::Path;
use std::sync::{Arc, Mutex};

use app::api::ports::BoxFuture;
use rusqlite::{params, Connection};

use super::{Store, StoreError, StoreResult};

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(db)?;
        Self::init(conn)
    }

    /// A private in-memory database, for tests of code that needs a store.
    pub fn in_memory() -> StoreResult<Self> {
        Self::init(Connection::open_in_memory().map_err(db)?)
    }

    fn init(mut conn: Connection) -> StoreResult<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        // FULL: a commit is on disk when it returns, WAL or not; the backup-before-commit rule needs it.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// How many store users exist; read once at start-up, before the runtime serves anything.
    pub fn user_count(&self) -> StoreResult<u64> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Database("store connection poisoned".into()))?;
        conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .map_err(db)
    }

    /// Runs `f` on the connection on the blocking pool: SQLite calls block, and fsync can take a while.
    pub(super) fn run<T, F>(&self, f: F) -> BoxFuture<'_, StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut guard = conn
                    .lock()
                    .map_err(|_| StoreError::Database("store connection poisoned".into()))?;
                f(&mut guard)
            })
            .await
            .map_err(|e| StoreError::Database(format!("store task failed: {e}")))?
        })
    }
}

/// A grant's glob as SQLite's GLOB reads it: grants know `*` and `?` only, so `[` is literal.
pub(super) fn glob_literal_brackets(glob: &str) -> String {
    glob.replace('[', "[[]")
}

pub(super) fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store for SqliteStore {
    fn write_probe(&self, at_ms: i64) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO write_probe (id, at_ms) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
                params![at_ms],
            )
            .map_err(db)?;
            Ok(())
        })
    }
}
