//! Reading an export file, this project's or the old POS's, into a validated
//! [`Document`]. Nothing here writes to the store.
//!
//! Accepted: a JSON object (optionally zstd-compressed) whose keys are the
//! `sonic_*` section keys. Old POS files have no `_meta`, may hold a value as
//! a JSON-encoded string (as localStorage kept it), may lack keys, and may
//! carry keys or fields this code does not know. Unknown top-level keys are
//! reported and ignored; unknown record fields are kept.

use super::{Document, Meta, FORMAT, FORMAT_VERSION};
use crate::error::{Error, Problem, Rejection, Result};
use crate::sections::{kind_of_value, Rate, SectionKey, SectionKind, Table};
use crate::store::StoredRecord;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Stop collecting problems after this many: the file is refused anyway.
const MAX_PROBLEMS: usize = 50;

/// zstd's frame magic number, so a compressed backup is recognised.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Reads and validates an export or backup file.
pub fn read_file(path: &Path) -> Result<Document> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    parse_bytes(&bytes, &path.display().to_string())
}

/// Parses and validates the bytes of an export or backup file. `source` names
/// the file in messages.
pub fn parse_bytes(bytes: &[u8], source: &str) -> Result<Document> {
    let reject = |message: String| {
        Error::Rejected(Rejection {
            source: source.to_string(),
            problems: vec![Problem {
                key: String::new(),
                record: None,
                id: None,
                field: None,
                message,
            }],
        })
    };
    let decompressed;
    let json = if bytes.starts_with(&ZSTD_MAGIC) {
        decompressed = zstd::decode_all(bytes).map_err(|e| {
            reject(format!(
                "is not a readable compressed backup ({e}); the file is damaged or cut short"
            ))
        })?;
        &decompressed[..]
    } else {
        bytes
    };
    let top: Value = serde_json::from_slice(json).map_err(|e| {
        let hint = if e.is_eof() {
            " (the file ends too early: it was cut short)"
        } else {
            ""
        };
        reject(format!("is not valid JSON: {e}{hint}"))
    })?;
    let Value::Object(top) = top else {
        return Err(reject(format!(
            "must be a JSON object with the sonic_* keys, found {}",
            kind_of_value(&top)
        )));
    };
    let mut parser = Parser {
        problems: Vec::new(),
        doc: Document::default(),
    };
    parser.parse(top);
    if parser.problems.is_empty() {
        Ok(parser.doc)
    } else {
        Err(Error::Rejected(Rejection {
            source: source.to_string(),
            problems: parser.problems,
        }))
    }
}

struct Parser {
    problems: Vec<Problem>,
    doc: Document,
}

impl Parser {
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

    fn parse(&mut self, mut top: Map<String, Value>) {
        let meta = top.remove("_meta").and_then(|m| self.parse_meta(m));
        for key in top.keys() {
            if SectionKey::from_key(key).is_none() {
                self.doc.warnings.push(format!("unknown key {key:?} ignored"));
            }
        }
        let mut numbers: BTreeMap<Table, Vec<(u64, usize)>> = BTreeMap::new();
        for key in SectionKey::ALL {
            let value = match top.remove(key.as_str()) {
                None | Some(Value::Null) if key.kind() != SectionKind::Rate => {
                    self.doc
                        .warnings
                        .push(format!("{key} is missing from the file: it will be empty"));
                    continue;
                }
                None => continue,
                Some(v) => v,
            };
            self.parse_section(key, value, &mut numbers);
        }
        self.check_counters(&numbers);
        if let Some(meta) = &meta {
            self.check_hashes(meta);
        }
        self.doc.meta = meta;
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
                Ok(meta) => Some(meta),
                Err(e) => {
                    let field = e.path().to_string();
                    self.problem("_meta", None, None, Some(field), e.inner().to_string());
                    None
                }
            },
        }
    }

    fn parse_section(&mut self, key: SectionKey, value: Value, numbers: &mut BTreeMap<Table, Vec<(u64, usize)>>) {
        let kind = key.kind();
        // localStorage kept every value as a string of JSON.
        let value = match value {
            Value::String(s) if matches!(kind, SectionKind::Collection(_) | SectionKind::Object(_)) => {
                match serde_json::from_str::<Value>(&s) {
                    Ok(v) => v,
                    Err(e) => {
                        self.section_problem(key, format!("is a string that does not hold valid JSON ({e})"));
                        return;
                    }
                }
            }
            v => v,
        };
        match kind {
            SectionKind::Collection(table) => {
                let Value::Array(records) = value else {
                    self.section_problem(
                        key,
                        format!("must be a list (JSON array), found {}", kind_of_value(&value)),
                    );
                    return;
                };
                self.parse_records(key, None, table, records, numbers);
            }
            SectionKind::Object(parts) => {
                let Value::Object(mut members) = value else {
                    self.section_problem(key, format!("must be an object, found {}", kind_of_value(&value)));
                    return;
                };
                for (name, table) in parts {
                    match members.remove(*name) {
                        None | Some(Value::Null) => {}
                        Some(Value::Array(records)) => self.parse_records(key, Some(name), *table, records, numbers),
                        Some(other) => self.problem(
                            key.as_str(),
                            None,
                            None,
                            Some((*name).to_string()),
                            format!("must be a list (JSON array), found {}", kind_of_value(&other)),
                        ),
                    }
                }
                if !members.is_empty() {
                    self.doc.values.insert(key, Value::Object(members).to_string());
                }
            }
            SectionKind::Counter => match parse_counter(&value) {
                Ok(n) => {
                    self.doc.values.insert(key, n.to_string());
                }
                Err(message) => self.section_problem(key, message),
            },
            SectionKind::Rate => {
                if value.is_null() {
                    return;
                }
                match Rate::from_json(&value) {
                    Ok(rate) => {
                        self.doc.values.insert(key, Value::String(rate.to_string()).to_string());
                    }
                    Err(message) => self.section_problem(key, format!("(an exchange rate) {message}")),
                }
            }
        }
    }

    fn parse_records(
        &mut self,
        key: SectionKey,
        list: Option<&str>,
        table: Table,
        records: Vec<Value>,
        numbers: &mut BTreeMap<Table, Vec<(u64, usize)>>,
    ) {
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(records.len());
        let mut out = Vec::with_capacity(records.len());
        for (index, record) in records.into_iter().enumerate() {
            let position = match list {
                Some(name) => format!("{name}[{index}]"),
                None => index.to_string(),
            };
            let raw_id = record
                .get("id")
                .filter(|v| v.is_string() || v.is_number())
                .map(Value::to_string);
            match table.validate(&record) {
                Err(p) => {
                    let field = (!p.field.is_empty()).then_some(p.field);
                    self.problem(key.as_str(), Some(position), raw_id, field, p.problem);
                }
                Ok(valid) => {
                    let id = valid.id.map(|id| id.key());
                    if let Some(id) = &id {
                        if let Some(first) = seen.insert(id.clone(), index) {
                            self.problem(
                                key.as_str(),
                                Some(position.clone()),
                                raw_id.clone(),
                                Some("id".into()),
                                format!("is a duplicate: record {first} has the same id"),
                            );
                        }
                    }
                    if let Some(n) = valid.number {
                        numbers.entry(table).or_default().push((n, index));
                    }
                    out.push(StoredRecord {
                        id,
                        body: record.to_string(),
                    });
                }
            }
        }
        self.doc.tables.insert(table, out);
    }

    /// Numbers issued from a counter are unique and never above it; a missing
    /// counter (old files) is set to the highest number in use.
    fn check_counters(&mut self, numbers: &BTreeMap<Table, Vec<(u64, usize)>>) {
        let pairs = [
            (
                Table::Invoices,
                SectionKey::Invoices,
                SectionKey::InvoiceCounter,
                "invoice",
            ),
            (Table::Returns, SectionKey::Returns, SectionKey::ReturnCounter, "return"),
            (Table::Stores, SectionKey::Stores, SectionKey::StoreCounter, "store"),
        ];
        for (table, key, counter, what) in pairs {
            let Some(list) = numbers.get(&table) else { continue };
            let mut seen = HashMap::with_capacity(list.len());
            for (n, index) in list {
                if let Some(first) = seen.insert(*n, *index) {
                    self.problem(
                        key.as_str(),
                        Some(index.to_string()),
                        None,
                        Some("number".into()),
                        format!("{what} number {n} is used twice (record {first} has it too)"),
                    );
                }
            }
            let max = list.iter().map(|(n, _)| *n).max().unwrap_or(0);
            match self.doc.values.get(&counter).map(|v| v.parse::<u64>()) {
                Some(Ok(c)) if c < max => self.section_problem(
                    counter,
                    format!("is {c} but {what} number {max} exists: the next {what} would reuse a number"),
                ),
                Some(_) => {}
                None => {
                    self.doc
                        .warnings
                        .push(format!("{counter} is missing: set to {max}, the highest {what} number"));
                    self.doc.values.insert(counter, max.to_string());
                }
            }
        }
    }

    fn check_hashes(&mut self, meta: &Meta) {
        if !self.problems.is_empty() {
            return;
        }
        let digests = match self.doc.digests() {
            Ok(d) => d,
            Err(e) => {
                self.problem("", None, None, None, e.to_string());
                return;
            }
        };
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
    }
}

fn parse_counter(value: &Value) -> Result<u64, String> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.ok_or_else(|| format!("(a counter) must be a whole number of 0 or more, found {value}"))
}
