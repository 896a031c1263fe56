-- Schema 2: the outbox of backups waiting to be pushed to the PostgreSQL server.
--
-- One row per local backup that should reach the server, queued when the
-- backup is written. `seq` is the queue order (oldest first). A row stays
-- `pending` until the server has stored the backup and its hash was read
-- back; then it becomes `pushed`. Every failed attempt bumps `attempts` and
-- keeps the error text (never a password) for the UI. Retention never
-- deletes a local backup whose row is still pending.

CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY,
    backup_id       TEXT NOT NULL UNIQUE,
    enqueued_at     TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'pushed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error      TEXT,
    pushed_at       TEXT
);
CREATE INDEX outbox_state ON outbox(state, seq);
