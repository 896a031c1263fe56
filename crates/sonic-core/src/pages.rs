//! Content-addressed pages: how a backup is cut for the backup server.
//!
//! Each record list of a section (a collection's records; the `items`,
//! `customers` and `transactions` of `sonic_shop_data`; the `users` of
//! `sonic_security_state`) is cut, in the till's stored order (`seq`), into
//! pages of [`PAGE_RECORDS`] records: page 0 holds records 0‥255, page 1
//! holds 256‥511, and so on. Appending a record changes only the last page of
//! its list (or starts a new one), so a backup after one sale uploads one or
//! two new pages per changed section, not the shop. Editing a record changes
//! the one page that holds it; deleting one shifts the pages after it (rare in
//! a POS: its lists are append-mostly).
//!
//! **Why 256:** a page of invoices is then roughly 50–150 KB of JSON: small
//! enough that resending a changed page is cheap, large enough that a
//! five-year shop (~250k invoices) is about a thousand rows, not a million.
//!
//! A page's JSON is the canonical JSON of its records (compact, object keys
//! sorted: exactly what the till stores), joined as an array. Its hash is
//! SHA-256 over `sonic-page-v1\n{section}\n{list}\n` followed by that JSON, so
//! the same records in another list are another page. Counters, rates and
//! the members of object sections that are not record lists are small: they
//! travel inline in the [`Manifest`].
//!
//! The pages are cut in two places that must agree byte for byte: from a
//! staged [`Document`] ([`for_each_page`]), and while a backup file is
//! written ([`crate::snapshot::PageIndex`], hashes only). `sonic-backup`
//! stores them on the server; this module only says what they are.

use crate::error::{Error, Result};
use crate::sections::{SectionKey, SectionKind, Table};
use crate::snapshot::{Document, Meta};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Records per page.
pub const PAGE_RECORDS: usize = 256;

/// The manifest format this build writes.
pub const MANIFEST_VERSION: u32 = 1;

/// One page: up to [`PAGE_RECORDS`] records of one list of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub hash: String,
    pub section: SectionKey,
    /// The list inside an object section (`items`); empty for a collection.
    pub list: &'static str,
    pub records: usize,
    /// Canonical JSON array of the records.
    pub json: String,
}

/// Section → its hash, record count, pages and inline value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub version: u32,
    pub page_records: usize,
    pub sections: BTreeMap<String, SectionEntry>,
}

/// One section in a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionEntry {
    /// The section's SHA-256, as in the export's `_meta`.
    pub sha256: String,
    pub records: u64,
    /// Page hashes of a collection, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<String>,
    /// Page hashes of each record list of an object section, in order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lists: BTreeMap<String, Vec<String>>,
    /// A counter's or rate's value, or an object section's other members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl Manifest {
    /// Every page hash, in section order (a hash may repeat).
    pub fn page_hashes(&self) -> impl Iterator<Item = &String> {
        self.sections
            .values()
            .flat_map(|s| s.pages.iter().chain(s.lists.values().flatten()))
    }

    /// The page hashes of one section.
    pub fn section_pages(&self, key: SectionKey) -> usize {
        self.sections
            .get(key.as_str())
            .map_or(0, |s| s.pages.len() + s.lists.values().map(Vec::len).sum::<usize>())
    }
}

/// A backup cut into pages.
#[derive(Debug, Clone)]
pub struct Paged {
    pub manifest: Manifest,
    pub pages: Vec<Page>,
}

/// Cuts a validated backup document into pages, holding them all (for
/// tests and measurements; a push uses [`for_each_page`]).
pub fn page_document(doc: &Document, meta: &Meta) -> Result<Paged> {
    let mut pages = Vec::new();
    let manifest = for_each_page(doc, meta, |page| {
        pages.push(page);
        Ok::<(), Error>(())
    })?;
    Ok(Paged { manifest, pages })
}

/// Cuts a validated backup document into pages, handing each to `f` in
/// manifest order as soon as it is cut (one page in memory at a time), and
/// returns the manifest. `meta` is the document's `_meta` (its section
/// hashes go into the manifest).
pub fn for_each_page<E: From<Error>>(
    doc: &Document,
    meta: &Meta,
    mut f: impl FnMut(Page) -> std::result::Result<(), E>,
) -> std::result::Result<Manifest, E> {
    let mut sections = BTreeMap::new();
    for key in SectionKey::ALL {
        let digest = meta
            .sections
            .get(key.as_str())
            .ok_or_else(|| Error::Invalid(format!("the backup's _meta has no hash for {key}")))?;
        let value = match doc.value(key)? {
            Some(json) => Some(parse_value(key, &json)?),
            None => None,
        };
        let mut entry = SectionEntry {
            sha256: digest.sha256.clone(),
            records: digest.records,
            pages: Vec::new(),
            lists: BTreeMap::new(),
            value,
        };
        match key.kind() {
            SectionKind::Collection(table) => {
                entry.pages = cut(key, "", doc, table, &mut f)?;
            }
            SectionKind::Object(parts) => {
                for (name, table) in parts {
                    let hashes = cut(key, name, doc, *table, &mut f)?;
                    entry.lists.insert((*name).to_string(), hashes);
                }
            }
            SectionKind::Counter | SectionKind::Rate => {}
        }
        sections.insert(key.as_str().to_string(), entry);
    }
    Ok(Manifest {
        version: MANIFEST_VERSION,
        page_records: PAGE_RECORDS,
        sections,
    })
}

fn parse_value(key: SectionKey, json: &str) -> Result<Value> {
    serde_json::from_str(json).map_err(|e| Error::Invalid(format!("the value of {key} is not JSON: {e}")))
}

fn cut<E: From<Error>>(
    key: SectionKey,
    list: &'static str,
    doc: &Document,
    table: Table,
    f: &mut impl FnMut(Page) -> std::result::Result<(), E>,
) -> std::result::Result<Vec<String>, E> {
    let mut hashes = Vec::new();
    let mut page = PageWriter::default();
    // `for_each_record` speaks this crate's error; keep the caller's to return it.
    let mut failed = None;
    let walked = doc.for_each_record(table, |_, body| {
        page.push(body);
        if page.records == PAGE_RECORDS {
            let done = page.finish(key, list);
            hashes.push(done.hash.clone());
            if let Err(e) = f(done) {
                failed = Some(e);
                return Err(Error::Invalid("stopped cutting pages".into()));
            }
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e);
    }
    walked?;
    if page.records > 0 {
        let done = page.finish(key, list);
        hashes.push(done.hash.clone());
        f(done)?;
    }
    Ok(hashes)
}

/// The page being filled: up to [`PAGE_RECORDS`] records as a JSON array.
#[derive(Default)]
struct PageWriter {
    json: String,
    records: usize,
}

impl PageWriter {
    fn push(&mut self, body: &str) {
        self.json.push(if self.records == 0 { '[' } else { ',' });
        self.json.push_str(body);
        self.records += 1;
    }

    /// Closes the page and returns it.
    fn finish(&mut self, key: SectionKey, list: &'static str) -> Page {
        let mut json = std::mem::take(&mut self.json);
        json.push(']');
        Page {
            hash: page_hash(key.as_str(), list, &json),
            section: key,
            list,
            records: std::mem::take(&mut self.records),
            json,
        }
    }
}

/// The hash of a page's canonical JSON in its place.
pub fn page_hash(section: &str, list: &str, json: &str) -> String {
    let mut hash = page_hasher(section, list);
    hash.update(json.as_bytes());
    hex::encode(hash.finalize())
}

/// A page hash before its JSON: [`page_hash`] is this, fed the JSON.
fn page_hasher(section: &str, list: &str) -> Sha256 {
    let mut hash = Sha256::new();
    hash.update(format!("sonic-page-v1\n{section}\n{list}\n").as_bytes());
    hash
}

/// The `list` of `section` as the `'static` name [`Page::list`] holds, or
/// `None` when the section has no such list.
pub fn list_name(section: SectionKey, list: &str) -> Option<&'static str> {
    match section.kind() {
        SectionKind::Collection(_) if list.is_empty() => Some(""),
        SectionKind::Object(parts) => parts.iter().map(|(n, _)| *n).find(|n| *n == list),
        _ => None,
    }
}

/// Where one page's records are in an export stream (not compressed): from
/// the first byte of its first record to the last byte of its last one.
/// Between records the writer puts `,\n`; take the newlines out and put the
/// result between `[` and `]`, and it is the page's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSpan {
    pub hash: String,
    pub section: String,
    /// Empty for a collection.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub list: String,
    pub start: u64,
    pub len: u64,
    pub records: usize,
}

impl PageSpan {
    /// The bytes of the page's JSON (what the server stores).
    pub fn json_len(&self) -> u64 {
        // `[` and `]`, less the newline before every record but the first.
        self.len + 2 - (self.records.saturating_sub(1)) as u64
    }
}

/// Cuts pages while an export is written, keeping only hashes and where
/// each page lies in the stream (one page's hash state in memory, never
/// its records). Fed by the writer, list by list and section by section in
/// file order; gives the same manifest [`for_each_page`] cuts from the
/// written file once it is read back. Made [`PageCutter::handing_pages`],
/// it also keeps the open page's JSON (one page, never more) and hands
/// each page to a sink as soon as it is closed: how a backup fills its
/// page store.
#[derive(Default)]
pub(crate) struct PageCutter<'a> {
    sections: BTreeMap<String, SectionEntry>,
    spans: Vec<PageSpan>,
    /// The section being written: its pages or lists so far, and its value.
    entry: Option<SectionEntry>,
    list: Option<OpenList>,
    sink: Option<PageSink<'a>>,
}

/// Where a [`PageCutter`] hands its closed pages.
type PageSink<'a> = Box<dyn FnMut(Page) -> Result<()> + 'a>;

struct OpenList {
    section: SectionKey,
    name: &'static str,
    hashes: Vec<String>,
    page: Option<OpenPage>,
}

struct OpenPage {
    hash: Sha256,
    start: u64,
    end: u64,
    records: usize,
    /// The page's JSON so far, when the cutter hands pages on.
    json: Option<String>,
}

impl<'a> PageCutter<'a> {
    /// A cutter that hands every page, JSON and all, to `sink` once it is
    /// closed (in file order; a page that repeats is handed each time).
    pub(crate) fn handing_pages(sink: impl FnMut(Page) -> Result<()> + 'a) -> Self {
        PageCutter {
            sink: Some(Box::new(sink)),
            ..PageCutter::default()
        }
    }

    /// A section starts; `value` is what the store holds for it (a counter,
    /// a rate, an object's other members; `None` for a collection).
    pub(crate) fn section_start(&mut self, key: SectionKey, value: Option<&str>) -> Result<()> {
        // As the import stages the value the writer writes (`None` for an
        // object without other members, a rate not set, `0` for a counter
        // not set), so the manifest is the one cut from the file.
        let value = match key.kind() {
            SectionKind::Collection(_) => None,
            SectionKind::Object(_) => match value.map(|v| parse_value(key, v)).transpose()? {
                Some(Value::Object(map)) if map.is_empty() => None,
                other => other,
            },
            SectionKind::Counter => Some(parse_value(key, value.unwrap_or("0"))?),
            SectionKind::Rate => match value.map(|v| parse_value(key, v)).transpose()? {
                Some(Value::Null) => None,
                other => other,
            },
        };
        self.entry = Some(SectionEntry {
            sha256: String::new(),
            records: 0,
            pages: Vec::new(),
            lists: BTreeMap::new(),
            value,
        });
        Ok(())
    }

    pub(crate) fn list_start(&mut self, section: SectionKey, name: &'static str) {
        self.list = Some(OpenList {
            section,
            name,
            hashes: Vec::new(),
            page: None,
        });
    }

    /// The open list's first pages, taken from the last backup (its
    /// reading starts after them).
    pub(crate) fn list_prefix(&mut self, hashes: Vec<String>) {
        if let Some(list) = self.list.as_mut() {
            list.hashes = hashes;
        }
    }

    /// A list of the open section taken whole from the last backup.
    pub(crate) fn list_reused(&mut self, name: &str, hashes: Vec<String>) {
        if let Some(entry) = self.entry.as_mut() {
            entry.lists.insert(name.to_string(), hashes);
        }
    }

    /// A record of the open list, whose body starts at byte `at` of the stream.
    pub(crate) fn record(&mut self, body: &str, at: u64) -> Result<()> {
        let keep_json = self.sink.is_some();
        let Some(list) = self.list.as_mut() else { return Ok(()) };
        let page = list.page.get_or_insert_with(|| {
            let mut hash = page_hasher(list.section.as_str(), list.name);
            hash.update(b"[");
            OpenPage {
                hash,
                start: at,
                end: at,
                records: 0,
                json: keep_json.then(|| String::from("[")),
            }
        });
        if page.records > 0 {
            page.hash.update(b",");
            if let Some(json) = page.json.as_mut() {
                json.push(',');
            }
        }
        page.hash.update(body.as_bytes());
        if let Some(json) = page.json.as_mut() {
            json.push_str(body);
        }
        page.end = at + body.len() as u64;
        page.records += 1;
        if page.records == PAGE_RECORDS {
            self.close_page()?;
        }
        Ok(())
    }

    fn close_page(&mut self) -> Result<()> {
        let Some(list) = self.list.as_mut() else { return Ok(()) };
        let Some(mut page) = list.page.take() else {
            return Ok(());
        };
        page.hash.update(b"]");
        let hash = hex::encode(page.hash.finalize());
        list.hashes.push(hash.clone());
        self.spans.push(PageSpan {
            hash: hash.clone(),
            section: list.section.as_str().to_string(),
            list: list.name.to_string(),
            start: page.start,
            len: page.end - page.start,
            records: page.records,
        });
        if let (Some(sink), Some(mut json)) = (self.sink.as_mut(), page.json) {
            json.push(']');
            sink(Page {
                hash,
                section: list.section,
                list: list.name,
                records: page.records,
                json,
            })?;
        }
        Ok(())
    }

    pub(crate) fn list_end(&mut self) -> Result<()> {
        self.close_page()?;
        let (Some(list), Some(entry)) = (self.list.take(), self.entry.as_mut()) else {
            return Ok(());
        };
        if list.name.is_empty() {
            entry.pages = list.hashes;
        } else {
            entry.lists.insert(list.name.to_string(), list.hashes);
        }
        Ok(())
    }

    /// The section is written: its hash and record count.
    pub(crate) fn section_end(&mut self, key: SectionKey, sha256: &str, records: u64) {
        if let Some(mut entry) = self.entry.take() {
            entry.sha256 = sha256.to_string();
            entry.records = records;
            self.sections.insert(key.as_str().to_string(), entry);
        }
    }

    /// The manifest and where each page is, in file order.
    pub(crate) fn finish(self) -> (Manifest, Vec<PageSpan>) {
        let manifest = Manifest {
            version: MANIFEST_VERSION,
            page_records: PAGE_RECORDS,
            sections: self.sections,
        };
        (manifest, self.spans)
    }
}

/// The JSON of a file written as `<magic> <SHA-256 of the JSON, hex>\n<JSON>`
/// (a backup manifest, a page index), checked against its checksum. `Err`
/// says why not, to follow "the <file> …" in a message.
pub(crate) fn checksummed_json<'a>(bytes: &'a [u8], magic: &str, what: &str) -> std::result::Result<&'a [u8], String> {
    let newline = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| "has no header line".to_string())?;
    let (head, json) = (&bytes[..newline], &bytes[newline + 1..]);
    let sum = head
        .strip_prefix(magic.as_bytes())
        .and_then(|rest| rest.strip_prefix(b" "))
        .ok_or_else(|| format!("is not a {what} this Sonic POS reads"))?;
    if sum != hex::encode(Sha256::digest(json)).as_bytes() {
        return Err("is damaged (its checksum does not match)".into());
    }
    Ok(json)
}
