//! Local backups: a consistent snapshot in `<data dir>/backups/`, with
//! retention.
//!
//! A backup is a manifest and the content-addressed pages it needs that
//! the folder lacks ([`crate::page_store`]): after one sale, a few pages.
//! Backups of the earlier format (one `.json.zst` export file, with its
//! `.pages` index beside it) still list, verify, restore and push.
//!
//! Every file is written to a temporary name, flushed to disk, renamed
//! into place and the folder flushed, so a crash or a full disk never leaves
//! a half-written file under a backup's name. Each backup is also recorded
//! in the `local_backups` table so listing does not read every file.

use crate::error::{Error, Result};
use crate::page_store::{self, PageWriter, StoredBackup, MANIFEST_SUFFIX};
use crate::pages::PageCutter;
use crate::snapshot::resume::{ResumeState, Resumer};
use crate::snapshot::{self, ExportInfo, Meta, PageIndex, Progress};
use crate::store::{get_setting, set_setting, Readable, Reader, Store};
use chrono::{DateTime, Duration, Utc};
use rusqlite::params;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Why a backup was made. Stored in `_meta.reason` and in the file name.
pub mod reason {
    pub const MANUAL: &str = "manual";
    pub const ON_CLOSE: &str = "on_close";
    pub const SCHEDULED: &str = "scheduled";
    pub const PRE_RESTORE: &str = "pre_restore";
    pub const PRE_IMPORT: &str = "pre_import";
    pub const SHIFT_CLOSE: &str = "shift_close";
}

/// A local backup file and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupInfo {
    pub id: Uuid,
    pub file: PathBuf,
    pub created_at: DateTime<Utc>,
    pub reason: String,
    /// Bytes this backup wrote: its manifest and the pages the folder
    /// lacked (a backup of the earlier format: its compressed file).
    pub size: u64,
    pub snapshot_sha256: String,
    /// Records per section key.
    pub counts: BTreeMap<String, u64>,
    /// Records taken from the last backup's manifest instead of read
    /// ([`crate::snapshot::resume`]); 0 for a backup read in full.
    #[serde(skip)]
    pub records_reused: u64,
    /// The change-mark resets [`record_backup`] applies (this backup
    /// becomes the base the next one reads from).
    #[serde(skip)]
    pub mark_resets: Vec<crate::store::change_marks::MarkReset>,
}

/// How many local backups to keep: the last `keep_last`, plus the newest of
/// each day for `keep_daily_days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retention {
    pub keep_last: usize,
    pub keep_daily_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_last: 20,
            keep_daily_days: 30,
        }
    }
}

const KEEP_LAST: &str = "backup.keep_last";
const KEEP_DAILY_DAYS: &str = "backup.keep_daily_days";

impl Store {
    /// The retention this installation uses.
    pub fn retention(&self) -> Result<Retention> {
        let default = Retention::default();
        let keep_last = get_setting(self.conn(), KEEP_LAST)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(default.keep_last);
        let keep_daily_days = get_setting(self.conn(), KEEP_DAILY_DAYS)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(default.keep_daily_days);
        Ok(Retention {
            keep_last,
            keep_daily_days,
        })
    }

    /// Changes the retention. At least the newest backup is always kept.
    pub fn set_retention(&self, retention: Retention) -> Result<()> {
        if retention.keep_last == 0 {
            return Err(Error::Invalid(
                "keep_last must be 1 or more: the newest backup is always kept".into(),
            ));
        }
        set_setting(self.conn(), KEEP_LAST, &retention.keep_last.to_string())?;
        set_setting(self.conn(), KEEP_DAILY_DAYS, &retention.keep_daily_days.to_string())
    }
}

/// Writes a backup of the whole store now, records it, and applies retention
/// (keeping every backup still waiting for the server).
pub fn create_backup(store: &Store, reason: &str) -> Result<BackupInfo> {
    create_backup_with(store, reason, PendingBackups::Keep)
}

/// [`create_backup`], saying what the retention does with backups waiting for
/// the server (a till with no server set up prunes them too). The file is
/// written through a [`Reader`] of its own ([`write_backup`]); only the
/// bookkeeping ([`record_backup`]) uses `store`'s connection.
pub fn create_backup_with(store: &Store, reason: &str, pending: PendingBackups) -> Result<BackupInfo> {
    let info = write_backup(&store.reader()?, reason, &mut |_| {})?;
    record_backup(store, &info, pending)?;
    Ok(info)
}

/// Writes a backup of the snapshot `reader` takes when it starts (a
/// manifest and the pages the backups folder lacks), and returns what it
/// holds; `progress` hears the records read of the total. Nothing is
/// recorded yet: [`record_backup`] lists it, queues it for the server and
/// applies the retention. This is the long part of a backup, and it takes
/// neither the till's connection nor its lock.
pub fn write_backup(reader: &Reader, reason: &str, progress: &mut dyn FnMut(Progress)) -> Result<BackupInfo> {
    let NewBackup {
        dir,
        id,
        created_at,
        info,
    } = NewBackup::start(reader, reason)?;
    let final_path = dir.join(file_name(created_at, reason, id));
    // Pages go into the page store as they are cut (the store's lock held
    // shared, so retention removes none meanwhile); the manifest last.
    let mut writer = PageWriter::open(&dir)?;
    // The last manifest, read under that lock: what did not change since
    // is taken from it, not read again.
    let mut resumer = Resumer::new(resume_base(&dir));
    let mut cutter = PageCutter::handing_pages(|page| writer.put(&page));
    let meta = snapshot::export_cutting(
        reader,
        &info,
        &mut std::io::sink(),
        progress,
        Some(&mut cutter),
        Some(&mut resumer),
    )?;
    let (manifest, _) = cutter.finish();
    let pages_written = writer.pages_written;
    let mut stored = StoredBackup::new(id, meta, manifest, writer.page_bytes + resumer.reused_page_bytes);
    stored.resume = Some(std::mem::take(&mut resumer.state));
    let size = writer.finish(&final_path, &stored)?;
    tracing::debug!(
        backup_id = %id, pages_written, bytes = size, records_reused = resumer.reused_records,
        "backup pages and manifest written"
    );
    let mut info = BackupInfo::written(id, final_path, created_at, reason, size, &stored.meta);
    info.records_reused = resumer.reused_records;
    info.mark_resets = resumer.resets;
    Ok(info)
}

/// The manifest a new backup in `dir` resumes from: the newest one (by its
/// id, a UUIDv7), if it reads, is of this build's formats, carries resume
/// points, and every page it names is in the folder.
fn resume_base(dir: &Path) -> Option<(crate::pages::Manifest, ResumeState)> {
    let newest = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name
                .ends_with(MANIFEST_SUFFIX)
                .then(|| parse_file_id(&name))
                .flatten()?;
            Some((id, e.path()))
        })
        .max_by_key(|(id, _)| *id)?;
    let stored = StoredBackup::read(&newest.1)
        .map_err(
            |e| tracing::warn!(error = %e, "the last backup's manifest does not read; this backup reads everything"),
        )
        .ok()?;
    let resume = stored.resume?;
    if stored.meta.format_version != snapshot::FORMAT_VERSION
        || stored.manifest.version != crate::pages::MANIFEST_VERSION
    {
        return None;
    }
    let pages = page_store::PageStore::of(dir);
    if !stored.manifest.page_hashes().all(|h| pages.path(h).is_file()) {
        tracing::warn!("a page of the last backup is missing; this backup reads everything");
        return None;
    }
    Some((stored.manifest, resume))
}

/// Writes a backup in the earlier format: one zstd-compressed export file
/// with its page index beside it. Kept so that tests (and the bench) can
/// make the backups an older Sonic POS left behind; the app writes
/// manifests ([`write_backup`]).
#[doc(hidden)]
pub fn write_backup_file(reader: &Reader, reason: &str, progress: &mut dyn FnMut(Progress)) -> Result<BackupInfo> {
    let NewBackup {
        dir,
        id,
        created_at,
        info,
    } = NewBackup::start(reader, reason)?;
    let name = file_name(created_at, reason, id).replace(MANIFEST_SUFFIX, FILE_SUFFIX);
    let final_path = dir.join(&name);
    let mut pages = PageCutter::default();
    let meta = write_atomically(&final_path, |out| {
        let mut encoder = zstd::Encoder::new(out, 3).map_err(|e| Error::io("compressing", &final_path, e))?;
        let meta = snapshot::export_cutting(reader, &info, &mut encoder, progress, Some(&mut pages), None)?;
        encoder.finish().map_err(|e| Error::io("compressing", &final_path, e))?;
        Ok(meta)
    })?;
    let size = std::fs::metadata(&final_path)
        .map_err(|e| Error::io("reading", &final_path, e))?
        .len();
    let (manifest, pages) = pages.finish();
    let index = PageIndex {
        backup_id: id,
        backup_bytes: size,
        meta: meta.clone(),
        manifest,
        pages,
    };
    // Only a help for the push: without it the backup is pushed the long
    // way (read and validated whole), so failing to write it fails nothing.
    if let Err(e) = index.write(&final_path) {
        tracing::warn!(backup_id = %id, error = %e, "the backup's page index was not written");
    }
    Ok(BackupInfo::written(id, final_path, created_at, reason, size, &meta))
}

/// What every new backup starts from: its reason checked, the backups
/// folder there (created durably) and cleared of a killed run's temporary
/// files, a new id and time, and the `_meta` it will carry.
struct NewBackup {
    dir: PathBuf,
    id: Uuid,
    created_at: DateTime<Utc>,
    info: ExportInfo,
}

impl NewBackup {
    fn start(reader: &Reader, reason: &str) -> Result<NewBackup> {
        check_reason(reason)?;
        let dir = reader.data_dir().backups();
        sonic_platform::fs::create_dir_all_durable(&dir)
            .map_err(|e| Error::io("creating the backup folder", &dir, e))?;
        remove_stale_temp_files(&dir);
        let id = Uuid::now_v7();
        Ok(NewBackup {
            dir,
            id,
            created_at: Utc::now(),
            info: ExportInfo {
                reason: reason.to_string(),
                backup_id: Some(id),
            },
        })
    }
}

impl BackupInfo {
    /// A backup just written at `file` (`size` bytes written), with its `_meta`.
    fn written(id: Uuid, file: PathBuf, created_at: DateTime<Utc>, reason: &str, size: u64, meta: &Meta) -> BackupInfo {
        BackupInfo {
            id,
            file,
            created_at,
            reason: reason.to_string(),
            size,
            snapshot_sha256: meta.snapshot_sha256.clone(),
            counts: meta.sections.iter().map(|(k, d)| (k.clone(), d.records)).collect(),
            records_reused: 0,
            mark_resets: Vec::new(),
        }
    }
}

/// Lists a backup [`write_backup`] wrote, queues it for the server, and
/// applies the retention: short writes on the store's connection.
pub fn record_backup(store: &Store, info: &BackupInfo, pending: PendingBackups) -> Result<()> {
    // Listed and queued for the server together: a listed backup is never
    // missing from the outbox.
    let tx = store.conn().unchecked_transaction()?;
    record(store, info)?;
    crate::outbox::enqueue_in(&tx, info.id)?;
    // This backup is now the base of the change marks (of each table that
    // did not change since its snapshot).
    crate::store::change_marks::apply_resets(&tx, &info.mark_resets)?;
    tx.commit()?;
    tracing::info!(backup_id = %info.id, reason = %info.reason, size = info.size, "local backup written");
    apply_retention_with(store, store.retention()?, Utc::now(), pending)?;
    Ok(())
}

/// The name ending of a backup of the earlier format (one export file).
pub const FILE_SUFFIX: &str = ".json.zst";

/// A backup's name: `sonic-<UTC time>-<reason>-<id>.manifest.zst`, so the
/// names sort by time and say what they are without opening the file.
fn file_name(created_at: DateTime<Utc>, reason: &str, id: Uuid) -> String {
    format!(
        "sonic-{}-{reason}-{}{MANIFEST_SUFFIX}",
        created_at.format("%Y%m%d-%H%M%S"),
        id.simple()
    )
}

/// A backup's name without its ending (manifest or export file).
fn name_stem(name: &str) -> Option<&str> {
    name.strip_suffix(MANIFEST_SUFFIX)
        .or_else(|| name.strip_suffix(FILE_SUFFIX))
}

/// The time and reason a backup's name carries (`file_name`'s inverse,
/// manifests and files of the earlier format alike); `None` for a name
/// this code did not make.
pub fn parse_file_name(name: &str) -> Option<(DateTime<Utc>, String)> {
    let rest = name_stem(name.strip_prefix("sonic-")?)?;
    let (date, rest) = rest.split_once('-')?;
    let (time, rest) = rest.split_once('-')?;
    let (reason, _id) = rest.rsplit_once('-')?;
    let at = chrono::NaiveDateTime::parse_from_str(&format!("{date}{time}"), "%Y%m%d%H%M%S").ok()?;
    Some((at.and_utc(), reason.to_string()))
}

/// The backup id a backup file's name carries (`file_name`); `None` for a
/// name this code did not make.
pub fn parse_file_id(name: &str) -> Option<Uuid> {
    let rest = name_stem(name.strip_prefix("sonic-")?)?;
    let (_, id) = rest.rsplit_once('-')?;
    Uuid::parse_str(id).ok()
}

fn check_reason(reason: &str) -> Result<()> {
    let ok = !reason.is_empty()
        && reason.len() <= 32
        && reason
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "backup reason {reason:?} must be 1 to 32 of a-z, 0-9 and _ (e.g. manual, on_close)"
        )))
    }
}

/// Writes a file so that it is either complete or absent: into a temporary
/// file beside it, flushed to disk, renamed into place durably
/// ([`sonic_platform::fs::durable_rename`]).
/// On any error the temporary file is removed and the error names `path`.
/// The temporary file is created exclusively, never through a symlink, and
/// private to this user (mode `0600` on Unix); so is the file in place.
pub fn write_atomically<T>(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> Result<T>) -> Result<T> {
    // A device or a pipe (`/dev/stdout`, a FIFO) is written straight through:
    // renaming a temporary file over it would replace the device with a file.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io("opening", path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut out).map_err(|e| with_path(e, path))?;
        out.into_inner()
            .map_err(|e| Error::io("writing", path, e.into_error()))?;
        return Ok(value);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The process id (for `remove_stale_temp_files`) and a random part: a
    // name nobody can guess in advance, created only if free, never through
    // a symlink, readable by this user alone (`create_new_private`).
    let nonce = &Uuid::new_v4().simple().to_string()[..12];
    let tmp = dir.join(format!(".tmp-{}-{nonce}-{name}", std::process::id()));
    let result = (|| {
        let file = sonic_platform::fs::create_new_private(&tmp).map_err(|e| Error::io("creating", &tmp, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut out).map_err(|e| with_path(e, path))?;
        let file = out
            .into_inner()
            .map_err(|e| Error::io("writing", path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io("flushing to disk", path, e))?;
        sonic_platform::fs::durable_rename(&tmp, path).map_err(|e| Error::io("moving into place", path, e))?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary files left by a backup or export whose process died
/// (killed, power cut) before it could rename them into place. The writer's
/// process id is in the name; a file is stale when that process is gone.
pub(crate) fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".tmp-") else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = match pid.and_then(sonic_platform::process::process_alive) {
            Some(alive) => alive,
            // Where the OS cannot tell, only files older than a day are surely stale.
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().map_or(true, |age| age.as_secs() < 86_400)),
        };
        if !alive {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(file = %name, "removed a stale temporary backup file"),
                Err(e) => tracing::warn!(file = %name, error = %e, "could not remove a stale temporary file"),
            }
        }
    }
}

/// Names the file in errors raised while streaming into it.
fn with_path(err: Error, path: &Path) -> Error {
    match err {
        Error::Io { action, source, .. } => Error::io(action, path, source),
        Error::DiskFull { .. } => Error::DiskFull {
            path: path.to_path_buf(),
        },
        other => other,
    }
}

fn record(store: &Store, info: &BackupInfo) -> Result<()> {
    let counts = serde_json::to_string(&info.counts).map_err(|e| Error::Invalid(e.to_string()))?;
    let file = info
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    store.conn().execute(
        "INSERT INTO local_backups(id, file, created_at, reason, size, sha256, counts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            info.id.to_string(),
            file,
            info.created_at.to_rfc3339(),
            info.reason,
            info.size as i64,
            info.snapshot_sha256,
            counts
        ],
    )?;
    Ok(())
}

/// The local backups, newest first.
pub fn list_backups(store: &impl Readable) -> Result<Vec<BackupInfo>> {
    let dir = store.read_dir().backups();
    let mut stmt = store.read_conn().prepare_cached(
        "SELECT id, file, created_at, reason, size, sha256, counts FROM local_backups ORDER BY created_at DESC, id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, file, created_at, reason, size, sha, counts) = row?;
        let bad = |what: &str| Error::Invalid(format!("the backup list has a bad {what} for backup {id}"));
        out.push(BackupInfo {
            id: Uuid::parse_str(&id).map_err(|_| bad("id"))?,
            file: dir.join(file),
            created_at: DateTime::parse_from_rfc3339(&created_at)
                .map_err(|_| bad("time"))?
                .with_timezone(&Utc),
            reason,
            size: u64::try_from(size).unwrap_or(0),
            snapshot_sha256: sha,
            counts: serde_json::from_str(&counts).map_err(|_| bad("counts"))?,
            records_reused: 0,
            mark_resets: Vec::new(),
        });
    }
    Ok(out)
}

/// The fewest characters of a short id.
pub const SHORT_ID_LEN: usize = 8;

/// The short id of one backup: the last [`SHORT_ID_LEN`] hex digits of its
/// id. A UUIDv7 begins with its time in milliseconds (backups made within a
/// minute share their first 8 digits) and its middle may be a counter within
/// one millisecond; its end is random.
pub fn short_id(id: &Uuid) -> String {
    let simple = id.simple().to_string();
    simple[simple.len() - SHORT_ID_LEN..].to_string()
}

/// The short ids of a list of backups, in its order: each the end of its
/// id, lengthened one digit at a time until no other id in the list ends
/// the same way, so that every id shown finds exactly its backup.
pub fn short_ids(ids: &[Uuid]) -> Vec<String> {
    let full: Vec<String> = ids.iter().map(|id| id.simple().to_string()).collect();
    let mut out: Vec<Option<String>> = vec![None; ids.len()];
    let longest = full.iter().map(String::len).max().unwrap_or(0);
    for len in SHORT_ID_LEN..=longest {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for f in &full {
            *seen.entry(&f[f.len() - len..]).or_default() += 1;
        }
        for (i, f) in full.iter().enumerate() {
            let end = &f[f.len() - len..];
            if out[i].is_none() && (seen[end] == 1 || len == f.len()) {
                out[i] = Some(end.to_string());
            }
        }
        if out.iter().all(Option::is_some) {
            break;
        }
    }
    out.into_iter().map(Option::unwrap_or_default).collect()
}

/// Finds a local backup by its id, its short id (the end of the id, as
/// [`short_ids`] shows it) or a prefix of the id, 8+ characters.
pub fn find_backup(store: &impl Readable, id_or_prefix: &str) -> Result<BackupInfo> {
    let wanted = id_or_prefix.trim().to_ascii_lowercase().replace('-', "");
    if wanted.len() < SHORT_ID_LEN {
        return Err(Error::BackupNotFound(format!(
            "{id_or_prefix:?} (give at least 8 characters of the id)"
        )));
    }
    let matches: Vec<BackupInfo> = list_backups(store)?
        .into_iter()
        .filter(|b| {
            let id = b.id.simple().to_string();
            id.starts_with(&wanted) || id.ends_with(&wanted)
        })
        .collect();
    match matches.len() {
        0 => Err(Error::BackupNotFound(id_or_prefix.to_string())),
        1 => Ok(matches.into_iter().next().expect("one match")),
        count => Err(Error::AmbiguousBackup {
            prefix: id_or_prefix.to_string(),
            count,
        }),
    }
}

/// What retention does with a backup still waiting for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingBackups {
    /// Keep it: it may be the only copy that will ever reach the server.
    Keep,
    /// No server is set up: nothing is waiting for it, so retention applies
    /// to every backup (and forgets the queued push of those it removes).
    /// Without this a till with no server would keep every backup forever.
    NoServer,
}

/// Deletes the local backups that `retention` does not keep, returning them.
/// A backup still waiting in the [outbox](crate::outbox) is always kept: it
/// may be the only copy that will ever reach the server.
pub fn apply_retention(store: &Store, retention: Retention, now: DateTime<Utc>) -> Result<Vec<BackupInfo>> {
    apply_retention_with(store, retention, now, PendingBackups::Keep)
}

/// [`apply_retention`], saying what to do with backups waiting for the server.
pub fn apply_retention_with(
    store: &Store,
    retention: Retention,
    now: DateTime<Utc>,
    pending: PendingBackups,
) -> Result<Vec<BackupInfo>> {
    let all = list_backups(store)?; // newest first
    let keep = kept(&all, retention, now);
    let mut removed = Vec::new();
    let mut manifests_removed = false;
    for backup in all {
        if keep.contains(&backup.id)
            || (pending == PendingBackups::Keep && crate::outbox::is_pending(store.conn(), backup.id)?)
        {
            continue;
        }
        match std::fs::remove_file(&backup.file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("removing an old backup", &backup.file, e)),
        }
        if page_store::is_manifest(&backup.file) {
            if !manifests_removed {
                // Before the first manifest goes: a page removal killed
                // after it is finished by the next retention.
                page_store::mark_removal_pending(&store.data_dir().backups())?;
            }
            manifests_removed = true;
        } else {
            // Its page index is worth nothing without it.
            let index = snapshot::index_path(&backup.file);
            if let Err(e) = std::fs::remove_file(&index) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(file = %index.display(), error = %e, "could not remove an old page index");
                }
            }
        }
        store
            .conn()
            .execute("DELETE FROM local_backups WHERE id = ?1", [backup.id.to_string()])?;
        store
            .conn()
            .execute("DELETE FROM outbox WHERE backup_id = ?1", [backup.id.to_string()])?;
        tracing::info!(backup_id = %backup.id, "old backup removed by retention");
        removed.push(backup);
    }
    let dir = store.data_dir().backups();
    if manifests_removed || page_store::removal_pending(&dir) {
        // The manifests are gone (on disk, flushed) before any page goes:
        // a page is removed only once no manifest left references it.
        page_store::flush_folder(&dir);
        if let Err(e) = page_store::remove_unreferenced_pages(&dir) {
            tracing::warn!(error = %e, "pages of removed backups were not removed; the next retention tries again");
        }
    }
    Ok(removed)
}

/// [`apply_retention_with`] now: what `sonic-pos-admin prune` does.
pub fn prune(store: &Store, retention: Retention, pending: PendingBackups) -> Result<Vec<BackupInfo>> {
    apply_retention_with(store, retention, Utc::now(), pending)
}

/// Which backups `retention` keeps, given them newest first.
fn kept(newest_first: &[BackupInfo], retention: Retention, now: DateTime<Utc>) -> HashSet<Uuid> {
    let mut keep: HashSet<Uuid> = newest_first
        .iter()
        .take(retention.keep_last.max(1))
        .map(|b| b.id)
        .collect();
    let oldest_day = now - Duration::days(i64::from(retention.keep_daily_days));
    let mut days_seen = HashSet::new();
    for backup in newest_first {
        if backup.created_at >= oldest_day && days_seen.insert(backup.created_at.date_naive()) {
            keep.insert(backup.id);
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_come_from_the_random_end_and_grow_until_unique() {
        // Three backups of one millisecond: the same first 12 digits.
        let ids: Vec<Uuid> = [
            "01a22dfe-1234-7000-8000-0000aaaa1111",
            "01a22dfe-1234-7001-8000-0001aaaa1111",
            "01a22dfe-1234-7002-8000-00000000beef",
        ]
        .iter()
        .map(|s| Uuid::parse_str(s).expect("a uuid"))
        .collect();
        let short = short_ids(&ids);
        assert_eq!(short, ["0aaaa1111", "1aaaa1111", "0000beef"]);
        assert_eq!(short_id(&ids[2]), "0000beef");
        for (id, s) in ids.iter().zip(&short) {
            let matching = ids
                .iter()
                .filter(|other| other.simple().to_string().ends_with(s.as_str()))
                .count();
            assert_eq!(matching, 1, "{s} names only {id}");
        }
    }
    use crate::DataDir;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(tmp.path())).unwrap();
        (tmp, store)
    }

    #[test]
    fn a_backup_is_a_compressed_export_that_verifies() {
        let (_tmp, store) = store();
        let info = create_backup(&store, reason::MANUAL).unwrap();
        assert!(info.file.exists());
        assert_eq!(info.counts.len(), 16, "all 16 sections are listed");
        let bytes = std::fs::read(&info.file).unwrap();
        assert_eq!(&bytes[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd frame");
        let doc = snapshot::read_file(&info.file).unwrap();
        assert_eq!(doc.meta.as_ref().unwrap().backup_id, Some(info.id));
        let leftovers: Vec<_> = std::fs::read_dir(store.data_dir().backups())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file may be left behind");
        assert_eq!(find_backup(&store, &info.id.to_string()[..8]).unwrap().id, info.id);
    }

    #[test]
    fn a_symlink_planted_at_a_temporary_name_is_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let out = tmp.path().join("export.json");
        // The names today's code (and an attacker) would predict.
        let planted = [
            tmp.path().join(format!(".tmp-{}-export.json", std::process::id())),
            tmp.path().join(".tmp-export.json"),
        ];
        let planted_any = planted.iter().filter(|p| symlink(&victim, p)).count() == planted.len();
        write_atomically(&out, |w| {
            std::io::Write::write_all(w, b"{}").map_err(|e| Error::io("writing", "x", e))?;
            Ok(())
        })
        .expect("the write succeeds beside the planted links");
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            b"precious",
            "the link's target is untouched"
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"{}");
        assert!(
            !std::fs::symlink_metadata(&out).unwrap().file_type().is_symlink(),
            "the file in place is a file, not a planted link"
        );
        assert!(
            sonic_platform::fs::is_private(&out).unwrap(),
            "and private to this user"
        );
        if planted_any {
            for p in &planted {
                assert!(
                    std::fs::symlink_metadata(p).is_ok(),
                    "the planted links are left as they were"
                );
            }
        }
    }

    /// A symlink, where this user may make one (Windows needs developer
    /// mode; Wine 8 answers success and makes none, hence the look).
    fn symlink(target: &Path, link: &Path) -> bool {
        #[cfg(unix)]
        let made = std::os::unix::fs::symlink(target, link);
        #[cfg(windows)]
        let made = std::os::windows::fs::symlink_file(target, link);
        made.is_ok() && std::fs::symlink_metadata(link).is_ok_and(|m| m.file_type().is_symlink())
    }

    #[cfg(unix)]
    #[test]
    fn writing_to_a_device_never_replaces_it_with_a_file() {
        use std::os::unix::fs::FileTypeExt;
        let n = write_atomically(Path::new("/dev/null"), |out| {
            std::io::Write::write_all(out, b"{}").map_err(|e| Error::io("writing", "/dev/null", e))?;
            Ok(2)
        })
        .unwrap();
        assert_eq!(n, 2);
        let kind = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/null must still be a device");
    }

    #[test]
    fn without_a_server_retention_also_prunes_backups_never_pushed() {
        let (_tmp, store) = store();
        let made: Vec<BackupInfo> = (0..4)
            .map(|_| create_backup(&store, reason::ON_CLOSE).unwrap())
            .collect();
        let keep_two = Retention {
            keep_last: 2,
            keep_daily_days: 0,
        };
        // With a server (maybe offline), queued backups are all kept.
        assert!(apply_retention(&store, keep_two, Utc::now()).unwrap().is_empty());
        let removed = apply_retention_with(&store, keep_two, Utc::now(), PendingBackups::NoServer).unwrap();
        let removed: HashSet<Uuid> = removed.into_iter().map(|b| b.id).collect();
        let left: Vec<Uuid> = list_backups(&store).unwrap().into_iter().map(|b| b.id).collect();
        assert_eq!(left.len(), 2, "the last two stay");
        assert!(
            made[..2].iter().all(|b| removed.contains(&b.id) && !b.file.exists()),
            "the oldest two are gone"
        );
        assert_eq!(
            crate::outbox::counts(&store).unwrap().pending,
            2,
            "and no longer queued for a server"
        );
    }

    #[test]
    fn a_backup_file_name_gives_back_its_time_and_reason() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T20:45:01Z")
            .unwrap()
            .with_timezone(&Utc);
        let name = file_name(at, reason::ON_CLOSE, Uuid::nil());
        assert_eq!(parse_file_name(&name), Some((at, "on_close".to_string())));
        let id = Uuid::now_v7();
        assert_eq!(parse_file_id(&file_name(at, reason::ON_CLOSE, id)), Some(id));
        assert_eq!(parse_file_name("notes.txt"), None);
    }

    #[test]
    fn a_bad_reason_is_refused() {
        let (_tmp, store) = store();
        assert!(matches!(create_backup(&store, "../evil"), Err(Error::Invalid(_))));
    }

    #[test]
    fn retention_keeps_the_last_n_and_one_per_day() {
        let (_tmp, store) = store();
        store
            .set_retention(Retention {
                keep_last: 1000,
                keep_daily_days: 1000,
            })
            .unwrap();
        // 12 backups: 3 a day for 4 days, ending yesterday.
        let now = Utc::now();
        let mut made = Vec::new();
        for day in 0..4i64 {
            for hour in 0..3i64 {
                let info = create_backup(&store, reason::SCHEDULED).unwrap();
                // On the server already: retention may remove it.
                crate::outbox::mark_pushed(&store, info.id).unwrap();
                let at = now - Duration::days(4 - day) + Duration::hours(hour);
                store
                    .conn()
                    .execute(
                        "UPDATE local_backups SET created_at = ?1 WHERE id = ?2",
                        params![at.to_rfc3339(), info.id.to_string()],
                    )
                    .unwrap();
                made.push((info.id, at, info.file));
            }
        }
        // Keep the last 2, and one a day for the last 2 days (+ today).
        let removed = apply_retention(
            &store,
            Retention {
                keep_last: 2,
                keep_daily_days: 2,
            },
            now,
        )
        .unwrap();
        let left: HashSet<Uuid> = list_backups(&store).unwrap().into_iter().map(|b| b.id).collect();
        let mut expected: HashSet<Uuid> = made.iter().rev().take(2).map(|m| m.0).collect();
        // The newest of each day within 2 days: only days 3 (yesterday) and 2 qualify.
        for (id, at, _) in made.iter().rev() {
            if *at >= now - Duration::days(2) {
                let newest_that_day = made
                    .iter()
                    .rev()
                    .find(|m| m.1.date_naive() == at.date_naive())
                    .unwrap()
                    .0;
                expected.insert(newest_that_day);
                let _ = id;
            }
        }
        assert_eq!(
            left, expected,
            "retention must keep exactly the last 2 and the newest per recent day"
        );
        assert_eq!(removed.len(), 12 - expected.len());
        for (id, _, file) in &made {
            assert_eq!(
                file.exists(),
                left.contains(id),
                "file of {id} must exist exactly when kept"
            );
        }
    }
}
