//! Snapshots of the 16 sections and the export format.
//!
//! An export file is one JSON object: the 16 `sonic_*` keys in table order,
//! then `_meta` (format, version, who and when, a SHA-256 per section). A
//! section's hash is taken over its *canonical* JSON: compact, object keys
//! sorted, records in the order they were added. The file itself puts each
//! record on its own line; whitespace does not change a hash, so a file that
//! was pretty-printed by another tool still verifies.
//!
//! **API boundary:** this module and [`import`] are the only places that know
//! the file format. A snapshot read from the store is taken in one read
//! transaction, so it is a consistent instant even while the till sells.

pub mod import;
mod meta;
mod page_index;
pub mod resume;
mod scan;
pub(crate) mod staging;

pub use import::{parse_bytes, read, read_file, read_file_in};
pub use meta::{Meta, SectionDigest, FORMAT, FORMAT_VERSION};
pub use page_index::{index_path, PageIndex};
pub use scan::{MAX_ENCODED_SECTION_BYTES, MAX_RECORD_BYTES, MAX_STRING_BYTES, MAX_WHITESPACE_BYTES};
pub use staging::remove_stale as remove_stale_staging;

use crate::error::{Error, Result};
use crate::pages::{PageCutter, PAGE_RECORDS};
use crate::sections::{SectionKey, SectionKind, Table};
use crate::store::{self, Readable, SectionCounts};
use resume::{Captured, Point, Resumer};
use rusqlite::Connection;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sha2_11::Digest as _;
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;

/// The hasher of a section's `_meta` hash: SHA-256 whose state can be
/// saved and restored ([`resume`]).
type SectionHasher = sha2_11::Sha256;

/// A validated export or backup file: its records wait in a staging
/// database (a temporary SQLite file, removed when the document is
/// dropped), ready to be previewed against the store and written into it in
/// one transaction. Nothing of it but `_meta`, the warnings and the counts
/// is held in memory.
#[derive(Debug)]
pub struct Document {
    pub(crate) staging: staging::Staging,
    /// The file's `_meta`, if it had one (old POS files do not).
    pub meta: Option<Meta>,
    /// Things worth telling the user that did not stop the import
    /// (missing keys, unknown keys).
    pub warnings: Vec<String>,
    counts: SectionCounts,
}

impl Document {
    /// Records per section.
    pub fn counts(&self) -> SectionCounts {
        self.counts.clone()
    }

    /// Calls `f` with the id and canonical JSON of each record of `table`,
    /// in order. `f` must not call back into this document (the staging
    /// connection is held while it runs).
    pub fn for_each_record(&self, table: Table, f: impl FnMut(Option<&str>, &str) -> Result<()>) -> Result<()> {
        store::for_each_record(&self.staging.conn(), table, f)
    }

    /// The canonical JSON of a counter or rate section, or of the members
    /// of an object section that are not record lists (a JSON object), as
    /// it is written to an export file. `None` when the section has no such
    /// value (a rate not set yet, an object with only its lists).
    pub fn value(&self, key: SectionKey) -> Result<Option<String>> {
        store::section_value(&self.staging.conn(), key)
    }

    /// The section digests (hash and record count) of this document.
    pub fn digests(&self) -> Result<BTreeMap<SectionKey, SectionDigest>> {
        write_sections(&*self.staging.conn(), std::io::sink())
    }
}

/// Where the canonical writer reads sections from: the store or a staging
/// database (the same tables).
pub(crate) trait SectionSource {
    /// Calls `f` with the `seq` and body of each record of `table` from
    /// `seq` `from` on, in order.
    fn each_record_from(&self, table: Table, from: i64, f: &mut dyn FnMut(i64, &str) -> Result<()>) -> Result<()>;
    fn value(&self, key: SectionKey) -> Result<Option<String>>;
    /// The text of a kept member of an object section.
    fn render(&self, value: &Value) -> String {
        crate::canonical::to_string(value)
    }
}

/// A staging database read as a format 1 file of serde_json 1.0.154 hashed
/// it: records and kept members holding a non-integer number in that
/// layout (see [`crate::canonical::to_string_format1`]).
struct Format1Source<'a> {
    conn: &'a Connection,
}

impl SectionSource for Format1Source<'_> {
    fn each_record_from(&self, table: Table, from: i64, f: &mut dyn FnMut(i64, &str) -> Result<()>) -> Result<()> {
        store::for_each_record_from(self.conn, table, from, &mut |seq, body| {
            let value: Value = serde_json::from_str(body).map_err(|e| Error::Invalid(e.to_string()))?;
            if crate::canonical::has_float(&value) {
                f(seq, &crate::canonical::to_string_format1(&value))
            } else {
                f(seq, body)
            }
        })
    }
    fn value(&self, key: SectionKey) -> Result<Option<String>> {
        store::section_value(self.conn, key)
    }
    fn render(&self, value: &Value) -> String {
        crate::canonical::to_string_format1(value)
    }
}

/// The section digests of a staged format 1 file as serde_json 1.0.154
/// computed them.
pub(crate) fn format1_digests(conn: &Connection) -> Result<BTreeMap<SectionKey, SectionDigest>> {
    write_sections(&Format1Source { conn }, std::io::sink())
}

impl SectionSource for Connection {
    fn each_record_from(&self, table: Table, from: i64, f: &mut dyn FnMut(i64, &str) -> Result<()>) -> Result<()> {
        store::for_each_record_from(self, table, from, f)
    }
    fn value(&self, key: SectionKey) -> Result<Option<String>> {
        store::section_value(self, key)
    }
}

/// An output that knows how many bytes went into it: where each record
/// lies in the file, for the page index.
struct Counted<W: Write> {
    out: W,
    at: u64,
}

impl<W: Write> Counted<W> {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.at += bytes.len() as u64;
        Ok(())
    }
}

/// Writes bytes to the file, and the canonical ones to the section's hash too.
struct Tee<'a, W: Write> {
    out: &'a mut Counted<W>,
    hash: SectionHasher,
}

impl<W: Write> Tee<'_, W> {
    fn both(&mut self, bytes: &[u8]) -> Result<()> {
        self.hash.update(bytes);
        self.file_only(bytes)
    }
    fn file_only(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io("writing the export", "(export stream)", e))
    }
}

/// Writes `{` and the 16 sections (each followed by `,\n`) and returns their
/// digests. The caller closes the object with `_meta`.
fn write_sections<W: Write>(src: &dyn SectionSource, out: W) -> Result<BTreeMap<SectionKey, SectionDigest>> {
    let mut out = Counted { out, at: 0 };
    write_sections_counted(src, &mut out, &mut || {}, None, None)
}

/// [`write_sections`], calling `on_record` after each record written and
/// feeding `pages` (when given) every list and record; with `resume`,
/// reading each section only from where it changed since the last backup
/// (its unchanged part is not written to `out`: for a backup, whose
/// output is its pages).
fn write_sections_counted<W: Write>(
    src: &dyn SectionSource,
    out: &mut Counted<W>,
    on_record: &mut dyn FnMut(),
    mut pages: Option<&mut PageCutter<'_>>,
    mut resume: Option<&mut Resumer>,
) -> Result<BTreeMap<SectionKey, SectionDigest>> {
    let mut digests = BTreeMap::new();
    out.write_all(b"{\n")
        .map_err(|e| Error::io("writing the export", "(export stream)", e))?;
    for key in SectionKey::ALL {
        if let Some(pages) = pages.as_deref_mut() {
            pages.section_start(key, src.value(key)?.as_deref())?;
        }
        let mut tee = Tee {
            out: &mut *out,
            hash: SectionHasher::new(),
        };
        tee.file_only(format!("{}:", json_string(key.as_str())).as_bytes())?;
        let records = write_section(
            src,
            key,
            &mut tee,
            on_record,
            pages.as_deref_mut(),
            resume.as_deref_mut(),
        )?;
        tee.file_only(b",\n")?;
        let sha256 = hex::encode(tee.hash.finalize());
        if let Some(pages) = pages.as_deref_mut() {
            pages.section_end(key, &sha256, records);
        }
        digests.insert(key, SectionDigest { sha256, records });
    }
    Ok(digests)
}

fn write_section<W: Write>(
    src: &dyn SectionSource,
    key: SectionKey,
    tee: &mut Tee<'_, W>,
    on_record: &mut dyn FnMut(),
    mut pages: Option<&mut PageCutter<'_>>,
    mut resume: Option<&mut Resumer>,
) -> Result<u64> {
    match key.kind() {
        SectionKind::Collection(table) => {
            let start = resume.as_deref().and_then(|r| r.plan(key, None)).map(|plan| {
                tee.hash = plan.hash;
                ListStart {
                    point: plan.point,
                    prefix: plan.prefix,
                }
            });
            write_records(src, (key, "", table), tee, on_record, pages, start, 0, resume)
        }
        SectionKind::Object(parts) => {
            let value = src.value(key)?;
            let extra: serde_json::Map<String, Value> = match &value {
                Some(json) => serde_json::from_str(json).map_err(|e| corrupt(key, e))?,
                None => serde_json::Map::new(),
            };
            let names = object_member_names(parts, &extra);
            // With a plan, everything before its point is in its saved hash state.
            let mut plan = resume.as_deref().and_then(|r| r.plan(key, value.as_deref()));
            let mut records = 0;
            if plan.is_none() {
                tee.both(b"{")?;
            }
            for (i, name) in names.iter().enumerate() {
                let list = parts.iter().find(|(n, _)| n == name);
                if let Some(p) = plan.as_ref() {
                    match list {
                        Some((list, table)) if *list == p.list => {
                            let Some(p) = plan.take() else { unreachable!() };
                            tee.hash = p.hash;
                            let before = p.point.section_records.saturating_sub(p.point.record);
                            let start = ListStart {
                                point: p.point,
                                prefix: p.prefix,
                            };
                            let start = Some(start);
                            records = before
                                + write_records(
                                    src,
                                    (key, list, *table),
                                    tee,
                                    on_record,
                                    pages.as_deref_mut(),
                                    start,
                                    before,
                                    resume.as_deref_mut(),
                                )?;
                        }
                        Some((list, table)) => {
                            let hashes = p
                                .skipped
                                .iter()
                                .find(|(n, _, _)| n == list)
                                .map(|(_, _, h)| h.clone())
                                .ok_or_else(|| Error::Invalid(format!("{key}: no pages kept for {list}")))?;
                            if let Some(pages) = pages.as_deref_mut() {
                                pages.list_reused(list, hashes);
                            }
                            if let Some(r) = resume.as_deref_mut() {
                                r.keep_list(*table);
                            }
                        }
                        None => {}
                    }
                    continue;
                }
                if i > 0 {
                    tee.both(b",")?;
                }
                tee.both(format!("{}:", json_string(name)).as_bytes())?;
                match list {
                    Some((list, table)) => {
                        records += write_records(
                            src,
                            (key, list, *table),
                            tee,
                            on_record,
                            pages.as_deref_mut(),
                            None,
                            records,
                            resume.as_deref_mut(),
                        )?;
                    }
                    None => tee.both(src.render(&extra[*name]).as_bytes())?,
                }
            }
            tee.both(b"}")?;
            Ok(records)
        }
        SectionKind::Counter => {
            let value = src.value(key)?;
            tee.both(value.as_deref().unwrap_or("0").as_bytes())?;
            Ok(u64::from(value.is_some()))
        }
        SectionKind::Rate => {
            let value = src.value(key)?;
            tee.both(value.as_deref().unwrap_or("null").as_bytes())?;
            Ok(u64::from(value.is_some()))
        }
    }
}

/// One section's canonical JSON, as it stands in an export file (a counter
/// not set yet is `0`, a rate not set `null`).
pub(crate) fn section_text(conn: &Connection, key: SectionKey) -> Result<String> {
    let mut out = Counted { out: Vec::new(), at: 0 };
    let mut tee = Tee {
        out: &mut out,
        hash: SectionHasher::new(),
    };
    write_section(conn, key, &mut tee, &mut || {}, None, None)?;
    String::from_utf8(out.out).map_err(|e| Error::Invalid(format!("{key} is not UTF-8 text ({e})")))
}

/// The members of an object section in canonical order: every name, record
/// lists and kept members alike, sorted. Whoever rebuilds a section's
/// canonical JSON (the export here, the server pull) must use this order.
pub fn object_member_names<'a>(
    parts: &'a [(&'static str, Table)],
    extra: &'a serde_json::Map<String, Value>,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = parts
        .iter()
        .map(|(n, _)| *n)
        .chain(extra.keys().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Where a list is read from again: a point of the last backup and the
/// list's page hashes before it.
struct ListStart {
    point: Point,
    prefix: Vec<String>,
}

const PAGE: u64 = PAGE_RECORDS as u64;

/// Writes one record list: `(section, list name, table)`, the name empty
/// for a collection. From `start` (the section hash already restored to
/// it), only the records from its point on are read; `section_before` is
/// the section's records before this list. With `resume`, the list's
/// resume points are gathered for the next backup.
#[allow(clippy::too_many_arguments)]
fn write_records<W: Write>(
    src: &dyn SectionSource,
    (key, list, table): (SectionKey, &'static str, Table),
    tee: &mut Tee<'_, W>,
    on_record: &mut dyn FnMut(),
    mut pages: Option<&mut PageCutter<'_>>,
    start: Option<ListStart>,
    section_before: u64,
    mut resume: Option<&mut Resumer>,
) -> Result<u64> {
    let capturing = resume.as_deref().is_some_and(Resumer::capturing);
    // Records so far, the seq to read from, JSON bytes of the pages closed
    // so far, the seq after the last record, whether to read at all.
    let (mut n, from, mut list_bytes, mut end_seq, read) = match &start {
        None => (0, i64::MIN, 0, i64::MIN, true),
        Some(s) => (
            s.point.record,
            s.point.seq,
            s.point.page_bytes,
            s.point.seq,
            !s.point.end,
        ),
    };
    let mut carried = Vec::new();
    if let (Some(s), Some(r)) = (&start, resume.as_deref_mut()) {
        carried = r.carried(table, s.point.record);
        r.reused_page_bytes += s.point.page_bytes;
        r.reused_records += s.point.record;
    }
    if start.is_none() {
        tee.both(b"[")?;
    }
    if let Some(pages) = pages.as_deref_mut() {
        pages.list_start(key, list);
        if let Some(s) = &start {
            pages.list_prefix(s.prefix.clone());
        }
    }
    let mut seen: VecDeque<Captured> = VecDeque::new();
    let mut page_open = 0u64;
    if read {
        src.each_record_from(table, from, &mut |seq, body| {
            if capturing && n % PAGE == 0 {
                seen.push_back(Captured {
                    record: n,
                    seq,
                    section_records: section_before + n,
                    page_bytes: list_bytes,
                    hash: tee.hash.clone(),
                });
                if seen.len() > resume::kept_points() {
                    seen.pop_front();
                }
            }
            if n > 0 {
                tee.both(b",")?;
            }
            tee.file_only(b"\n")?;
            if let Some(pages) = pages.as_deref_mut() {
                pages.record(body, tee.out.at)?;
            }
            tee.both(body.as_bytes())?;
            // A page's JSON: `[`, the records with `,` between, `]`.
            page_open += body.len() as u64 + 1;
            n += 1;
            if n % PAGE == 0 {
                list_bytes += page_open + 1;
                page_open = 0;
            }
            end_seq = seq.saturating_add(1);
            on_record();
            Ok(())
        })?;
    }
    if page_open > 0 {
        list_bytes += page_open + 1;
    }
    if let Some(pages) = pages {
        pages.list_end()?;
    }
    if let Some(r) = resume.filter(|_| capturing) {
        let end = Captured {
            record: n,
            seq: end_seq,
            section_records: section_before + n,
            page_bytes: list_bytes,
            hash: tee.hash.clone(),
        };
        r.finish_list(table, carried, seen, end);
    }
    tee.both(b"]")?;
    Ok(n)
}

fn json_string(s: &str) -> String {
    crate::canonical::to_string(&Value::String(s.to_string()))
}

fn corrupt(key: SectionKey, e: serde_json::Error) -> Error {
    Error::Invalid(format!(
        "the stored value of {key} is not valid JSON ({e}); the database may be damaged"
    ))
}

/// What to write in `_meta` besides the hashes.
#[derive(Debug, Clone)]
pub struct ExportInfo {
    pub reason: String,
    pub backup_id: Option<uuid::Uuid>,
}

/// How far a long task is: records done of records total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// How often a long task reports its [`Progress`] (and once at the end).
pub const PROGRESS_EVERY: u64 = 1024;

/// Writes a consistent snapshot of the store as an export file to `out`,
/// returning the `_meta` it wrote. Read from a [`crate::Reader`], it takes
/// neither the till's connection nor its lock.
pub fn export(src: &impl Readable, info: &ExportInfo, out: &mut dyn Write) -> Result<Meta> {
    export_with_progress(src, info, out, &mut |_| {})
}

/// [`export`], telling `progress` the records written of the snapshot's
/// total every [`PROGRESS_EVERY`] records and at the end.
pub fn export_with_progress(
    src: &impl Readable,
    info: &ExportInfo,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(Progress),
) -> Result<Meta> {
    export_cutting(src, info, out, progress, None, None)
}

/// [`export_with_progress`], cutting the pages on the way into `pages`.
pub(crate) fn export_cutting(
    src: &impl Readable,
    info: &ExportInfo,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(Progress),
    pages: Option<&mut PageCutter<'_>>,
    mut resume: Option<&mut Resumer>,
) -> Result<Meta> {
    let conn = src.read_conn();
    // One read transaction: the 16 sections are one instant, fixed by its
    // first read (the count); the change marks are read in it too.
    let tx = conn.unchecked_transaction()?;
    let total = store::record_total(&tx)?;
    if let Some(r) = resume.as_deref_mut() {
        r.begin(&tx)?;
    }
    let mut done = 0u64;
    progress(Progress { done, total });
    let mut out = Counted { out, at: 0 };
    let digests = write_sections_counted(
        &*tx,
        &mut out,
        &mut || {
            done += 1;
            if done % PROGRESS_EVERY == 0 {
                progress(Progress { done, total });
            }
        },
        pages,
        resume,
    )?;
    // Records taken from the last backup were not read: the end is the total.
    done = total.max(done);
    let meta = Meta::new(
        crate::identity::device_id(&tx)?,
        crate::identity::store_id(&tx)?,
        info,
        digests,
    );
    tx.commit()?;
    let meta_json = serde_json::to_string(&meta).map_err(|e| Error::Invalid(e.to_string()))?;
    out.write_all(format!("\"_meta\":{meta_json}\n}}\n").as_bytes())
        .map_err(|e| Error::io("writing the export", "(export stream)", e))?;
    progress(Progress { done, total });
    Ok(meta)
}

/// Writes an export file of the store at `path`, atomically.
pub fn export_file(src: &impl Readable, path: &std::path::Path, info: &ExportInfo) -> Result<Meta> {
    crate::backup::write_atomically(path, |out| export(src, info, out))
}

/// The digests of the store's sections as they are now.
pub fn store_digests(src: &impl Readable) -> Result<BTreeMap<SectionKey, SectionDigest>> {
    let tx = src.read_conn().unchecked_transaction()?;
    let digests = write_sections(&*tx, std::io::sink())?;
    tx.commit()?;
    Ok(digests)
}

/// One hash over the 16 section hashes: equal snapshots, equal hash.
pub fn snapshot_sha256(digests: &BTreeMap<SectionKey, SectionDigest>) -> String {
    let mut hash = Sha256::new();
    for (key, digest) in digests {
        hash.update(format!("{}:{}\n", key.as_str(), digest.sha256).as_bytes());
    }
    hex::encode(hash.finalize())
}
