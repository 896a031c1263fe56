//! The staging database: where an import file's validated records wait, one
//! row each, so that reading a file of any size holds one record in memory.
//!
//! A staging database is a SQLite file `staging-<uuid>.db` in a folder the
//! caller names (the data directory, so it lies on the disk that will hold
//! the restored store), with the record tables of the store (`seq`, `id`,
//! `body`) and `section_values`, so everything that reads sections from the
//! store (hashes, counts, the export writer) reads them from staging too.
//! Three more columns serve the checks and the preview: `number` (invoice,
//! return and store numbers), `at` (the record's time) and `h` (a hash of
//! the body, for records without an id).
//!
//! It is a scratch file: no journal, no fsync. A sidecar `staging-<uuid>.lock`
//! is held locked while the file is in use; the file is removed when its
//! [`Staging`] is dropped, and [`remove_stale`] removes the ones a killed
//! process left (their lock is free).

use crate::error::{Error, Result};
use crate::sections::{SectionKey, Table};
use fs4::fs_std::FileExt;
use rusqlite::{params, Connection, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

const PREFIX: &str = "staging-";

/// A staging database in use.
pub(crate) struct Staging {
    /// Behind a mutex so that a document can be shared between threads
    /// (an async push holds one across awaits); it is used by one at a time.
    conn: Option<Mutex<Connection>>,
    path: PathBuf,
    lock_path: PathBuf,
    /// Held locked for as long as the file is in use.
    _lock: File,
}

impl std::fmt::Debug for Staging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staging").field("path", &self.path).finish()
    }
}

impl Staging {
    /// Creates an empty staging database in `dir`.
    pub(crate) fn create(dir: &Path) -> Result<Staging> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating the staging folder", dir, e))?;
        let name = format!("{PREFIX}{}", uuid::Uuid::new_v4().simple());
        let path = dir.join(format!("{name}.db"));
        let lock_path = dir.join(format!("{name}.lock"));
        let lock = File::options()
            .write(true)
            .create_new(true)
            .open(&lock_path)
            .map_err(|e| Error::io("creating", &lock_path, e))?;
        if !FileExt::try_lock_exclusive(&lock).map_err(|e| Error::io("locking", &lock_path, e))? {
            return Err(Error::io(
                "locking",
                &lock_path,
                std::io::Error::other("another process holds the lock of a file just created"),
            ));
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        );
        // From here on, dropping `staging` removes both files.
        let mut staging = Staging {
            conn: None,
            path,
            lock_path,
            _lock: lock,
        };
        let conn = conn?;
        // A scratch file: if the process dies it is thrown away, so no
        // journal and no fsync.
        conn.pragma_update(None, "journal_mode", "OFF")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        let mut sql = String::new();
        for table in Table::ALL {
            let t = table.sql_name();
            sql.push_str(&format!(
                "CREATE TABLE {t} (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body TEXT NOT NULL, \
                 number INTEGER, at INTEGER, h INTEGER);\n\
                 CREATE INDEX {t}_number ON {t}(number) WHERE number IS NOT NULL;\n\
                 CREATE INDEX {t}_h ON {t}(h) WHERE h IS NOT NULL;\n"
            ));
        }
        sql.push_str("CREATE TABLE section_values (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n");
        conn.execute_batch(&sql)?;
        staging.conn = Some(Mutex::new(conn));
        Ok(staging)
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // Set in `create` before the value is handed out; only `drop` takes it.
        let conn = self.conn.as_ref().expect("a staging database is open until dropped");
        // A panic while holding it leaves nothing half-done that matters:
        // the staging database is only read after it was written.
        conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a record at position `seq` (0-based in its list). `false` when
    /// a record with the same id is already there.
    pub(crate) fn insert(&self, table: Table, seq: u64, record: &StagedRecord<'_>) -> Result<bool> {
        let sql = format!(
            "INSERT OR IGNORE INTO {}(seq, id, body, number, at, h) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            table.sql_name()
        );
        let seq = i64::try_from(seq + 1).unwrap_or(i64::MAX);
        let n = self.conn().prepare_cached(&sql)?.execute(params![
            seq,
            record.id,
            record.body,
            record.number,
            record.at,
            record.hash
        ])?;
        Ok(n == 1)
    }

    /// The position (0-based) of the record of `table` with this id.
    pub(crate) fn position_of(&self, table: Table, id: &str) -> Result<Option<u64>> {
        use rusqlite::OptionalExtension;
        let sql = format!("SELECT seq - 1 FROM {} WHERE id = ?1", table.sql_name());
        let seq: Option<i64> = self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(seq.and_then(|s| u64::try_from(s).ok()))
    }

    pub(crate) fn set_value(&self, key: SectionKey, value: &str) -> Result<()> {
        crate::store::set_section_value(&self.conn(), key, value)
    }

    /// Attaches this database to `conn` as schema `staging` until the
    /// returned guard is dropped.
    pub(crate) fn attach<'c>(&self, conn: &'c Connection) -> Result<Attached<'c>> {
        let path = self.path.to_str().ok_or_else(|| {
            Error::Invalid(format!(
                "the staging file {} has a name SQLite cannot open",
                self.path.display()
            ))
        })?;
        conn.execute("ATTACH DATABASE ?1 AS staging", [path])?;
        Ok(Attached { conn })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let conn = conn.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Err((_, e)) = conn.close() {
                tracing::warn!(path = %self.path.display(), error = %e, "closing a staging database");
            }
        }
        for path in [&self.path, &self.lock_path] {
            if let Err(e) = std::fs::remove_file(path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "removing a staging file");
                }
            }
        }
    }
}

/// One validated record on its way into staging.
pub(crate) struct StagedRecord<'a> {
    pub id: Option<&'a str>,
    pub body: &'a str,
    pub number: Option<i64>,
    /// The record's time, in ms since 1970, where it has one.
    pub at: Option<i64>,
    /// A hash of the body, for records without an id.
    pub hash: Option<i64>,
}

/// A staging database attached to a connection as `staging`.
pub(crate) struct Attached<'c> {
    conn: &'c Connection,
}

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.conn.execute_batch("DETACH DATABASE staging") {
            tracing::warn!(error = %e, "detaching a staging database");
        }
    }
}

/// A 64-bit hash of a record body (the first bytes of its SHA-256), to
/// match records without an id between the store and a backup.
pub(crate) fn body_hash(body: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

/// Removes the staging files in `dir` that no process is using (left by a
/// process that was killed). Best effort: a file that cannot be removed is
/// logged and left for the next time.
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_prefix(PREFIX).and_then(|n| n.strip_suffix(".db")) else {
            continue;
        };
        let lock_path = dir.join(format!("{PREFIX}{stem}.lock"));
        let lock = match File::options().write(true).open(&lock_path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(_) => continue,
        };
        if let Some(lock) = &lock {
            if !FileExt::try_lock_exclusive(lock).unwrap_or(false) {
                continue; // in use
            }
        }
        for path in [entry.path(), lock_path] {
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!(path = %path.display(), "removed a stale staging file"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not remove a stale staging file"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staging_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(PREFIX))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_staging_database_is_removed_when_dropped_and_a_stale_one_at_the_next_clean_up() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = Staging::create(tmp.path()).unwrap();
        assert_eq!(staging_files(tmp.path()).len(), 2, "the database and its lock");
        remove_stale(tmp.path());
        assert_eq!(staging_files(tmp.path()).len(), 2, "one in use is left alone");
        drop(staging);
        assert!(staging_files(tmp.path()).is_empty(), "dropped: both files removed");

        // What a killed process leaves: the files, no lock held.
        std::fs::write(tmp.path().join("staging-dead.db"), b"x").unwrap();
        std::fs::write(tmp.path().join("staging-dead.lock"), b"").unwrap();
        std::fs::write(tmp.path().join("staging-nolock.db"), b"x").unwrap();
        remove_stale(tmp.path());
        assert!(staging_files(tmp.path()).is_empty(), "{:?}", staging_files(tmp.path()));
    }
}
