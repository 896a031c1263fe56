//! Change marks: what changed in each record table since a backup, so the
//! next backup reads only from there ([`crate::snapshot`]'s resume).
//!
//! One row per record table in `change_marks`: `epoch` (random, replaced
//! when a backup marks its snapshot as the new base), `tag` (random,
//! replaced at every change) and `low_seq` (the lowest `seq` inserted,
//! updated or deleted since the epoch began; NULL when nothing changed).
//! SQLite triggers on every record table keep them, in the transaction of
//! the change itself, so no writer can forget them: the till's write path,
//! imports and restores, the legacy bridge, migrations, hand-run SQL alike.
//!
//! Why this is safe, also when the database file is replaced by an older
//! copy: the tag is random per change, so the same `(epoch, tag)` means the
//! same history; a backup resets a table's epoch only while its tag is the
//! one its snapshot saw (no change in between), so "epoch E′, changes from
//! `low_seq` on" always describes the file's records relative to that
//! snapshot. A migration gives every table a new epoch (a migration may
//! rebuild a table, which fires no trigger), so the first backup after an
//! upgrade reads everything.
//!
//! A bulk replacement (restore, import) drops the triggers for the length of
//! its transaction and marks every table changed from its first record
//! ([`suspend`] / [`resume_all_changed`]), instead of firing a trigger for
//! each of millions of rows.

use crate::error::Result;
use crate::sections::Table;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// A new random epoch or tag, as SQL.
const RANDOM: &str = "lower(hex(randomblob(16)))";

/// The triggers of one table (insert, update, delete).
fn trigger_sql(table: Table) -> String {
    let t = table.sql_name();
    let mark = |low: &str| {
        format!(
            "UPDATE change_marks SET tag = {RANDOM}, low_seq = min(coalesce(low_seq, {low}), {low}) WHERE tbl = '{t}';"
        )
    };
    format!(
        "CREATE TRIGGER IF NOT EXISTS change_mark_{t}_ins AFTER INSERT ON {t} BEGIN {} END;
         CREATE TRIGGER IF NOT EXISTS change_mark_{t}_upd AFTER UPDATE ON {t} BEGIN {} END;
         CREATE TRIGGER IF NOT EXISTS change_mark_{t}_del AFTER DELETE ON {t} BEGIN {} END;",
        mark("NEW.seq"),
        mark("min(OLD.seq, NEW.seq)"),
        mark("OLD.seq"),
    )
}

/// Migration 8: the table and its triggers.
pub(crate) fn install(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS change_marks (
             tbl     TEXT PRIMARY KEY,
             epoch   TEXT NOT NULL,
             tag     TEXT NOT NULL,
             low_seq INTEGER
         );",
    )?;
    for table in Table::ALL {
        conn.execute(
            &format!(
                "INSERT OR IGNORE INTO change_marks(tbl, epoch, tag, low_seq) VALUES (?1, {RANDOM}, {RANDOM}, NULL)"
            ),
            [table.sql_name()],
        )?;
        conn.execute_batch(&trigger_sql(table))?;
    }
    Ok(())
}

/// Gives every table a new epoch and tag: nothing is known to be unchanged
/// (after a migration).
pub(crate) fn new_epochs(conn: &Connection) -> Result<()> {
    conn.execute(
        &format!("UPDATE change_marks SET epoch = {RANDOM}, tag = {RANDOM}, low_seq = NULL"),
        [],
    )?;
    Ok(())
}

/// Drops the triggers for a bulk replacement in the caller's transaction;
/// [`resume_all_changed`] must follow in the same transaction.
pub(crate) fn suspend(conn: &Connection) -> Result<()> {
    for table in Table::ALL {
        let t = table.sql_name();
        conn.execute_batch(&format!(
            "DROP TRIGGER IF EXISTS change_mark_{t}_ins;
             DROP TRIGGER IF EXISTS change_mark_{t}_upd;
             DROP TRIGGER IF EXISTS change_mark_{t}_del;"
        ))?;
    }
    Ok(())
}

/// Puts the triggers back and marks every table changed from its start.
pub(crate) fn resume_all_changed(conn: &Connection) -> Result<()> {
    for table in Table::ALL {
        conn.execute_batch(&trigger_sql(table))?;
    }
    conn.execute(
        &format!("UPDATE change_marks SET tag = {RANDOM}, low_seq = -9223372036854775808"),
        [],
    )?;
    Ok(())
}

/// One table's marks as a snapshot sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub epoch: String,
    pub tag: String,
    pub low_seq: Option<i64>,
}

/// Every table's marks, read in the caller's (read) transaction; empty if
/// the schema has none.
pub(crate) fn read(conn: &Connection) -> Result<BTreeMap<String, Mark>> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_marks'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(BTreeMap::new());
    }
    let mut stmt = conn.prepare_cached("SELECT tbl, epoch, tag, low_seq FROM change_marks")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Mark {
                epoch: r.get(1)?,
                tag: r.get(2)?,
                low_seq: r.get(3)?,
            },
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (tbl, mark) = row?;
        out.insert(tbl, mark);
    }
    Ok(out)
}

/// A backup's request to make its snapshot the base of `table`'s marks:
/// the epoch becomes `epoch_after` and `low_seq` NULL, only if the table's
/// epoch and tag are still the ones the snapshot saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkReset {
    pub table: String,
    pub epoch_before: String,
    pub tag: String,
    pub epoch_after: String,
}

/// Applies `resets` (after the backup's manifest is on disk); returns how
/// many tables took theirs.
pub(crate) fn apply_resets(conn: &Connection, resets: &[MarkReset]) -> Result<usize> {
    let mut done = 0;
    for r in resets {
        done += conn.execute(
            "UPDATE change_marks SET epoch = ?1, low_seq = NULL WHERE tbl = ?2 AND epoch = ?3 AND tag = ?4",
            params![r.epoch_after, r.table, r.epoch_before, r.tag],
        )?;
    }
    Ok(done)
}

/// A new random epoch, made in Rust (for a [`MarkReset`]).
pub(crate) fn new_epoch() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
