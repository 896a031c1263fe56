//! Local backups as content-addressed pages: the pages the backup server
//! stores ([`crate::pages`]), kept in `<data dir>/backups/pages/`, and one
//! small manifest per backup.
//!
//! A backup is a manifest file, `sonic-<UTC time>-<reason>-<id>.manifest.zst`
//! (the backup id, its `_meta`, and the [`Manifest`]: section → page
//! hashes, counts, hashes, inline values), plus the pages it needs that the
//! folder did not have yet, each `pages/<hash>.zst` (the page's canonical
//! JSON, zstd-compressed). Pages are written before the manifest, each
//! atomically ([`crate::backup::write_atomically`]: a temporary file,
//! fsync, [`sonic_platform::fs::durable_rename`]) and read back against its
//! hash; a page already there is not written again. A backup after one
//! sale therefore writes a few pages and its manifest, not the shop.
//!
//! **Invariant:** a page is removed only when no manifest in the folder
//! references it. Retention removes manifests first (and flushes the
//! folder), then [`remove_unreferenced_pages`] deletes what nothing
//! references, under an exclusive lock on `pages/.lock` that every backup
//! writer holds shared while it writes pages and its manifest. A process
//! killed at any point leaves at worst pages no manifest needs (removed by
//! the next retention), never a manifest with a missing page. A manifest
//! that cannot be read stops page removal altogether.
//!
//! Reading a manifest backup ([`open_export_stream`]) gives the export
//! file it describes, text and pages in file order, each page checked
//! against its hash as it streams: `verify`, `restore`, `import` and
//! recovery read it through the same streaming import as an export file,
//! and a damaged page is named ([`Error::DamagedPage`]).

use crate::error::{Error, Result};
use crate::pages::{list_name, page_hash, Manifest, Page, MANIFEST_VERSION};
use crate::sections::{SectionKey, SectionKind};
use crate::snapshot::Meta;
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use uuid::Uuid;

/// The file name ending of a manifest backup.
pub const MANIFEST_SUFFIX: &str = ".manifest.zst";

/// The first line of a manifest (then a SHA-256 of the JSON after it).
const MANIFEST_MAGIC: &str = "sonic-backup-manifest-v1";

/// Page hashes per chunk. A manifest names each list's pages by chunks of
/// this many hashes, each kept in the page store like a page
/// (`pages/<hash>.zst`, a JSON array of page hashes, its name the SHA-256
/// of `sonic-chunk-v1\n` and that JSON): a five-year shop's lists are
/// thousands of pages, and after one sale only the last chunk of a list
/// changes, so 50 backups do not hold 50 copies of every hash.
const CHUNK_HASHES: usize = 256;

/// A manifest over 256 MB (decompressed) is not ours.
const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// The largest zstd window a page or manifest may ask for (as the import).
const ZSTD_WINDOW_LOG_MAX: u32 = 25;

/// Whether `path` names a manifest backup (by its name).
pub fn is_manifest(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(MANIFEST_SUFFIX))
}

/// One backup as its manifest file holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredBackup {
    pub backup_id: Uuid,
    /// The backup's `_meta`, as an export of it would end.
    pub meta: Meta,
    pub manifest: Manifest,
    /// The JSON bytes of its pages, repeats included (the server's figure).
    #[serde(default)]
    pub page_bytes: u64,
    /// In the file: the manifest's lists name chunks of page hashes, not
    /// pages ([`CHUNK_HASHES`]). Read back, they name pages again.
    #[serde(default)]
    chunked: bool,
    /// The chunks the file names (read back; empty before it is written).
    #[serde(skip)]
    pub chunks: Vec<String>,
    /// Where the next backup may start reading again
    /// ([`crate::snapshot::resume`]); absent in manifests of earlier builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<crate::snapshot::resume::ResumeState>,
}

/// The hash of a chunk of page hashes.
fn chunk_hash(json: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"sonic-chunk-v1\n");
    hash.update(json.as_bytes());
    hex::encode(hash.finalize())
}

/// The page hashes of every list of `manifest`, mutably.
fn lists_mut(manifest: &mut Manifest) -> impl Iterator<Item = &mut Vec<String>> {
    manifest
        .sections
        .values_mut()
        .flat_map(|entry| std::iter::once(&mut entry.pages).chain(entry.lists.values_mut()))
}

impl StoredBackup {
    /// A backup of `meta` made of `manifest`'s pages.
    pub(crate) fn new(backup_id: Uuid, meta: Meta, manifest: Manifest, page_bytes: u64) -> StoredBackup {
        StoredBackup {
            backup_id,
            meta,
            manifest,
            page_bytes,
            chunked: false,
            chunks: Vec::new(),
            resume: None,
        }
    }

    /// Writes the chunks of its lists the page store lacks, then the
    /// manifest file at `path`, atomically; returns the bytes written.
    pub(crate) fn write(&self, path: &Path, store: &PageStore) -> Result<u64> {
        let mut on_disk = self.clone();
        let mut written = 0;
        for hashes in lists_mut(&mut on_disk.manifest) {
            let mut chunks = Vec::new();
            for chunk in hashes.chunks(CHUNK_HASHES) {
                let json = serde_json::to_string(chunk).map_err(|e| Error::Invalid(e.to_string()))?;
                let hash = chunk_hash(&json);
                written += store.put_object(&hash, &json, &|json| chunk_hash(json) == hash)?;
                chunks.push(hash);
            }
            *hashes = chunks;
        }
        on_disk.chunked = true;
        let json = serde_json::to_vec(&on_disk).map_err(|e| Error::Invalid(e.to_string()))?;
        let sum = hex::encode(Sha256::digest(&json));
        crate::backup::write_atomically(path, |out| {
            let io = |e| Error::io("writing the backup manifest", path, e);
            let mut z = zstd::Encoder::new(out, 3).map_err(io)?;
            z.write_all(format!("{MANIFEST_MAGIC} {sum}\n").as_bytes())
                .map_err(io)?;
            z.write_all(&json).map_err(io)?;
            z.finish().map_err(io)?;
            Ok(())
        })?;
        Ok(written
            + std::fs::metadata(path)
                .map_err(|e| Error::io("reading", path, e))?
                .len())
    }

    /// Reads and checks the manifest file at `path`: its checksum, its
    /// version, and that its manifest and `_meta` agree.
    pub fn read(path: &Path) -> Result<StoredBackup> {
        let refused = |why: String| Error::Invalid(format!("the backup manifest {} {why}", path.display()));
        let file = File::open(path).map_err(|e| Error::io("reading", path, e))?;
        let mut z = zstd::Decoder::new(file).map_err(|e| refused(format!("is not readable ({e})")))?;
        z.window_log_max(ZSTD_WINDOW_LOG_MAX)
            .map_err(|e| refused(format!("is not readable ({e})")))?;
        let mut bytes = Vec::new();
        z.take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| refused(format!("is damaged or cut short ({e})")))?;
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(refused(format!("is over {MAX_MANIFEST_BYTES} bytes")));
        }
        let json = crate::pages::checksummed_json(&bytes, MANIFEST_MAGIC, "backup manifest").map_err(refused)?;
        let mut stored: StoredBackup =
            serde_json::from_slice(json).map_err(|e| refused(format!("is not a valid manifest ({e})")))?;
        if stored.chunked {
            let store = PageStore::of(path.parent().unwrap_or(Path::new(".")));
            let mut chunks = Vec::new();
            let mut bytes = Vec::new();
            for hashes in lists_mut(&mut stored.manifest) {
                let mut pages = Vec::new();
                for chunk in hashes.iter() {
                    store.read_object(chunk, &mut bytes, &|json| chunk_hash(json) == *chunk)?;
                    let part: Vec<String> = serde_json::from_slice(&bytes)
                        .map_err(|e| refused(format!("names a chunk {chunk} that is not a list of hashes ({e})")))?;
                    pages.extend(part);
                    chunks.push(chunk.clone());
                }
                *hashes = pages;
            }
            stored.chunks = chunks;
            stored.chunked = false;
        }
        if stored.manifest.version > MANIFEST_VERSION {
            return Err(refused(format!(
                "is version {}, newer than this Sonic POS reads ({MANIFEST_VERSION}); update Sonic POS",
                stored.manifest.version
            )));
        }
        let agrees = stored.manifest.sections.len() == stored.meta.sections.len()
            && stored.manifest.sections.iter().all(|(key, entry)| {
                stored
                    .meta
                    .sections
                    .get(key)
                    .is_some_and(|d| d.sha256 == entry.sha256 && d.records == entry.records)
            });
        if stored.meta.backup_id != Some(stored.backup_id) || !agrees {
            return Err(refused("does not agree with its own _meta".into()));
        }
        Ok(stored)
    }
}

/// The page folder of a backups folder.
#[derive(Debug, Clone)]
pub struct PageStore {
    dir: PathBuf,
}

impl PageStore {
    /// The page store beside the manifests in `backups` (not created).
    pub fn of(backups: &Path) -> PageStore {
        PageStore {
            dir: backups.join("pages"),
        }
    }

    /// Where the page `hash` lies.
    pub fn path(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}.zst"))
    }

    fn create(&self) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io("creating the page folder", &self.dir, e))
    }

    /// Takes the page store's lock: shared for a writer (pages, then a
    /// manifest), exclusive for page removal. Held until dropped.
    fn lock(&self, exclusive: bool) -> Result<File> {
        self.create()?;
        let path = self.dir.join(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("opening the page store's lock", &path, e))?;
        let locked = if exclusive {
            FileExt::lock_exclusive(&file)
        } else {
            FileExt::lock_shared(&file)
        };
        locked.map_err(|e| Error::io("locking the page store", &path, e))?;
        Ok(file)
    }

    /// Writes `page` unless the store has it; returns the bytes written
    /// (0 when it was there). A written page is read back and checked
    /// against its hash before this returns.
    pub(crate) fn put(&self, page: &Page) -> Result<u64> {
        let (section, list) = (page.section.as_str(), page.list);
        self.put_object(&page.hash, &page.json, &|json| {
            page_hash(section, list, json) == page.hash
        })
    }

    /// Writes `json` as the object `hash` unless the store has it; reads
    /// it back and checks it with `sound` before returning the bytes
    /// written.
    fn put_object(&self, hash: &str, json: &str, sound: &dyn Fn(&str) -> bool) -> Result<u64> {
        let path = self.path(hash);
        if path.exists() {
            return Ok(0);
        }
        // With zstd's own checksum, a flipped bit fails the decompression
        // itself, before a byte of the page is handed on.
        let compress = || -> std::io::Result<Vec<u8>> {
            let mut z = zstd::Encoder::new(Vec::with_capacity(json.len() / 4), 3)?;
            z.include_checksum(true)?;
            z.write_all(json.as_bytes())?;
            z.finish()
        };
        let compressed = compress().map_err(|e| Error::io("compressing", &path, e))?;
        crate::backup::write_atomically(&path, |out| {
            out.write_all(&compressed)
                .map_err(|e| Error::io("writing a backup page", &path, e))
        })?;
        let mut check = Vec::new();
        self.read_object(hash, &mut check, sound)?;
        Ok(compressed.len() as u64)
    }

    /// Reads the page `hash` of `section`/`list` into `out` (its JSON),
    /// checked against its hash: a page that is missing or does not match
    /// is [`Error::DamagedPage`].
    pub fn read_page(&self, section: &str, list: &str, hash: &str, out: &mut Vec<u8>) -> Result<()> {
        self.read_object(hash, out, &|json| page_hash(section, list, json) == hash)
    }

    /// Reads the object `hash` (a page or a chunk) into `out`, checked by
    /// `sound` against its hash.
    fn read_object(&self, hash: &str, out: &mut Vec<u8>, sound: &dyn Fn(&str) -> bool) -> Result<()> {
        let path = self.path(hash);
        let damaged = |detail: String| Error::DamagedPage {
            hash: hash.to_string(),
            file: path.clone(),
            detail,
        };
        let file = File::open(&path).map_err(|e| damaged(format!("cannot be read ({e})")))?;
        let mut z = zstd::Decoder::new(file).map_err(|e| damaged(format!("cannot be read ({e})")))?;
        z.window_log_max(ZSTD_WINDOW_LOG_MAX)
            .map_err(|e| damaged(format!("cannot be read ({e})")))?;
        out.clear();
        z.read_to_end(out)
            .map_err(|e| damaged(format!("is not a readable compressed page ({e})")))?;
        let json = std::str::from_utf8(out).map_err(|_| damaged("is not text".into()))?;
        if !sound(json) {
            return Err(damaged("does not match its hash".into()));
        }
        Ok(())
    }

    /// Opens the page `hash` for streaming; the caller checks the hash at
    /// the end ([`PageStream`]).
    fn open_page(&self, section: &str, list: &str, hash: &str, first: bool) -> Result<PageStream> {
        let path = self.path(hash);
        let damaged = |e: std::io::Error| Error::DamagedPage {
            hash: hash.to_string(),
            file: path.clone(),
            detail: format!("cannot be read ({e})"),
        };
        let file = File::open(&path).map_err(damaged)?;
        let mut decoder = zstd::Decoder::with_buffer(BufReader::with_capacity(64 * 1024, file)).map_err(damaged)?;
        decoder.window_log_max(ZSTD_WINDOW_LOG_MAX).map_err(damaged)?;
        let mut hasher = Sha256::new();
        hasher.update(format!("sonic-page-v1\n{section}\n{list}\n").as_bytes());
        Ok(PageStream {
            decoder,
            hasher,
            hash: hash.to_string(),
            path,
            started: false,
            held: None,
            pending: if first { Vec::new() } else { vec![b','] },
            at: 0,
            done: false,
        })
    }
}

/// Writes the pages of a backup into the page store while its snapshot is
/// cut, then its manifest; the store's lock is held shared throughout.
pub(crate) struct PageWriter {
    store: PageStore,
    _lock: File,
    /// Bytes written so far (new pages, then the manifest).
    pub(crate) written: u64,
    pub(crate) pages_written: u64,
    /// JSON bytes of every page of the backup, written or not.
    pub(crate) page_bytes: u64,
}

impl PageWriter {
    pub(crate) fn open(backups: &Path) -> Result<PageWriter> {
        let store = PageStore::of(backups);
        let lock = store.lock(false)?;
        remove_stale_temp_files(&store.dir);
        Ok(PageWriter {
            store,
            _lock: lock,
            written: 0,
            pages_written: 0,
            page_bytes: 0,
        })
    }

    pub(crate) fn put(&mut self, page: &Page) -> Result<()> {
        self.page_bytes += page.json.len() as u64;
        let n = self.store.put(page)?;
        if n > 0 {
            self.written += n;
            self.pages_written += 1;
        }
        Ok(())
    }

    /// Writes the manifest (after every page it names is in place) and
    /// releases the lock.
    pub(crate) fn finish(mut self, path: &Path, backup: &StoredBackup) -> Result<u64> {
        self.written += backup.write(path, &self.store)?;
        Ok(self.written)
    }
}

fn remove_stale_temp_files(dir: &Path) {
    crate::backup::remove_stale_temp_files(dir);
}

/// The records in a page's JSON (a JSON array of objects): its top-level
/// elements, counted without parsing them.
pub fn count_records(json: &str) -> usize {
    let (mut depth, mut in_string, mut escaped, mut commas) = (0usize, false, false, 0usize);
    for b in json.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => commas += 1,
            _ => {}
        }
    }
    let empty = json.bytes().filter(|b| !b.is_ascii_whitespace()).eq(*b"[]");
    if empty {
        0
    } else {
        commas + 1
    }
}

/// Removes the pages no manifest in `backups` references (and temporary
/// files of writers that died), under the page store's exclusive lock.
/// Returns how many pages were removed. Nothing is removed when a manifest
/// cannot be read: its pages are unknown.
pub fn remove_unreferenced_pages(backups: &Path) -> Result<usize> {
    let store = PageStore::of(backups);
    if !store.dir.exists() {
        return Ok(0);
    }
    let _lock = store.lock(true)?;
    let mut referenced: HashSet<String> = HashSet::new();
    let entries = std::fs::read_dir(backups).map_err(|e| Error::io("listing the backups", backups, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing the backups", backups, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp-") || !is_manifest(&path) {
            continue;
        }
        match StoredBackup::read(&path) {
            Ok(stored) => {
                referenced.extend(stored.manifest.page_hashes().cloned());
                referenced.extend(stored.chunks);
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "a manifest cannot be read: no page is removed");
                return Ok(0);
            }
        }
    }
    remove_stale_temp_files(&store.dir);
    let mut removed = 0;
    let pages = std::fs::read_dir(&store.dir).map_err(|e| Error::io("listing the pages", &store.dir, e))?;
    for entry in pages {
        let entry = entry.map_err(|e| Error::io("listing the pages", &store.dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(hash) = name.strip_suffix(".zst") else {
            continue;
        };
        if name.starts_with('.') || referenced.contains(hash) {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("removing an unreferenced page", entry.path(), e)),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "pages no backup references removed");
    }
    match std::fs::remove_file(pending_marker(backups)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("removing", pending_marker(backups), e)),
    }
    Ok(removed)
}

/// The marker of a page removal to finish: written before retention
/// removes its first manifest, removed once the unreferenced pages are.
fn pending_marker(backups: &Path) -> PathBuf {
    PageStore::of(backups).dir.join(".removal-pending")
}

/// Notes that pages may become unreferenced (retention is about to remove
/// manifests), so that a removal killed midway is finished next time.
pub(crate) fn mark_removal_pending(backups: &Path) -> Result<()> {
    let path = pending_marker(backups);
    PageStore::of(backups).create()?;
    crate::backup::write_atomically(&path, |out| {
        out.write_all(b"pages to remove\n")
            .map_err(|e| Error::io("writing", &path, e))
    })
}

/// Whether a page removal was started and not finished.
pub(crate) fn removal_pending(backups: &Path) -> bool {
    pending_marker(backups).exists()
}

/// Flushes a folder's entries (the manifests retention removed) to disk
/// before pages are removed. Where the OS cannot open a folder (Windows),
/// a best effort: the removal of a manifest and of its pages are then
/// ordered by NTFS's own journal of metadata.
pub(crate) fn flush_folder(dir: &Path) {
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
}

/// The export file the manifest backup at `path` describes, as a stream:
/// its text and its pages in file order, each page checked against its
/// hash as it is read. When the stream fails on a page, the returned slot
/// holds the error naming it (the reader's own error only says reading
/// stopped).
pub fn open_export_stream(path: &Path) -> Result<(impl Read, Rc<RefCell<Option<Error>>>)> {
    let stored = StoredBackup::read(path)?;
    let backups = path.parent().unwrap_or(Path::new("."));
    let parts = layout(&stored)?;
    let failure = Rc::new(RefCell::new(None));
    let stream = ExportStream {
        store: PageStore::of(backups),
        parts: parts.into(),
        current: Current::None,
        failure: Rc::clone(&failure),
    };
    Ok((stream, failure))
}

/// The first page of the manifest backup at `path` that is missing or
/// does not match its hash, if any: what to blame when reading it failed
/// on something the stream itself did not catch (a damaged page that
/// still decompressed, refused by the parser before its end).
pub fn find_damaged_page(path: &Path) -> Option<Error> {
    let stored = StoredBackup::read(path).ok()?;
    let store = PageStore::of(path.parent().unwrap_or(Path::new(".")));
    let mut json = Vec::new();
    let mut seen = HashSet::new();
    for (section, entry) in &stored.manifest.sections {
        let named = std::iter::once(("", &entry.pages)).chain(entry.lists.iter().map(|(n, h)| (n.as_str(), h)));
        for (list, hashes) in named {
            for hash in hashes.iter().filter(|h| seen.insert(h.as_str())) {
                if let Err(e) = store.read_page(section, list, hash, &mut json) {
                    return Some(e);
                }
            }
        }
    }
    None
}

/// A piece of the export file: literal JSON, or one page's records.
enum Part {
    Text(String),
    Page {
        section: &'static str,
        list: &'static str,
        hash: String,
        first: bool,
    },
}

/// The export file of `stored`, as text and pages (`_meta` last).
fn layout(stored: &StoredBackup) -> Result<Vec<Part>> {
    let bad = |detail: String| Error::Invalid(format!("backup {}: {detail}", stored.backup_id));
    let mut parts = Vec::new();
    let mut text = String::from("{\n");
    let json = |v: &Value| v.to_string();
    for key in SectionKey::ALL {
        let entry = stored
            .manifest
            .sections
            .get(key.as_str())
            .ok_or_else(|| bad(format!("its manifest lacks {key}")))?;
        text.push_str(&json(&Value::String(key.as_str().to_string())));
        text.push(':');
        let list = |text: &mut String, parts: &mut Vec<Part>, name: &str, hashes: &[String]| -> Result<()> {
            let list = list_name(key, name).ok_or_else(|| bad(format!("{key} has no list {name}")))?;
            text.push('[');
            for (i, hash) in hashes.iter().enumerate() {
                parts.push(Part::Text(std::mem::take(text)));
                parts.push(Part::Page {
                    section: key.as_str(),
                    list,
                    hash: hash.clone(),
                    first: i == 0,
                });
            }
            text.push(']');
            Ok(())
        };
        match key.kind() {
            SectionKind::Collection(_) => list(&mut text, &mut parts, "", &entry.pages)?,
            SectionKind::Object(members) => {
                let extra = match &entry.value {
                    Some(Value::Object(map)) => map.clone(),
                    Some(_) => return Err(bad(format!("the other members of {key} are not an object"))),
                    None => serde_json::Map::new(),
                };
                text.push('{');
                for (i, name) in crate::snapshot::object_member_names(members, &extra).iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(&json(&Value::String((*name).to_string())));
                    text.push(':');
                    if members.iter().any(|(n, _)| n == name) {
                        let hashes = entry.lists.get(*name).map(Vec::as_slice).unwrap_or(&[]);
                        list(&mut text, &mut parts, name, hashes)?;
                    } else {
                        text.push_str(&json(&extra[*name]));
                    }
                }
                text.push('}');
            }
            SectionKind::Counter => text.push_str(&entry.value.as_ref().map_or_else(|| "0".into(), json)),
            SectionKind::Rate => text.push_str(&entry.value.as_ref().map_or_else(|| "null".into(), json)),
        }
        text.push_str(",\n");
    }
    let meta = serde_json::to_string(&stored.meta).map_err(|e| Error::Invalid(e.to_string()))?;
    text.push_str(&format!("\"_meta\":{meta}\n}}\n"));
    parts.push(Part::Text(text));
    Ok(parts)
}

struct ExportStream {
    store: PageStore,
    parts: VecDeque<Part>,
    current: Current,
    failure: Rc<RefCell<Option<Error>>>,
}

enum Current {
    None,
    Text(std::io::Cursor<Vec<u8>>),
    Page(Box<PageStream>),
}

impl Read for ExportStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = match &mut self.current {
                Current::None => 0,
                Current::Text(cursor) => cursor.read(buf)?,
                Current::Page(page) => match page.read_checked(buf) {
                    Ok(n) => n,
                    Err(e) => {
                        let message = e.to_string();
                        *self.failure.borrow_mut() = Some(e);
                        return Err(std::io::Error::other(message));
                    }
                },
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.current = match self.parts.pop_front() {
                None => return Ok(0),
                Some(Part::Text(text)) => Current::Text(std::io::Cursor::new(text.into_bytes())),
                Some(Part::Page {
                    section,
                    list,
                    hash,
                    first,
                }) => match self.store.open_page(section, list, &hash, first) {
                    Ok(page) => Current::Page(Box::new(page)),
                    Err(e) => {
                        let message = e.to_string();
                        *self.failure.borrow_mut() = Some(e);
                        return Err(std::io::Error::other(message));
                    }
                },
            };
        }
    }
}

/// One page streaming out of the store: its records without the page's
/// outer brackets (a comma before them unless it is its list's first
/// page), hashed on the way and checked when it ends.
struct PageStream {
    decoder: zstd::Decoder<'static, BufReader<File>>,
    hasher: Sha256,
    hash: String,
    path: PathBuf,
    /// The page's `[` was seen.
    started: bool,
    /// The last byte read, held back: the page's `]` once it ends.
    held: Option<u8>,
    /// Bytes ready to hand out, from `at`.
    pending: Vec<u8>,
    at: usize,
    done: bool,
}

impl PageStream {
    fn damaged(&self, detail: String) -> Error {
        Error::DamagedPage {
            hash: self.hash.clone(),
            file: self.path.clone(),
            detail,
        }
    }

    fn read_checked(&mut self, buf: &mut [u8]) -> Result<usize> {
        while self.at == self.pending.len() && !self.done {
            self.pending.clear();
            self.at = 0;
            let mut chunk = [0u8; 64 * 1024];
            let n = self
                .decoder
                .read(&mut chunk)
                .map_err(|e| self.damaged(format!("is not a readable compressed page ({e})")))?;
            if n == 0 {
                self.done = true;
                if self.held != Some(b']') || !self.started {
                    return Err(self.damaged("is cut short".into()));
                }
                let found = hex::encode(std::mem::take(&mut self.hasher).finalize());
                if found != self.hash {
                    return Err(self.damaged("does not match its hash".into()));
                }
                break;
            }
            self.hasher.update(&chunk[..n]);
            let mut bytes = &chunk[..n];
            if !self.started {
                if bytes[0] != b'[' {
                    return Err(self.damaged("is not a page of records".into()));
                }
                self.started = true;
                bytes = &bytes[1..];
            }
            if let Some((last, rest)) = bytes.split_last() {
                self.pending.extend(self.held.take());
                self.pending.extend_from_slice(rest);
                self.held = Some(*last);
            }
        }
        let n = (self.pending.len() - self.at).min(buf.len());
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::backup::{self, create_backup_with, list_backups, reason, PendingBackups, Retention};
    use crate::ops::sale::SaleInput;
    use crate::ops::{Actor, OpCtx};
    use crate::sections::{Currency, Role, Table};
    use crate::{DataDir, Store};

    fn shop() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        crate::gen::generate(&mut store, crate::gen::Profile::Small, 5).unwrap();
        (tmp, store)
    }

    /// One more sale of one line, paid in cash.
    pub(crate) fn one_more_sale(store: &mut Store) {
        let mut items = Vec::new();
        crate::store::for_each_record(store.conn(), Table::Items, |id, _| {
            items.extend(id.map(str::to_string));
            Ok(())
        })
        .unwrap();
        let actor = Actor {
            user_id: "user-1".into(),
            name: "owner".into(),
            role: Role::Owner,
        };
        for store_id in ["store-1", "store-2", "store-3"] {
            for id in items.iter().rev().take(60) {
                let ctx = OpCtx::now(actor.clone(), store_id);
                let input = SaleInput::cash(&[(id.as_str(), 1)], Currency::Iqd, 50_000_000);
                if crate::ops::sale::sell(store, &ctx, &input).is_ok() {
                    return;
                }
            }
        }
        panic!("no item could be sold");
    }

    fn backup(store: &Store) -> backup::BackupInfo {
        create_backup_with(store, reason::MANUAL, PendingBackups::NoServer).unwrap()
    }

    fn pages_in(store: &Store) -> Vec<String> {
        let dir = PageStore::of(&store.data_dir().backups()).dir;
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".zst"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_backup_after_one_sale_writes_only_the_changed_pages_and_both_restore() {
        let (_tmp, mut store) = shop();
        let full = backup(&store);
        assert!(
            is_manifest(&full.file),
            "a backup is a manifest: {}",
            full.file.display()
        );
        let pages_first = pages_in(&store).len();
        assert!(pages_first > 10, "the small shop spans several pages ({pages_first})");
        one_more_sale(&mut store);
        let second = backup(&store);
        let new_pages = pages_in(&store).len() - pages_first;
        assert!(
            (1..=24).contains(&new_pages),
            "one sale adds a few pages and chunks (the last of each list it touched), not the shop: {new_pages}"
        );
        assert!(
            second.size * 5 < full.size,
            "the second backup writes far less than the first: {} vs {} bytes",
            second.size,
            full.size
        );
        for made in [&full, &second] {
            let doc = crate::snapshot::read_file(&made.file).unwrap();
            let digests = doc.digests().unwrap();
            assert_eq!(
                crate::snapshot::snapshot_sha256(&digests),
                made.snapshot_sha256,
                "the manifest reads back as the snapshot it was made of"
            );
            assert_eq!(doc.meta.as_ref().unwrap().backup_id, Some(made.id));
        }
        let now = crate::snapshot::store_digests(&store).unwrap();
        let second_doc = crate::snapshot::read_file(&second.file).unwrap();
        assert_eq!(second_doc.digests().unwrap(), now, "the newest backup is the shop now");
    }

    #[test]
    fn a_flipped_byte_in_a_page_is_named_and_recovery_picks_an_older_backup() {
        let (_tmp, mut store) = shop();
        let older = backup(&store);
        let before = pages_in(&store);
        one_more_sale(&mut store);
        let newer = backup(&store);
        let added: Vec<String> = pages_in(&store).into_iter().filter(|p| !before.contains(p)).collect();
        let victim = PageStore::of(&store.data_dir().backups()).dir.join(&added[0]);
        let mut bytes = std::fs::read(&victim).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        std::fs::write(&victim, bytes).unwrap();
        let hash = added[0].strip_suffix(".zst").unwrap();

        let err = crate::snapshot::read_file(&newer.file).unwrap_err();
        assert!(
            matches!(&err, Error::DamagedPage { hash: h, .. } if h == hash),
            "verify names the damaged page {hash}: {err}"
        );
        assert!(err.to_string().contains(hash), "{err}");
        crate::snapshot::read_file(&older.file).expect("the older backup does not need that page");

        let (good, problems) = crate::recovery::newest_good_backup(store.data_dir()).unwrap();
        assert_eq!(
            good.map(|g| g.file),
            Some(older.file.clone()),
            "recovery offers the older sound backup"
        );
        assert!(
            problems.iter().any(|p| p.contains(hash)),
            "and says why the newer one was passed over: {problems:?}"
        );
    }

    #[test]
    fn retention_removes_manifests_then_only_the_pages_nothing_references() {
        let (_tmp, mut store) = shop();
        let mut made = Vec::new();
        for _ in 0..4 {
            made.push(backup(&store));
            one_more_sale(&mut store);
        }
        let keep_two = Retention {
            keep_last: 2,
            keep_daily_days: 0,
        };
        let removed =
            backup::apply_retention_with(&store, keep_two, chrono::Utc::now(), PendingBackups::NoServer).unwrap();
        assert_eq!(removed.len(), 2);
        assert!(!made[0].file.exists() && !made[1].file.exists());
        let left = list_backups(&store).unwrap();
        let mut referenced = HashSet::new();
        for b in &left {
            let stored = StoredBackup::read(&b.file).unwrap();
            referenced.extend(stored.manifest.page_hashes().map(|h| format!("{h}.zst")));
            referenced.extend(stored.chunks.iter().map(|h| format!("{h}.zst")));
            crate::snapshot::read_file(&b.file).expect("every kept backup still reads whole");
        }
        let pages: HashSet<String> = pages_in(&store).into_iter().collect();
        assert_eq!(
            pages, referenced,
            "exactly the pages the kept manifests reference remain"
        );
    }

    #[test]
    fn a_manifest_that_cannot_be_read_stops_page_removal() {
        let (_tmp, mut store) = shop();
        let first = backup(&store);
        one_more_sale(&mut store);
        backup(&store);
        // An unreadable manifest: its pages are unknown, so none may go.
        let stray = store.data_dir().backups().join(format!(
            "sonic-20260101-000000-manual-{}{MANIFEST_SUFFIX}",
            Uuid::nil().simple()
        ));
        std::fs::write(&stray, b"not a manifest").unwrap();
        std::fs::remove_file(&first.file).unwrap();
        let before = pages_in(&store);
        assert_eq!(remove_unreferenced_pages(&store.data_dir().backups()).unwrap(), 0);
        assert_eq!(pages_in(&store), before);
        std::fs::remove_file(&stray).unwrap();
        assert!(remove_unreferenced_pages(&store.data_dir().backups()).unwrap() > 0);
    }

    #[test]
    fn a_backup_of_the_earlier_format_still_lists_verifies_and_restores() {
        let (_tmp, store) = shop();
        let old = backup::write_backup_file(&store.reader().unwrap(), reason::MANUAL, &mut |_| {}).unwrap();
        backup::record_backup(&store, &old, PendingBackups::NoServer).unwrap();
        assert!(old.file.to_string_lossy().ends_with(".json.zst"));
        assert!(crate::snapshot::index_path(&old.file).exists());
        let listed = list_backups(&store).unwrap();
        assert_eq!(listed[0].id, old.id);
        let doc = crate::snapshot::read_file(&old.file).unwrap();
        assert_eq!(
            crate::snapshot::snapshot_sha256(&doc.digests().unwrap()),
            old.snapshot_sha256
        );
        let files = crate::recovery::backup_files(store.data_dir()).unwrap();
        assert!(files.iter().any(|f| f.file == old.file), "recovery lists it too");
    }

    #[test]
    fn records_are_counted_without_parsing() {
        assert_eq!(count_records("[]"), 0);
        assert_eq!(count_records(r#"[{"a":1}]"#), 1);
        assert_eq!(count_records(r#"[{"a":[1,2],"b":"x,]\"y"},{"c":{"d":","}}]"#), 2);
    }
}
