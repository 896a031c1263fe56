//! Starting again from a backup when the database is damaged.
//!
//! A damaged database is never written to: [`recover`] first reads and
//! verifies the chosen backup, then moves the damaged files (the database
//! and its WAL and shared-memory files) aside into `<data dir>/damaged-<time>/`
//! where they stay for a specialist, opens a fresh database, and imports the
//! backup into it in one transaction. It needs no working database, so the
//! backups are found by their files, not by the backup list in the database.

use crate::error::{Error, Result};
use crate::restore::{self, ImportMode};
use crate::snapshot;
use crate::store::{DataDir, SectionCounts, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A backup file found in `<data dir>/backups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupFile {
    pub file: PathBuf,
    /// The file name, which is also how the recovery screen names it.
    pub name: String,
    /// When it was written, from the file name.
    pub created_at: Option<DateTime<Utc>>,
    /// Why it was written (`manual`, `on_close`, …), from the file name.
    pub reason: Option<String>,
    pub size: u64,
}

/// The backup files, newest first (names start with their UTC time).
pub fn backup_files(dir: &DataDir) -> Result<Vec<BackupFile>> {
    let folder = dir.backups();
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("listing the backups", &folder, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing the backups", &folder, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("sonic-") || crate::backup::parse_file_name(&name).is_none() {
            continue;
        }
        let parsed = crate::backup::parse_file_name(&name);
        let created_at = parsed.as_ref().map(|(at, _)| *at);
        let reason = parsed.map(|(_, reason)| reason);
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        out.push(BackupFile {
            file: entry.path(),
            name,
            created_at,
            reason,
            size,
        });
    }
    out.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(out)
}

/// The backup file called `name` in the backups folder, for a name that came
/// back from the recovery screen. The name must be one plain file name (no
/// folder, no `..`, no drive like `C:` on Windows: checked by the path's
/// components, as the OS itself reads it) in the backup file format.
pub fn backup_file_named(dir: &DataDir, name: &str) -> Result<PathBuf> {
    use std::path::Component;
    let mut parts = Path::new(name).components();
    let plain = matches!((parts.next(), parts.next()), (Some(Component::Normal(n)), None) if n == name);
    if !plain || crate::backup::parse_file_name(name).is_none() {
        return Err(Error::Invalid(format!(
            "{name:?} is not a backup file name from the list; choose one of the backups shown"
        )));
    }
    Ok(dir.backups().join(name))
}

/// The newest backup file that reads and verifies (every section hash and
/// the snapshot hash), with the problems of the newer ones that did not.
pub fn newest_good_backup(dir: &DataDir) -> Result<(Option<BackupFile>, Vec<String>)> {
    let mut problems = Vec::new();
    for file in backup_files(dir)? {
        match snapshot::read_file_in(&file.file, dir.root()) {
            Ok(_) => return Ok((Some(file), problems)),
            Err(e) => problems.push(format!("{}: {e}", file.name)),
        }
    }
    Ok((None, problems))
}

/// What [`recover`] did.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// Where the damaged files were moved.
    pub moved_to: PathBuf,
    pub restored_from: PathBuf,
    pub counts: SectionCounts,
}

/// Replaces a damaged database with the backup `backup` (a file in the
/// backups folder). The backup is verified before anything is moved; on
/// any error after the move, the damaged files stay in `moved_to` and the
/// new database holds nothing (the import is one transaction).
pub fn recover(dir: &DataDir, backup: &Path) -> Result<Recovered> {
    let doc = snapshot::read_file_in(backup, dir.root())?;
    let moved_to = dir
        .root()
        .join(format!("damaged-{}", Utc::now().format("%Y%m%d-%H%M%S-%3f")));
    std::fs::create_dir_all(&moved_to).map_err(|e| Error::io("creating", &moved_to, e))?;
    let db = dir.database();
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            let name = from.file_name().map(|n| n.to_owned()).unwrap_or_default();
            let to = moved_to.join(name);
            // On Windows an open file cannot be moved: the app closes the
            // till's connection first, and the move waits (bounded) for any
            // reader still finishing.
            sonic_platform::fs::move_when_closed(&from, &to, std::time::Duration::from_secs(15))
                .map_err(|e| Error::io("moving the damaged database aside", &from, e))?;
        }
    }
    let mut store = Store::open(dir)?;
    let source = format!("backup file {}", backup.display());
    restore::import(&mut store, &doc, ImportMode::IntoEmpty, &source)?;
    store.quick_check()?;
    tracing::warn!(moved_to = %moved_to.display(), backup = %backup.display(), "damaged database replaced from a backup");
    Ok(Recovered {
        moved_to,
        restored_from: backup.to_path_buf(),
        counts: store.counts()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "sonic-20261130-203000-manual-0193aa.json.zst";

    /// Damage found while the app runs: the till's store closes its file
    /// (Windows cannot move a file SQLite holds open), then recovery moves
    /// it aside and restores. Shown here by the process's open files.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_store_closed_for_recovery_holds_no_handle_on_its_files_and_recovery_replaces_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path());
        let mut store = Store::open(&dir).unwrap();
        crate::gen::generate(&mut store, crate::gen::Profile::Small, 3).unwrap();
        let made = crate::backup::create_backup(&store, crate::backup::reason::MANUAL).unwrap();
        let counts = store.counts().unwrap();
        let db = std::fs::canonicalize(dir.database()).unwrap();
        let open_handles = || {
            std::fs::read_dir("/proc/self/fd")
                .unwrap()
                .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter(|target| target.to_string_lossy().starts_with(&*db.to_string_lossy()))
                .count()
        };
        assert!(open_handles() > 0, "the open store holds its file");
        store.close_file().unwrap();
        assert_eq!(open_handles(), 0, "closed: no handle on the database, its -wal or -shm");
        assert!(store.stopped().is_some(), "a closed store takes no change");
        let done = recover(&dir, &made.file).unwrap();
        assert!(
            done.moved_to.join("sonic-pos.db").is_file(),
            "the damaged file is kept aside"
        );
        assert_eq!(done.counts, counts, "the backup is in the fresh database");
        drop(store);
    }

    #[test]
    fn a_backup_is_named_by_one_plain_file_name() {
        let dir = DataDir::at("shop");
        assert_eq!(backup_file_named(&dir, GOOD).unwrap(), dir.backups().join(GOOD));
        let elsewhere = [
            format!("../{GOOD}"),
            format!("sub/{GOOD}"),
            format!("sub\\{GOOD}"),
            format!("/{GOOD}"),
            "..".to_string(),
            String::new(),
            "notes.txt".to_string(),
            // A drive-relative name: on Windows `C:` is a path prefix.
            format!("C:{GOOD}"),
            format!("C:\\{GOOD}"),
            format!("\\\\?\\C:\\{GOOD}"),
        ];
        for name in &elsewhere {
            let err = backup_file_named(&dir, name).expect_err(name);
            assert!(err.to_string().contains("not a backup file name"), "{name}: {err}");
        }
    }
}
