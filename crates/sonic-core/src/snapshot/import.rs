//! Reading an export file, this project's or the old POS's, into a validated
//! [`Document`]: one pass over the file, one record at a time, each record
//! validated and written into a staging database (see [`super::staging`]).
//! Nothing here writes to the store.
//!
//! Accepted: a JSON object (optionally zstd-compressed) whose keys are the
//! `sonic_*` section keys. Old POS files have no `_meta`, may hold a value as
//! a JSON-encoded string (as localStorage kept it), may lack keys, and may
//! carry keys or fields this code does not know. Unknown top-level keys are
//! reported and ignored; unknown record fields are kept.
//!
//! Memory stays bounded whatever the file: the scanner ([`super::scan`])
//! refuses any record, string or run of whitespace over its limit, naming
//! where it is; duplicate ids and numbers are found by the staging
//! database, not by sets in memory; section hashes are taken from staging
//! at the end and checked against `_meta`.

use super::scan::{self, ScanError, ScanErrorKind, Scanner};
use super::staging::{body_hash, StagedRecord, Staging};
use super::{Document, Meta, SectionDigest, FORMAT, FORMAT_VERSION};
use crate::error::{Error, Problem, Rejection, Result};
use crate::sections::{Rate, SectionKey, SectionKind, Table, Timestamp};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Stop collecting problems after this many: the file is refused anyway.
const MAX_PROBLEMS: usize = 50;

/// zstd's frame magic number, so a compressed backup is recognised.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The largest zstd window accepted (2^25 = 32 MiB; backups are written at
/// level 3, whose window is 2 MiB at most). zstd's own default would let a
/// crafted frame make the decoder take 128 MiB.
const ZSTD_WINDOW_LOG_MAX: u32 = 25;

/// Reads and validates an export or backup file, staging it in the system's
/// temporary folder. Callers that have a data directory use
/// [`read_file_in`], so the staging file lies beside the store.
pub fn read_file(path: &Path) -> Result<Document> {
    read_file_in(path, &std::env::temp_dir())
}

/// Reads and validates an export or backup file, staging its records in a
/// temporary database in `staging_dir` (normally the data directory).
/// A backup manifest ([`crate::page_store`]) reads as the export file it
/// describes, its pages from the page folder beside it, each checked
/// against its hash (a damaged or missing page is named).
pub fn read_file_in(path: &Path, staging_dir: &Path) -> Result<Document> {
    if crate::page_store::is_manifest(path) {
        let (stream, failure) = crate::page_store::open_export_stream(path)?;
        let read = read(stream, &path.display().to_string(), staging_dir);
        // The reader only hears that its input stopped; the stream kept why.
        let page_error = failure.borrow_mut().take();
        return match (read, page_error) {
            (Err(_), Some(page_error)) => Err(page_error),
            // Refused without the stream noticing: a damaged page can still
            // decompress into bytes the parser refuses before its hash is
            // checked at its end. Blame the page, if one is damaged.
            (Err(e), None) => Err(crate::page_store::find_damaged_page(path).unwrap_or(e)),
            (ok, _) => ok,
        };
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io("reading", path, e))?;
    read(file, &path.display().to_string(), staging_dir)
}

/// Parses and validates the bytes of an export or backup file, staging in
/// the system's temporary folder. `source` names the file in messages.
pub fn parse_bytes(bytes: &[u8], source: &str) -> Result<Document> {
    read(bytes, source, &std::env::temp_dir())
}

/// Reads and validates an export or backup file from `input` (plain JSON
/// or zstd, told apart by the first bytes) in one pass, staging its records
/// in a temporary database in `staging_dir`. `source` names the file in
/// messages.
pub fn read(input: impl Read, source: &str, staging_dir: &Path) -> Result<Document> {
    let mut input = BufReader::with_capacity(128 * 1024, input);
    let compressed = input
        .fill_buf()
        .map_err(|e| Error::io("reading", source, e))?
        .starts_with(&ZSTD_MAGIC);
    let reader = Reader {
        source,
        compressed,
        staging: Staging::create(staging_dir)?,
        problems: Vec::new(),
        warnings: Vec::new(),
        values: BTreeMap::new(),
        seen: BTreeSet::new(),
        empty: BTreeSet::new(),
        meta: None,
        meta_seen: false,
    };
    if compressed {
        let unreadable = |e: std::io::Error| reader.refusal(unreadable_message(&e));
        let mut decoder = zstd::stream::read::Decoder::with_buffer(input).map_err(unreadable)?;
        decoder.window_log_max(ZSTD_WINDOW_LOG_MAX).map_err(unreadable)?;
        reader.run(Scanner::new(decoder))
    } else {
        reader.run(Scanner::new(input))
    }
}

fn unreadable_message(e: &dyn std::fmt::Display) -> String {
    format!("is not a readable compressed backup ({e}); the file is damaged or cut short")
}

/// Why reading stopped before the end of the file.
enum Stop {
    /// The file is refused: this problem ends the reading (bad JSON, a
    /// token over its limit).
    Refused(Problem),
    /// Something other than the file failed (the staging database).
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Self {
        Stop::Failed(e.into())
    }
}

type Step<T = ()> = std::result::Result<T, Stop>;

/// Where a scanned value lies: in the file, or inside a section kept as a
/// JSON-encoded string (whose errors are that section's, not the file's).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    File,
    EncodedSection,
}

struct Reader<'s> {
    source: &'s str,
    compressed: bool,
    staging: Staging,
    problems: Vec<Problem>,
    warnings: Vec<String>,
    /// Counters, rates and object sections' kept members (small).
    values: BTreeMap<SectionKey, String>,
    /// Sections met in the file.
    seen: BTreeSet<SectionKey>,
    /// Sections given as `null`.
    empty: BTreeSet<SectionKey>,
    meta: Option<Meta>,
    /// Whether the file has a `_meta` member at all (valid or not).
    meta_seen: bool,
}

impl Reader<'_> {
    fn refusal(&self, message: String) -> Error {
        Error::Rejected(Rejection {
            source: self.source.to_string(),
            problems: vec![Problem {
                key: String::new(),
                record: None,
                id: None,
                field: None,
                message,
            }],
        })
    }

    fn run<R: Read>(mut self, mut scanner: Scanner<R>) -> Result<Document> {
        self.staging.conn().execute_batch("BEGIN")?;
        match self.file(&mut scanner) {
            Ok(()) => {}
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Refused(p)) => {
                self.problems.push(p);
                return Err(self.rejected());
            }
        }
        self.finish()
    }

    fn rejected(&mut self) -> Error {
        Error::Rejected(Rejection {
            source: self.source.to_string(),
            problems: std::mem::take(&mut self.problems),
        })
    }

    fn problem(
        &mut self,
        key: &str,
        record: Option<String>,
        id: Option<String>,
        field: Option<String>,
        message: String,
    ) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                key: key.to_string(),
                record,
                id,
                field,
                message,
            });
        }
    }

    fn section_problem(&mut self, key: SectionKey, message: String) {
        self.problem(key.as_str(), None, None, None, message);
    }

    /// The problem a scanning error makes, named by section and record.
    fn scan_problem(&self, e: ScanError, key: &str, record: Option<String>, within: Within) -> Problem {
        let at = e.position();
        let message = match (e.kind, within) {
            (ScanErrorKind::Read(err), _) if self.compressed => unreadable_message(&err),
            (ScanErrorKind::Read(err), _) => format!("could not be read ({err})"),
            (ScanErrorKind::TooLarge { what, limit }, Within::File) => format!(
                "is too large: {what} longer than the {} limit starts at {at} \
                 (refused so that a file cannot take the till's memory)",
                scan::mib(limit)
            ),
            (ScanErrorKind::TooLarge { what, limit }, Within::EncodedSection) => format!(
                "is too large: {what} longer than the {} limit starts at {at} of the section's string \
                 (refused so that a file cannot take the till's memory)",
                scan::mib(limit)
            ),
            (ScanErrorKind::Eof, Within::File) => {
                format!("is not valid JSON: the file ends at {at} inside a value (the file ends too early: it was cut short)")
            }
            (ScanErrorKind::Syntax(m), Within::File) => format!("is not valid JSON: {m} at {at}"),
            (ScanErrorKind::Eof, Within::EncodedSection) => {
                format!("is a string that does not hold valid JSON (it ends at {at} inside a value)")
            }
            (ScanErrorKind::Syntax(m), Within::EncodedSection) => {
                format!("is a string that does not hold valid JSON ({m} at {at})")
            }
        };
        Problem {
            key: key.to_string(),
            record,
            id: None,
            field: None,
            message,
        }
    }

    /// The whole file: `{ "key": value, … }`.
    fn file<R: Read>(&mut self, s: &mut Scanner<R>) -> Step {
        let file = |r: &Self, e: ScanError| Stop::Refused(r.scan_problem(e, "", None, Within::File));
        let kind = s.next_kind().map_err(|e| file(self, e))?;
        if kind != "an object" {
            return Err(Stop::Refused(Problem {
                key: String::new(),
                record: None,
                id: None,
                field: None,
                message: format!("must be a JSON object with the sonic_* keys, found {kind}"),
            }));
        }
        s.expect(b'{', "`{`").map_err(|e| file(self, e))?;
        if !s.eat(b'}').map_err(|e| file(self, e))? {
            loop {
                let name = s.string(scan::MAX_STRING_BYTES, "a key").map_err(|e| file(self, e))?;
                s.expect(b':', "`:`").map_err(|e| file(self, e))?;
                self.member(&name, s)?;
                if s.eat(b',').map_err(|e| file(self, e))? {
                    continue;
                }
                s.expect(b'}', "`,` or `}`").map_err(|e| file(self, e))?;
                break;
            }
        }
        if !s.at_end().map_err(|e| file(self, e))? {
            let e = s.error(ScanErrorKind::Syntax("more after the end of the object".into()));
            return Err(file(self, e));
        }
        Ok(())
    }

    /// One top-level member: `_meta`, a section, or an unknown key.
    fn member<R: Read>(&mut self, name: &str, s: &mut Scanner<R>) -> Step {
        let at = |r: &Self, e: ScanError| Stop::Refused(r.scan_problem(e, name, None, Within::File));
        if name == "_meta" {
            let mut bytes = Vec::new();
            s.value(&mut bytes, scan::MAX_RECORD_BYTES, "`_meta`")
                .map_err(|e| at(self, e))?;
            let value = self.parse_json(&bytes, "_meta", None)?;
            self.meta_seen = true;
            self.meta = self.parse_meta(value);
            return Ok(());
        }
        let Some(key) = SectionKey::from_key(name) else {
            self.warnings.push(format!("unknown key {name:?} ignored"));
            return s.skip_value().map_err(|e| at(self, e));
        };
        if !self.seen.insert(key) {
            self.section_problem(key, "appears twice in the file".into());
            return s.skip_value().map_err(|e| at(self, e));
        }
        let kind = s.next_kind().map_err(|e| at(self, e))?;
        if kind == "null" {
            s.skip_value().map_err(|e| at(self, e))?;
            if key.kind() != SectionKind::Rate {
                self.empty.insert(key);
            }
            return Ok(());
        }
        if kind == "a string" && matches!(key.kind(), SectionKind::Collection(_) | SectionKind::Object(_)) {
            // localStorage kept every value as a string of JSON.
            let text = s
                .string(scan::MAX_ENCODED_SECTION_BYTES, "a section kept as a string")
                .map_err(|e| at(self, e))?;
            let mut inner = Scanner::new(text.as_bytes());
            let read = self
                .section(key, &mut inner, Within::EncodedSection)
                .and_then(|()| match inner.at_end() {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(Stop::Refused(self.scan_problem(
                        inner.error(ScanErrorKind::Syntax("more after the end of the value".into())),
                        name,
                        None,
                        Within::EncodedSection,
                    ))),
                    Err(e) => Err(Stop::Refused(self.scan_problem(e, name, None, Within::EncodedSection))),
                });
            return match read {
                // The string was bad, not the file: go on with the next section.
                Err(Stop::Refused(p)) => {
                    self.problem(&p.key, p.record, p.id, p.field, p.message);
                    Ok(())
                }
                other => other,
            };
        }
        self.section(key, s, Within::File)
    }

    /// One section's value.
    fn section<R: Read>(&mut self, key: SectionKey, s: &mut Scanner<R>, within: Within) -> Step {
        let name = key.as_str();
        let at = |r: &Self, e: ScanError| Stop::Refused(r.scan_problem(e, name, None, within));
        match key.kind() {
            SectionKind::Collection(table) => {
                let kind = s.next_kind().map_err(|e| at(self, e))?;
                if kind != "an array" {
                    self.section_problem(key, format!("must be a list (JSON array), found {kind}"));
                    return s.skip_value().map_err(|e| at(self, e));
                }
                self.records(key, None, table, s, within)
            }
            SectionKind::Object(parts) => {
                let kind = s.next_kind().map_err(|e| at(self, e))?;
                if kind != "an object" {
                    self.section_problem(key, format!("must be an object, found {kind}"));
                    return s.skip_value().map_err(|e| at(self, e));
                }
                s.expect(b'{', "`{`").map_err(|e| at(self, e))?;
                let mut kept = Map::new();
                let mut kept_bytes = 0usize;
                let mut lists = BTreeSet::new();
                let mut bytes = Vec::new();
                if !s.eat(b'}').map_err(|e| at(self, e))? {
                    loop {
                        let member = s.string(scan::MAX_STRING_BYTES, "a key").map_err(|e| at(self, e))?;
                        s.expect(b':', "`:`").map_err(|e| at(self, e))?;
                        match parts.iter().find(|(n, _)| *n == member) {
                            Some((list, table)) => {
                                let kind = s.next_kind().map_err(|e| at(self, e))?;
                                if !lists.insert(*list) {
                                    self.problem(name, None, None, Some(member), "appears twice".into());
                                    s.skip_value().map_err(|e| at(self, e))?;
                                } else if kind == "an array" {
                                    self.records(key, Some(list), *table, s, within)?;
                                } else {
                                    if kind != "null" {
                                        self.problem(
                                            name,
                                            None,
                                            None,
                                            Some(member),
                                            format!("must be a list (JSON array), found {kind}"),
                                        );
                                    }
                                    s.skip_value().map_err(|e| at(self, e))?;
                                }
                            }
                            None => {
                                s.value(&mut bytes, scan::MAX_RECORD_BYTES, "a member")
                                    .map_err(|e| at(self, e))?;
                                kept_bytes += bytes.len();
                                if kept_bytes > scan::MAX_RECORD_BYTES {
                                    let e = s.error(ScanErrorKind::TooLarge {
                                        what: "the members that are not lists, together,",
                                        limit: scan::MAX_RECORD_BYTES,
                                    });
                                    return Err(at(self, e));
                                }
                                let value = self.parse_json(&bytes, name, None)?;
                                kept.insert(member, value);
                            }
                        }
                        if s.eat(b',').map_err(|e| at(self, e))? {
                            continue;
                        }
                        s.expect(b'}', "`,` or `}`").map_err(|e| at(self, e))?;
                        break;
                    }
                }
                if key == SectionKey::ShopData {
                    if let Some(settings) = kept.get("settings") {
                        if let Err((field, message)) = crate::ops::settings::check_imported(settings) {
                            self.problem(name, None, None, Some(field), message);
                        }
                    }
                }
                if !kept.is_empty() {
                    self.values
                        .insert(key, crate::canonical::to_string(&Value::Object(kept)));
                }
                Ok(())
            }
            SectionKind::Counter | SectionKind::Rate => {
                let mut bytes = Vec::new();
                s.value(&mut bytes, scan::MAX_STRING_BYTES, "a value")
                    .map_err(|e| at(self, e))?;
                let value = self.parse_json(&bytes, name, None)?;
                if key.kind() == SectionKind::Counter {
                    match parse_counter(&value) {
                        Ok(n) => {
                            self.values.insert(key, n.to_string());
                        }
                        Err(message) => self.section_problem(key, message),
                    }
                } else if !value.is_null() {
                    match Rate::from_json(&value) {
                        Ok(rate) => {
                            self.values.insert(key, Value::String(rate.to_string()).to_string());
                        }
                        Err(message) => self.section_problem(key, format!("(an exchange rate) {message}")),
                    }
                }
                Ok(())
            }
        }
    }

    /// A list of records: `[ {…}, {…} ]`, one at a time into staging.
    fn records<R: Read>(
        &mut self,
        key: SectionKey,
        list: Option<&str>,
        table: Table,
        s: &mut Scanner<R>,
        within: Within,
    ) -> Step {
        let position = |index: u64| match list {
            Some(name) => format!("{name}[{index}]"),
            None => index.to_string(),
        };
        let at = |r: &Self, e: ScanError, index: u64| {
            Stop::Refused(r.scan_problem(e, key.as_str(), Some(position(index)), within))
        };
        s.expect(b'[', "`[`").map_err(|e| at(self, e, 0))?;
        if s.eat(b']').map_err(|e| at(self, e, 0))? {
            return Ok(());
        }
        let mut bytes = Vec::new();
        let mut index = 0u64;
        loop {
            s.value(&mut bytes, scan::MAX_RECORD_BYTES, "a record")
                .map_err(|e| at(self, e, index))?;
            let record = self.parse_json(&bytes, key.as_str(), Some(position(index)))?;
            self.record(key, table, index, position(index), &record)?;
            index += 1;
            if s.eat(b',').map_err(|e| at(self, e, index))? {
                continue;
            }
            s.expect(b']', "`,` or `]`").map_err(|e| at(self, e, index))?;
            return Ok(());
        }
    }

    fn parse_json(&self, bytes: &[u8], key: &str, record: Option<String>) -> Step<Value> {
        serde_json::from_slice(bytes).map_err(|e| {
            Stop::Refused(Problem {
                key: key.to_string(),
                record,
                id: None,
                field: None,
                message: format!("is not valid JSON: {e}"),
            })
        })
    }

    /// Validates one record and stages it.
    fn record(&mut self, key: SectionKey, table: Table, index: u64, position: String, record: &Value) -> Step {
        let raw_id = record
            .get("id")
            .filter(|v| v.is_string() || v.is_number())
            .map(Value::to_string);
        let valid = match table.validate(record) {
            Ok(valid) => valid,
            Err(p) => {
                let field = (!p.field.is_empty()).then_some(p.field);
                self.problem(key.as_str(), Some(position), raw_id, field, p.problem);
                return Ok(());
            }
        };
        let id = valid.id.map(|id| id.key());
        let body = crate::canonical::to_string(record);
        let staged = StagedRecord {
            id: id.as_deref(),
            body: &body,
            number: valid.number.and_then(|n| i64::try_from(n).ok()),
            at: record_time(record),
            hash: id.is_none().then(|| body_hash(&body)),
        };
        if !self.staging.insert(table, index, &staged)? {
            let first = match &id {
                Some(id) => self.staging.position_of(table, id)?,
                None => None,
            };
            let first = first.map_or_else(|| "another record".to_string(), |n| format!("record {n}"));
            self.problem(
                key.as_str(),
                Some(position),
                raw_id,
                Some("id".into()),
                format!("is a duplicate: {first} has the same id"),
            );
        }
        Ok(())
    }

    fn parse_meta(&mut self, value: Value) -> Option<Meta> {
        let format = value.get("format").and_then(Value::as_str).map(str::to_string);
        if format.as_deref() != Some(FORMAT) {
            self.problem(
                "_meta",
                None,
                None,
                Some("format".into()),
                format!("must be {FORMAT:?}, found {format:?}"),
            );
            return None;
        }
        let version = value.get("formatVersion").and_then(Value::as_u64);
        match version {
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                self.problem(
                    "_meta",
                    None,
                    None,
                    Some("formatVersion".into()),
                    format!("is {v}, newer than this Sonic POS reads ({FORMAT_VERSION}); update Sonic POS"),
                );
                None
            }
            _ => match serde_path_to_error::deserialize::<_, Meta>(&value) {
                Ok(meta) => match check_meta(&meta) {
                    Ok(()) => Some(meta),
                    Err((field, message)) => {
                        self.problem("_meta", None, None, Some(field.into()), message);
                        None
                    }
                },
                Err(e) => {
                    let field = e.path().to_string();
                    self.problem("_meta", None, None, Some(field), e.inner().to_string());
                    None
                }
            },
        }
    }

    /// After the last byte: the cross-record checks, the hashes, the counts.
    fn finish(mut self) -> Result<Document> {
        for key in SectionKey::ALL {
            if (!self.seen.contains(&key) && key.kind() != SectionKind::Rate) || self.empty.contains(&key) {
                self.warnings
                    .push(format!("{key} is missing from the file: it will be empty"));
            }
        }
        self.check_counters()?;
        // A file without `_meta` is taken as the old POS's export, which
        // never had one (module doc): plain JSON only. Sonic POS's backups
        // are compressed and always end with `_meta`, so a compressed file
        // without one was cut or had it removed to skip the hash checks.
        if !self.meta_seen {
            if self.compressed {
                self.problem(
                    "_meta",
                    None,
                    None,
                    None,
                    "is missing from a compressed Sonic POS backup: the file was cut short or changed".into(),
                );
            } else {
                self.warnings
                    .push("no _meta: read as an old POS export, whose contents carry no hashes to verify".into());
            }
        }
        for (key, value) in &self.values {
            self.staging.set_value(*key, value)?;
        }
        self.staging.conn().execute_batch("COMMIT")?;
        if self.problems.is_empty() {
            if let Some(meta) = self.meta.take() {
                self.check_hashes(&meta)?;
                self.meta = Some(meta);
            }
        }
        if !self.problems.is_empty() {
            return Err(self.rejected());
        }
        let counts = crate::store::counts_in(&self.staging.conn())?;
        Ok(Document {
            staging: self.staging,
            meta: self.meta,
            warnings: self.warnings,
            counts,
        })
    }

    /// Numbers issued from a counter are unique and never above it; a missing
    /// counter (old files) is set to the highest number in use.
    fn check_counters(&mut self) -> Result<()> {
        for (table, key, counter, what) in crate::sections::NUMBERED_BY_COUNTERS {
            let t = table.sql_name();
            let twice: Vec<(i64, i64, i64)> = {
                let sql = format!(
                    "SELECT a.seq - 1, a.number, f.first FROM {t} a \
                     JOIN (SELECT number, min(seq) - 1 AS first FROM {t} WHERE number IS NOT NULL GROUP BY number) f \
                       ON f.number = a.number \
                     WHERE a.seq - 1 > f.first ORDER BY a.seq LIMIT {MAX_PROBLEMS}"
                );
                let conn = self.staging.conn();
                let mut stmt = conn.prepare(&sql)?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for (index, n, first) in twice {
                self.problem(
                    key.as_str(),
                    Some(index.to_string()),
                    None,
                    Some("number".into()),
                    format!("{what} number {n} is used twice (record {first} has it too)"),
                );
            }
            let max: Option<i64> = self
                .staging
                .conn()
                .query_row(&format!("SELECT max(number) FROM {t}"), [], |r| r.get(0))?;
            let Some(max) = max else { continue };
            if max > crate::MAX_SAFE_INTEGER {
                self.section_problem(
                    key,
                    format!("has {what} number {max}, above 2^53 - 1 (the largest the till counts to exactly)"),
                );
                continue;
            }
            match self.values.get(&counter).map(|v| v.parse::<i64>()) {
                Some(Ok(c)) if c < max => self.section_problem(
                    counter,
                    format!("is {c} but {what} number {max} exists: the next {what} would reuse a number"),
                ),
                Some(_) => {}
                None => {
                    self.warnings
                        .push(format!("{counter} is missing: set to {max}, the highest {what} number"));
                    self.values.insert(counter, max.to_string());
                }
            }
        }
        Ok(())
    }

    fn check_hashes(&mut self, meta: &Meta) -> Result<()> {
        let mut digests = super::write_sections(&*self.staging.conn(), &mut std::io::sink())?;
        let differs = |digests: &BTreeMap<SectionKey, SectionDigest>| {
            digests
                .iter()
                .any(|(key, d)| meta.sections.get(key.as_str()).is_some_and(|e| e.sha256 != d.sha256))
        };
        if meta.format_version < 2 && differs(&digests) {
            // Format 1 hashed non-integer numbers as the serde_json of its
            // build wrote them: the canonical form up to 1.0.153, `1e+16`
            // from 1.0.154 on. Accept that form too for its files.
            for (key, digest) in super::format1_digests(&self.staging.conn())? {
                if meta
                    .sections
                    .get(key.as_str())
                    .is_some_and(|e| e.sha256 == digest.sha256)
                {
                    digests.insert(key, digest);
                }
            }
        }
        let listed: BTreeMap<SectionKey, SectionDigest> = SectionKey::ALL
            .into_iter()
            .filter_map(|key| meta.sections.get(key.as_str()).map(|d| (key, d.clone())))
            .collect();
        if listed.len() == SectionKey::ALL.len() && super::snapshot_sha256(&listed) != meta.snapshot_sha256 {
            self.problem(
                "_meta",
                None,
                None,
                Some("snapshotSha256".into()),
                "does not match the section hashes: the file was changed or damaged after it was written".into(),
            );
        }
        for (key, digest) in digests {
            match meta.sections.get(key.as_str()) {
                Some(expected) if expected.sha256 == digest.sha256 => {}
                Some(_) => self.section_problem(
                    key,
                    "does not match its SHA-256 in _meta: the file was changed or damaged after it was written"
                        .to_string(),
                ),
                None => self.section_problem(key, "has no hash in _meta".to_string()),
            }
        }
        Ok(())
    }
}

/// What `_meta` says of itself, beyond its types: a device id that looks
/// like one, a creation time that is not in the future (a day of clock skew
/// allowed) nor before Sonic POS, hashes that are hex SHA-256.
fn check_meta(meta: &Meta) -> Result<(), (&'static str, String)> {
    let id = meta.device_id.trim();
    if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
        return Err(("deviceId", "must be a device id (1 to 100 printable characters)".into()));
    }
    let now = chrono::Utc::now();
    let earliest = chrono::DateTime::<chrono::Utc>::from_timestamp(946_684_800, 0).unwrap_or(now); // 2000-01-01
    if meta.created_at > now + chrono::Duration::days(1) || meta.created_at < earliest {
        return Err((
            "createdAt",
            format!(
                "is {}, in the future or before 2000: the file's clock or the file is wrong",
                meta.created_at
            ),
        ));
    }
    let is_sha256 = |h: &str| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_sha256(&meta.snapshot_sha256) {
        return Err(("snapshotSha256", "must be a SHA-256 in hex (64 characters)".into()));
    }
    Ok(())
}

/// The record's time (`createdAt`, else `at`), in microseconds since 1970.
fn record_time(record: &Value) -> Option<i64> {
    let at = record.get("createdAt").or_else(|| record.get("at"))?;
    let at = Timestamp::deserialize(at).ok()?;
    Some(at.instant().timestamp_micros())
}

/// A counter: a whole number from 0 to 2^53 - 1 (larger ones would overflow
/// the next number, or not survive the webview's numbers).
fn parse_counter(value: &Value) -> Result<u64, String> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.filter(|n| i64::try_from(*n).is_ok_and(|n| n <= crate::MAX_SAFE_INTEGER))
        .ok_or_else(|| format!("(a counter) must be a whole number from 0 to 2^53 - 1, found {value}"))
}

use serde::Deserialize as _;

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(bytes: &[u8]) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let err = read(bytes, "test.json", tmp.path()).expect_err("the file must be refused");
        assert!(matches!(err, Error::Rejected(_)), "{err:?}");
        let staged: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(staged.is_empty(), "a refused file leaves no staging file behind");
        err.to_string()
    }

    fn contains_all(message: &str, words: &[&str]) {
        for word in words {
            assert!(message.contains(word), "the error must mention {word:?}:\n{message}");
        }
    }

    #[test]
    fn a_record_over_the_limit_is_refused_naming_its_section_and_position() {
        let pad = "x".repeat(1 << 20);
        let fields: Vec<String> = (0..9).map(|i| format!("\"f{i}\":\"{pad}\"")).collect();
        let file = format!(
            r#"{{"sonic_invoices":[{{"id":1,"number":1,"currency":"IQD","lines":[],"total":0}},{{{}}}]}}"#,
            fields.join(",")
        );
        let message = refused(file.as_bytes());
        contains_all(
            &message,
            &[
                "sonic_invoices record 1",
                "a record longer than the 8 MiB limit",
                "line 1",
            ],
        );
    }

    #[test]
    fn a_string_over_the_limit_is_refused_naming_where() {
        let file = format!(
            r#"{{"sonic_shop_data":{{"items":[{{"id":1,"name":"{}"}}]}}}}"#,
            "y".repeat(5 << 20)
        );
        let message = refused(file.as_bytes());
        contains_all(
            &message,
            &[
                "sonic_shop_data record items[0]",
                "a string longer than the 4 MiB limit",
            ],
        );
        // Outside any record too: an unknown key's value, and a key.
        let file = format!(r#"{{"notes":"{}"}}"#, "z".repeat(5 << 20));
        contains_all(
            &refused(file.as_bytes()),
            &["notes", "a string longer than the 4 MiB limit"],
        );
        let file = format!(r#"{{"{}":1}}"#, "k".repeat(5 << 20));
        contains_all(&refused(file.as_bytes()), &["a key longer than the 4 MiB limit"]);
    }

    #[test]
    fn whitespace_over_the_limit_is_refused_naming_where() {
        let file = format!(r#"{{"sonic_activity_data":[{}]}}"#, " ".repeat(5 << 20));
        let message = refused(file.as_bytes());
        contains_all(
            &message,
            &[
                "sonic_activity_data",
                "a run of whitespace longer than the 4 MiB limit",
                "line 1, column 25",
            ],
        );
        let file = format!("{}{{}}", "\n".repeat(5 << 20));
        contains_all(&refused(file.as_bytes()), &["a run of whitespace", "line 1, column 1"]);
    }

    #[test]
    fn a_section_kept_as_a_string_over_its_limit_is_refused() {
        let inner = format!("[{}]", " ".repeat(scan::MAX_ENCODED_SECTION_BYTES));
        let file = serde_json::json!({ "sonic_debts": inner }).to_string();
        contains_all(
            &refused(file.as_bytes()),
            &["sonic_debts", "a section kept as a string longer than the 64 MiB limit"],
        );
    }

    #[test]
    fn a_section_kept_as_a_string_is_read_like_one_in_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let debts = r#"[{"id":"d1","customerId":"c1","amount":1000,"currency":"IQD","payments":[]}]"#;
        let file = serde_json::json!({ "sonic_debts": debts, "sonic_invoice_counter": "3" }).to_string();
        let doc = read(file.as_bytes(), "old.json", tmp.path()).unwrap();
        assert_eq!(doc.counts()[&SectionKey::Debts], 1);
        assert_eq!(doc.value(SectionKey::InvoiceCounter).unwrap().as_deref(), Some("3"));
        let mut bodies = Vec::new();
        doc.for_each_record(Table::Debts, |id, body| {
            bodies.push((id.map(str::to_string), body.to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0].0.as_deref(), Some("d1"));
        drop(doc);
        assert!(
            std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
            "the staging file goes with the document"
        );
    }

    #[test]
    fn a_section_given_twice_is_refused() {
        let message = refused(br#"{"sonic_invoices":[],"sonic_invoices":[]}"#);
        contains_all(&message, &["sonic_invoices appears twice"]);
    }
}
