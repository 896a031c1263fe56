//! The outbox: local backups waiting to reach the backup server.
//!
//! Every local backup is queued here when it is written (see
//! [`crate::backup::create_backup`]). Whatever pushes backups to a server
//! (the `sonic-backup` crate) takes the pending ones oldest first and marks
//! each as pushed once the server has it, or records why it failed. This
//! module knows nothing of the server: it is a queue in the local SQLite
//! database, so it survives restarts and works with the network down.
//!
//! **Invariant:** retention never deletes a backup whose outbox row is still
//! pending, so a backup that has not reached the server is never lost.

use crate::error::{Error, Result};
use crate::store::Store;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::PathBuf;
use uuid::Uuid;

/// Error texts longer than this are cut: the UI shows one line.
const MAX_ERROR_LEN: usize = 1000;

/// One backup waiting to be pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub backup_id: Uuid,
    pub enqueued_at: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The local backup file, if the backup is still listed locally.
    pub file: Option<PathBuf>,
}

/// The state of the whole queue, for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    /// Backups not yet on the server.
    pub pending: u64,
    /// Backups the server has confirmed.
    pub pushed: u64,
    /// When the newest confirmed push happened.
    pub last_pushed_at: Option<DateTime<Utc>>,
    /// The most recent error of a still-pending backup, if any.
    pub last_error: Option<String>,
}

/// Queues a backup for the server. Queuing the same backup twice is a no-op.
pub fn enqueue(store: &Store, backup_id: Uuid) -> Result<()> {
    enqueue_in(store.conn(), backup_id)
}

pub(crate) fn enqueue_in(conn: &Connection, backup_id: Uuid) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox(backup_id, enqueued_at) VALUES (?1, ?2) ON CONFLICT(backup_id) DO NOTHING",
    )?
    .execute(params![backup_id.to_string(), Utc::now().to_rfc3339()])?;
    Ok(())
}

/// The pending backups, oldest first, at most `limit` of them.
pub fn pending(store: &Store, limit: usize) -> Result<Vec<OutboxEntry>> {
    let dir = store.data_dir().backups();
    let mut stmt = store.conn().prepare_cached(
        "SELECT o.backup_id, o.enqueued_at, o.attempts, o.last_attempt_at, o.last_error, b.file
           FROM outbox o LEFT JOIN local_backups b ON b.id = o.backup_id
          WHERE o.state = 'pending' ORDER BY o.seq LIMIT ?1",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map([limit], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, enqueued_at, attempts, last_attempt_at, last_error, file) = row?;
        out.push(OutboxEntry {
            backup_id: Uuid::parse_str(&id).map_err(|_| bad(&id, "id"))?,
            enqueued_at: time(&enqueued_at).ok_or_else(|| bad(&id, "time"))?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            last_attempt_at: last_attempt_at.as_deref().and_then(time),
            last_error,
            file: file.map(|f| dir.join(f)),
        });
    }
    Ok(out)
}

/// Records that the server has stored `backup_id` and its hash was read back.
pub fn mark_pushed(store: &Store, backup_id: Uuid) -> Result<()> {
    let now = Utc::now().to_rfc3339();
    store.conn().prepare_cached(
        "UPDATE outbox SET state = 'pushed', pushed_at = ?2, last_attempt_at = ?2, last_error = NULL WHERE backup_id = ?1",
    )?
    .execute(params![backup_id.to_string(), now])?;
    Ok(())
}

/// Records a failed attempt to push `backup_id`; it stays pending. The
/// error text is shown to the user, so it must not hold secrets.
pub fn mark_failed(store: &Store, backup_id: Uuid, error: &str) -> Result<()> {
    let error: String = error.chars().take(MAX_ERROR_LEN).collect();
    store.conn().prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2, last_error = ?3 WHERE backup_id = ?1 AND state = 'pending'",
    )?
    .execute(params![backup_id.to_string(), Utc::now().to_rfc3339(), error])?;
    Ok(())
}

/// Counts of the queue and its latest outcome.
pub fn counts(store: &Store) -> Result<OutboxCounts> {
    let conn = store.conn();
    let (pending, pushed): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'pushed') FROM outbox",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let last_pushed_at: Option<String> = conn
        .prepare_cached("SELECT max(pushed_at) FROM outbox")?
        .query_row([], |r| r.get(0))?;
    let last_error: Option<String> = conn
        .prepare_cached(
            "SELECT last_error FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL ORDER BY last_attempt_at DESC LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(OutboxCounts {
        pending: u64::try_from(pending).unwrap_or(0),
        pushed: u64::try_from(pushed).unwrap_or(0),
        last_pushed_at: last_pushed_at.as_deref().and_then(time),
        last_error,
    })
}

/// Whether `backup_id` is queued and not yet on the server.
pub(crate) fn is_pending(conn: &Connection, backup_id: Uuid) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE backup_id = ?1 AND state = 'pending'")?
        .query_row([backup_id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

fn bad(id: &str, what: &str) -> Error {
    Error::Invalid(format!("the outbox has a bad {what} for backup {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::{self, reason, Retention};
    use crate::DataDir;

    #[test]
    fn every_backup_is_queued_and_leaves_the_queue_when_pushed() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(tmp.path())).unwrap();
        let a = backup::create_backup(&store, reason::MANUAL).unwrap();
        let b = backup::create_backup(&store, reason::ON_CLOSE).unwrap();
        let queue = pending(&store, 10).unwrap();
        let ids: Vec<Uuid> = queue.iter().map(|e| e.backup_id).collect();
        assert_eq!(ids, vec![a.id, b.id], "pending backups come oldest first");
        assert_eq!(queue[0].file.as_ref(), Some(&a.file));

        mark_failed(&store, a.id, "server unreachable").unwrap();
        let c = counts(&store).unwrap();
        assert_eq!((c.pending, c.pushed), (2, 0));
        assert_eq!(c.last_error.as_deref(), Some("server unreachable"));
        assert_eq!(pending(&store, 10).unwrap()[0].attempts, 1);

        mark_pushed(&store, a.id).unwrap();
        enqueue(&store, a.id).unwrap(); // a second enqueue changes nothing
        let c = counts(&store).unwrap();
        assert_eq!((c.pending, c.pushed), (1, 1));
        assert!(c.last_pushed_at.is_some());
        assert_eq!(c.last_error, None, "the error of a pushed backup is not shown any more");
    }

    #[test]
    fn retention_keeps_backups_that_are_not_on_the_server_yet() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(tmp.path())).unwrap();
        let tight = Retention {
            keep_last: 1,
            keep_daily_days: 0,
        };
        store.set_retention(tight).unwrap();
        let first = backup::create_backup(&store, reason::MANUAL).unwrap();
        let second = backup::create_backup(&store, reason::MANUAL).unwrap();
        assert!(first.file.exists(), "a pending backup must survive retention");
        mark_pushed(&store, first.id).unwrap();
        mark_pushed(&store, second.id).unwrap();
        let third = backup::create_backup(&store, reason::MANUAL).unwrap();
        let left: Vec<Uuid> = backup::list_backups(&store).unwrap().iter().map(|b| b.id).collect();
        assert_eq!(left, vec![third.id], "pushed backups fall to retention as usual");
        assert!(!first.file.exists());
    }
}
