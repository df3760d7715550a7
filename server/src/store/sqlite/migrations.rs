//! Rewind's schema, as numbered migrations.

use rusqlite_migration::{Migrations, M};

/// Schema versions, applied in order and tracked in SQLite's `user_version`. Never edit a shipped one:
/// append a new migration.
pub(super) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
        CREATE TABLE plans (
            id            TEXT PRIMARY KEY,
            cluster       TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            created_by    TEXT NOT NULL,
            plan_json     TEXT NOT NULL
        );
        CREATE TABLE executions (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            cluster         TEXT NOT NULL,
            group_id        TEXT NOT NULL,
            actor           TEXT NOT NULL,
            started_at_ms   INTEGER NOT NULL,
            finished_at_ms  INTEGER,
            status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
            strategy        TEXT NOT NULL,
            spec_json       TEXT NOT NULL,
            plan_json       TEXT NOT NULL,
            commit_metadata TEXT NOT NULL,
            undo_of         INTEGER REFERENCES executions(id),
            partitions_json TEXT NOT NULL,
            partition_count INTEGER NOT NULL,
            message         TEXT
        );
        CREATE INDEX executions_by_group ON executions (cluster, group_id, id);
        CREATE INDEX executions_pending ON executions (status) WHERE status = 'pending';
        -- The offsets a group had before an execution, written in the same transaction that records it.
        CREATE TABLE backups (
            execution_id  INTEGER PRIMARY KEY REFERENCES executions(id),
            offsets_json  TEXT NOT NULL
        );
        -- At most one execution per group at a time, across every replica sharing this database.
        CREATE TABLE group_locks (
            cluster       TEXT NOT NULL,
            group_id      TEXT NOT NULL,
            execution_id  INTEGER NOT NULL REFERENCES executions(id),
            PRIMARY KEY (cluster, group_id)
        );
        CREATE TABLE audit (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            at_ms       INTEGER NOT NULL,
            actor       TEXT NOT NULL,
            action      TEXT NOT NULL,
            cluster     TEXT,
            group_id    TEXT,
            detail_json TEXT NOT NULL,
            result      TEXT NOT NULL
        );
        "#,
        ),
        // Which server process ran an execution: start-up recovery resolves only those of processes
        // that are gone, never one still running in this process.
        M::up("ALTER TABLE executions ADD COLUMN owner TEXT NOT NULL DEFAULT '';"),
        // Sign-in: local users created with `rewind users add`, sessions by the hash of their token
        // (a stolen database holds no usable cookie), and where each audited act came from.
        M::up(
            r#"
        CREATE TABLE users (
            name          TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            teams_json    TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        );
        CREATE TABLE sessions (
            token_hash    TEXT PRIMARY KEY,
            user_name     TEXT NOT NULL,
            method        TEXT NOT NULL,
            teams_json    TEXT NOT NULL,
            source        TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL
        );
        ALTER TABLE audit ADD COLUMN source TEXT NOT NULL DEFAULT '';
        CREATE INDEX audit_by_cluster ON audit (cluster, id);
        "#,
        ),
        // Users managed from the console: grants of their own, and when they last changed. Sessions
        // by user, so removing a user or changing their password ends their sessions at once.
        M::up(
            r#"
        ALTER TABLE users ADD COLUMN grants_json TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE users ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX sessions_by_user ON sessions (user_name, method);
        "#,
        ),
        // When each session was last used, for the idle timeout.
        M::up("ALTER TABLE sessions ADD COLUMN last_seen_ms INTEGER NOT NULL DEFAULT 0;"),
        // One row `/readyz` rewrites to prove the store takes writes.
        M::up(
            "CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL);",
        ),
        // When a second look found a succeeded execution overwritten by a consumer.
        M::up("ALTER TABLE executions ADD COLUMN overwritten_at_ms INTEGER;"),
        // Single sign-on sessions keep the provider's stable subject (issuer#sub) beside the display
        // name; sessions made before it have none and sign in again.
        M::up(
            "ALTER TABLE sessions ADD COLUMN subject TEXT; DELETE FROM sessions WHERE method = 'oidc';",
        ),
        // What an execution did in one line (strategy, value, scope), for history lists that must not read
        // each execution's spec (a from-file spec holds the whole file). Older rows show the strategy.
        M::up("ALTER TABLE executions ADD COLUMN what TEXT NOT NULL DEFAULT '';"),
        // Lag history, change-only: a row per (group, topic) only when its values change, so idle
        // groups cost a row per retention period; each pass (and whether Kafka answered it) once per
        // cluster, so a gap is told from an unchanged value. Integer keys, no rowid: a few bytes a row.
        M::up(
            r#"
        CREATE TABLE lag_series (
            id       INTEGER PRIMARY KEY,
            cluster  TEXT NOT NULL,
            group_id TEXT NOT NULL,
            topic    TEXT NOT NULL,
            UNIQUE (cluster, group_id, topic)
        );
        CREATE TABLE lag_changes (
            series    INTEGER NOT NULL,
            t_ms      INTEGER NOT NULL,
            lag       INTEGER,
            committed INTEGER NOT NULL,
            time_lag  INTEGER,
            active    INTEGER NOT NULL,
            ended     INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (series, t_ms)
        ) WITHOUT ROWID;
        CREATE TABLE lag_passes (
            cluster TEXT NOT NULL,
            t_ms    INTEGER NOT NULL,
            ok      INTEGER NOT NULL,
            PRIMARY KEY (cluster, t_ms)
        ) WITHOUT ROWID;
        "#,
        ),
        // 11: per-partition lag of the groups someone watches or has pinned, change-only as above.
        M::up(
            r#"
        CREATE TABLE lag_partition_series (
            id        INTEGER PRIMARY KEY,
            cluster   TEXT NOT NULL,
            group_id  TEXT NOT NULL,
            topic     TEXT NOT NULL,
            partition INTEGER NOT NULL,
            UNIQUE (cluster, group_id, topic, partition)
        );
        CREATE TABLE lag_partition_changes (
            series    INTEGER NOT NULL,
            t_ms      INTEGER NOT NULL,
            lag       INTEGER,
            committed INTEGER NOT NULL,
            ended     INTEGER NOT NULL,
            PRIMARY KEY (series, t_ms)
        ) WITHOUT ROWID;
        CREATE TABLE lag_pins (
            cluster   TEXT NOT NULL,
            group_id  TEXT NOT NULL,
            pinned_by TEXT NOT NULL,
            at_ms     INTEGER NOT NULL,
            PRIMARY KEY (cluster, group_id)
        ) WITHOUT ROWID;
        "#,
        ),
    ])
}
