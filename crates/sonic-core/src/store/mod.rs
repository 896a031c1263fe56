//! The local SQLite store: where it lives, how it is opened, and the schema.
//!
//! **Invariant:** every change to the sections goes through one SQLite
//! transaction; the connection runs in WAL mode with `synchronous=FULL`, so a
//! change is on disk when the call that made it returns.

pub(crate) mod change_marks;
mod migrations;
pub use migrations::SCHEMA_VERSION;
mod records;
mod settings;

pub use records::StoredRecord;

use crate::error::{Error, Result};
use crate::sections::{SectionKey, SectionKind, Table};
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable that names the data directory.
pub const DATA_DIR_ENV: &str = "SONIC_DATA_DIR";

/// The folder that holds the database and the local backups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// A data directory at an explicit path.
    pub fn at(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// The data directory to use: `explicit` (the `--data-dir` flag) if given,
    /// else `$SONIC_DATA_DIR`, else the platform's local data directory
    /// ([`sonic_platform::paths::default_data_dir`]: `~/.local/share/sonic-pos`
    /// on Linux, `%LOCALAPPDATA%\Sonic\sonic-pos\data` on Windows).
    pub fn resolve(explicit: Option<&Path>) -> Result<DataDir> {
        if let Some(path) = explicit {
            return Ok(DataDir::at(path));
        }
        if let Some(path) = std::env::var_os(DATA_DIR_ENV).filter(|p| !p.is_empty()) {
            return Ok(DataDir::at(PathBuf::from(path)));
        }
        sonic_platform::paths::default_data_dir()
            .map(DataDir::at)
            .ok_or(Error::NoDataDir)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite database file.
    pub fn database(&self) -> PathBuf {
        self.root.join("sonic-pos.db")
    }

    /// Where local backup files go.
    pub fn backups(&self) -> PathBuf {
        self.root.join("backups")
    }
}

/// The open local store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    dir: DataDir,
    /// Set when the disk failed to `fsync` a commit: from then on this
    /// store takes no change until it is reopened (see [`Store::stopped`]).
    stopped: Option<String>,
}

impl Store {
    /// Opens the store in `dir`, creating the folder and the database if
    /// needed, and migrating the schema forward.
    pub fn open(dir: &DataDir) -> Result<Store> {
        sonic_platform::fs::create_dir_all_durable(dir.root())
            .map_err(|e| Error::io("creating the data directory", dir.root(), e))?;
        // What a killed import or restore left (its staging database).
        crate::snapshot::remove_stale_staging(dir.root());
        let path = dir.database();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| damaged_or(&path, e))?;
        configure(&conn).map_err(|e| damaged_or(&path, e))?;
        let mut store = Store {
            conn,
            dir: dir.clone(),
            stopped: None,
        };
        migrations::migrate(&mut store.conn).map_err(|e| match e {
            Error::Sqlite(e) => damaged_or(&path, e),
            other => other,
        })?;
        crate::identity::ensure_device_id(&store.conn)?;
        make_private(dir);
        Ok(store)
    }

    /// The data directory this store lives in.
    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    /// The connection, for the modules of this crate.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Why this store takes no more changes, if it stopped: the disk failed
    /// to `fsync` a commit. As PostgreSQL does after a failed `fsync`, it
    /// does not retry (Linux may already have dropped the unwritten data,
    /// and a later `fsync` would report success without writing it); only a
    /// reopen, which rereads what the file holds, makes it sell again.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// `Err(Stopped)` once a commit failed to reach the disk.
    pub(crate) fn ensure_running(&self) -> Result<()> {
        match &self.stopped {
            Some(detail) => Err(Error::Stopped { detail: detail.clone() }),
            None => Ok(()),
        }
    }

    /// Stops the store if `err` is a failed `fsync` (SQLite's
    /// `SQLITE_IOERR_FSYNC` or `SQLITE_IOERR_DIR_FSYNC`) and returns the
    /// error to report.
    pub(crate) fn note_failure(&mut self, err: Error) -> Error {
        if let Error::Sqlite(e) = &err {
            if is_fsync_failure(e) {
                let detail = e.to_string();
                tracing::error!(%detail, "the disk failed to save a commit; the store stops until reopened");
                self.stopped = Some(detail.clone());
                return Error::Stopped { detail };
            }
        }
        err
    }

    /// Closes the database file: the connection is swapped for an empty
    /// in-memory one and the store stops (it takes no change until
    /// reopened). For a store found damaged while the app runs, whose file
    /// the recovery then moves aside: Windows cannot move a file SQLite
    /// holds open.
    pub fn close_file(&mut self) -> Result<()> {
        let old = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        self.stopped = Some("the database file was closed for recovery".into());
        old.close().map_err(|(_, e)| Error::Sqlite(e))
    }

    /// `PRAGMA quick_check`: `Ok` if SQLite finds the file sound.
    pub fn quick_check(&self) -> Result<()> {
        check(&self.conn, "quick_check", &self.dir.database())
    }

    /// `PRAGMA integrity_check`: the thorough version of [`Store::quick_check`].
    pub fn integrity_check(&self) -> Result<()> {
        check(&self.conn, "integrity_check", &self.dir.database())
    }

    /// How many records each section holds (counters and rates count 1 when set).
    /// A setting of this installation (never exported or restored: which
    /// store this till sells from, the UI language), if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        get_setting(&self.conn, key)
    }

    /// Sets a setting of this installation.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        set_setting(&self.conn, key, value)
    }

    pub fn counts(&self) -> Result<SectionCounts> {
        let tx = self.conn.unchecked_transaction()?;
        let counts = counts_in(&tx)?;
        tx.commit()?;
        Ok(counts)
    }
}

/// A read-only connection of its own on the store's database file, for the
/// long reads (a backup, an export, the scheduled change check, a restore
/// preview) that must not take the till's write connection or the lock the
/// app keeps around it.
///
/// In WAL mode a reader and the till never wait for each other: a read
/// transaction sees the database as it was at its first read (a WAL
/// snapshot) while sales commit beside it, so a backup written through a
/// reader is one consistent instant and the till sells on.
#[derive(Debug)]
pub struct Reader {
    conn: Connection,
    dir: DataDir,
}

impl Reader {
    /// Opens a reader on the store in `dir`, which must exist (the till's
    /// [`Store::open`] creates and migrates it).
    pub fn open(dir: &DataDir) -> Result<Reader> {
        let path = dir.database();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| damaged_or(&path, e))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "cache_size", -8192)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Reader { conn, dir: dir.clone() })
    }

    /// The data directory of the store this reads.
    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    /// `PRAGMA quick_check` on this read-only connection: the check the
    /// app runs after its window is up, beside the till's connection.
    pub fn quick_check(&self) -> Result<()> {
        check(&self.conn, "quick_check", &self.dir.database())
    }
}

impl Store {
    /// A [`Reader`] on this store's file: its own read-only connection.
    pub fn reader(&self) -> Result<Reader> {
        Reader::open(&self.dir)
    }
}

/// Where whole-store reads (export, digests, the backup list) come from:
/// the store's own connection or a [`Reader`]'s. Sealed: only these two.
pub trait Readable: sealed::Sealed {
    #[doc(hidden)]
    fn read_conn(&self) -> &Connection;
    /// The data directory of the store read.
    fn read_dir(&self) -> &DataDir;
}

impl Readable for Store {
    fn read_conn(&self) -> &Connection {
        &self.conn
    }
    fn read_dir(&self) -> &DataDir {
        &self.dir
    }
}

impl Readable for Reader {
    fn read_conn(&self) -> &Connection {
        &self.conn
    }
    fn read_dir(&self) -> &DataDir {
        &self.dir
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Store {}
    impl Sealed for super::Reader {}
}

/// Records per section, in section order.
pub type SectionCounts = BTreeMap<SectionKey, u64>;

pub(crate) fn counts_in(conn: &Connection) -> Result<SectionCounts> {
    let mut out = SectionCounts::new();
    for key in SectionKey::ALL {
        let n = match key.kind() {
            SectionKind::Collection(table) => records::count(conn, table)?,
            SectionKind::Object(parts) => {
                let mut n = 0;
                for (_, table) in parts {
                    n += records::count(conn, *table)?;
                }
                n
            }
            SectionKind::Counter | SectionKind::Rate => u64::from(section_value(conn, key)?.is_some()),
        };
        out.insert(key, n);
    }
    Ok(out)
}

/// Total records in all tables (counters and rates not counted).
pub(crate) fn record_total(conn: &Connection) -> Result<u64> {
    let mut n = 0;
    for table in Table::ALL {
        n += records::count(conn, table)?;
    }
    Ok(n)
}

pub(crate) use records::{
    append_record, clear_all, count as records_in, for_each_record, for_each_record_from,
    insert_record as records_insert, section_value, set_section_value,
};
pub(crate) use settings::{get_setting, set_setting};

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // WAL: readers (backups) never block the till; FULL: a returned commit is on disk.
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "could not switch the database to WAL mode");
    }
    conn.pragma_update(None, "synchronous", synchronous())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 32 MiB of page cache (SQLite's default is 2 MiB): the B-tree interior
    // pages of a five-year shop stay in memory, so a sale on a big store
    // costs about what it costs on an empty one.
    conn.pragma_update(None, "cache_size", -32768)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// `FULL`. Debug builds (the tests) take `SONIC_TEST_SYNCHRONOUS=NORMAL`, a
/// deliberate weakening that shows the power-cut tests of `sonic-faultfs`
/// catch the loss; release builds never read it.
fn synchronous() -> &'static str {
    #[cfg(debug_assertions)]
    if std::env::var("SONIC_TEST_SYNCHRONOUS").is_ok_and(|v| v.eq_ignore_ascii_case("NORMAL")) {
        tracing::warn!("SONIC_TEST_SYNCHRONOUS=NORMAL: commits are not synced (a test of the power-cut tests)");
        return "NORMAL";
    }
    "FULL"
}

/// A failed `fsync` (of the database, its WAL, or their folder).
fn is_fsync_failure(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_IOERR_FSYNC
                || e.extended_code == rusqlite::ffi::SQLITE_IOERR_DIR_FSYNC
    )
}

fn check(conn: &Connection, pragma: &str, path: &Path) -> Result<()> {
    let mut stmt = conn.prepare(&format!("PRAGMA {pragma}"))?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| damaged_or(path, e))?;
    if lines.len() == 1 && lines[0] == "ok" {
        Ok(())
    } else {
        Err(Error::Damaged {
            path: path.to_path_buf(),
            detail: lines.join("; "),
        })
    }
}

/// SQLite's "not a database" and "malformed" errors mean a damaged file.
fn damaged_or(path: &Path, err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => Error::Damaged {
            path: path.to_path_buf(),
            detail: err.to_string(),
        },
        _ => Error::Sqlite(err),
    }
}

/// The folders of a data directory that hold the shop's data (backups,
/// exports, the log), made private with the directory itself.
const PRIVATE_FOLDERS: &[&str] = &["backups", "exports", "logs"];

/// Makes the data directory private to this user (Unix: the folder and
/// [`PRIVATE_FOLDERS`] `0700`, their files `0600`), fixing what older
/// versions wrote `0644`. A failure (a folder on a file system without
/// modes, owned by someone else) is logged, not fatal: the till sells on.
fn make_private(dir: &DataDir) {
    match sonic_platform::fs::make_private(dir.root(), PRIVATE_FOLDERS) {
        Ok(0) => {}
        Ok(n) => tracing::info!(changed = n, "made the data directory private to this user"),
        Err(e) => tracing::warn!(dir = %dir.root().display(), error = %e, "could not make the data directory private"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_the_database_in_wal_mode_with_full_sync() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path().join("nested/data"));
        let store = Store::open(&dir).unwrap();
        assert!(dir.database().exists(), "the database file must be created");
        let mode: String = store.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = store.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous must be FULL (2)");
        let fk: i64 = store.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        store.quick_check().unwrap();
        assert!(store.counts().unwrap().values().all(|n| *n == 0));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_as_damaged() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path());
        std::fs::write(dir.database(), vec![0x5a; 8192]).unwrap();
        let err = Store::open(&dir).unwrap_err();
        assert!(matches!(err, Error::Damaged { .. }), "got {err:?}");
        assert!(err.to_string().contains("restore the newest good backup"));
    }

    #[test]
    fn a_reader_sees_its_snapshot_while_the_store_writes_and_cannot_write() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path());
        let store = Store::open(&dir).unwrap();
        store.set_setting("k", "before").unwrap();
        let reader = store.reader().unwrap();
        let tx = reader.read_conn().unchecked_transaction().unwrap();
        assert_eq!(get_setting(&tx, "k").unwrap().as_deref(), Some("before"));
        // The till writes while the reader's transaction is open: no waiting.
        store.set_setting("k", "after").unwrap();
        assert_eq!(
            get_setting(&tx, "k").unwrap().as_deref(),
            Some("before"),
            "a read transaction keeps the instant of its first read"
        );
        drop(tx);
        assert_eq!(get_setting(reader.read_conn(), "k").unwrap().as_deref(), Some("after"));
        assert!(
            set_setting(reader.read_conn(), "k", "x").is_err(),
            "a reader must not be able to write"
        );
    }

    #[test]
    fn explicit_data_dir_wins_over_the_environment() {
        let dir = DataDir::resolve(Some(Path::new("/tmp/explicit"))).unwrap();
        assert_eq!(dir.root(), Path::new("/tmp/explicit"));
    }

    #[test]
    fn the_data_directory_and_its_files_are_private_after_open_and_after_a_backup() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path().join("data"));
        // What an older version left: a world-readable folder and files.
        let old_backup = dir.backups().join("old.json.zst");
        std::fs::create_dir_all(dir.backups()).unwrap();
        std::fs::create_dir_all(dir.root().join("logs")).unwrap();
        std::fs::write(&old_backup, b"x").unwrap();
        std::fs::write(dir.root().join("logs").join("sonic-pos.log"), b"x").unwrap();
        open_up(dir.root());
        open_up(&dir.backups());
        open_up(&old_backup);
        open_up(&dir.root().join("logs").join("sonic-pos.log"));
        drop(Store::open(&dir).unwrap());
        open_up(&dir.database());
        let store = Store::open(&dir).unwrap();
        let made = crate::backup::create_backup(&store, crate::backup::reason::MANUAL).unwrap();
        for path in [
            dir.root().to_path_buf(),
            dir.database(),
            dir.backups(),
            old_backup,
            dir.root().join("logs").join("sonic-pos.log"),
            made.file.clone(),
        ] {
            assert!(
                sonic_platform::fs::is_private(&path).unwrap(),
                "{} must be readable by this user only",
                path.display()
            );
        }
    }

    /// Mode 0644 / 0755, as versions before this one left files (Unix).
    fn open_up(path: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = if path.is_dir() { 0o755 } else { 0o644 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = path;
    }
}
