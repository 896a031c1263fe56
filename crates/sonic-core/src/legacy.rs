//! Whole-section reads and writes, for the old HTML POS running inside
//! Sonic POS (legacy mode): the old page keeps each of the 16 sections as one
//! JSON string in `localStorage` and rewrites a whole section at a time.
//!
//! [`read_section`] gives a section's value as the old page kept it (the
//! section's canonical JSON, a rate as a bare number) and what the page
//! [`Seen`] of it. [`write_section`] validates a new value exactly like an
//! import of that one section (an old POS file holding only that key: the
//! same parser, record checks, duplicate ids and numbers), then merges it
//! into the store in one immediate transaction.
//!
//! ## The merge rule
//!
//! The page rewrites a section from its own copy, which may be stale: a
//! native sale, a restore or another window may have written the section
//! since the page read it. So a write is a three-way merge between what
//! the page had seen (the *base*), what it writes now, and what is stored:
//!
//! - a record the page writes that it had **not** seen is **added**;
//! - a record the page **changed** (its body differs from the one it had
//!   seen) is **updated** to the page's body;
//! - a record the page writes **unchanged** keeps the stored body (a newer
//!   one written meanwhile wins), and is not brought back if it was removed
//!   meanwhile;
//! - a record the page **left out** is removed only if the page **had seen
//!   it**; records stored by another path since then are kept.
//!
//! Records are matched by id; records without one (log entries the old
//! POS wrote without an id) by their body, counted (the page adding one
//! entry adds one, removing one it had seen removes one). The members of an
//! object section that are not record lists (`settings`) follow the same
//! rule by name. A counter never goes down (the larger of the stored and
//! the written value: a number once issued is never issued again) and is
//! raised to the highest number in use; a rate is the page's.
//!
//! After the merge, invoice, return and store numbers must still be
//! unique; a write that would issue a number twice (a stale page selling
//! number 7 after the Sale screen did) is refused and nothing is stored.
//!
//! The caller keeps the [`Seen`] of each section per page: the one
//! [`read_section`] returns when the page loads, then the one each accepted
//! [`write_section`] returns (the page's own copy is then what it wrote).

use crate::error::{Error, Problem, Rejection, Result};
use crate::sections::{SectionKey, SectionKind, Table};
use crate::snapshot::staging::body_hash;
use crate::store::{self, Readable, Store};
use rusqlite::{params, Connection};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// What a page had seen of one section: per record list, the hash of each
/// record's body by id, and how many times each id-less body occurred; and
/// the hash of each kept member of an object section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    tables: BTreeMap<Table, TableSeen>,
    members: HashMap<String, i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TableSeen {
    ids: HashMap<String, i64>,
    anonymous: HashMap<i64, u64>,
}

impl TableSeen {
    fn add(&mut self, id: Option<&str>, body: &str) {
        let hash = body_hash(body);
        match id {
            Some(id) => {
                self.ids.insert(id.to_string(), hash);
            }
            None => *self.anonymous.entry(hash).or_default() += 1,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    /// What the page has seen now: pass it to the next write of the section.
    pub seen: Seen,
}

/// A section's value as the old POS kept it in `localStorage` (`None` for a
/// rate not set yet), and what a page that reads it has seen.
pub fn read_section(src: &impl Readable, key: SectionKey) -> Result<(Option<String>, Seen)> {
    let conn = src.read_conn();
    let tx = conn.unchecked_transaction()?;
    let text = crate::snapshot::section_text(&tx, key)?;
    let seen = seen_in(&tx, key)?;
    tx.commit()?;
    let text = match key.kind() {
        // Stored as a JSON string ("1310"); the old page kept a number.
        SectionKind::Rate => match serde_json::from_str::<Value>(&text) {
            Ok(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => Some(text),
    };
    Ok((text, seen))
}

/// Validates `value` (the section's new `localStorage` string; `None` when
/// the page removed the key: the section's empty value) as an import of the
/// one section `key`, then merges it into the store by the rule of this
/// module's documentation, in one transaction. `seen` is what the page had
/// seen of the section. A refused value ([`Error::Rejected`]) stores nothing.
pub fn write_section(store: &mut Store, key: SectionKey, value: Option<&str>, seen: &Seen) -> Result<Written> {
    let source = format!("the old POS's {key}");
    let parsed = match value {
        None => key.empty_value(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(v) => v,
            Err(e) => return Err(rejected(&source, key, format!("is not valid JSON: {e}"))),
        },
    };
    // Lists and objects as localStorage kept them (a string of JSON), so an
    // error inside is the section's; counters and rates as values.
    let member = match key.kind() {
        SectionKind::Collection(_) | SectionKind::Object(_) => Value::String(parsed.to_string()),
        SectionKind::Counter | SectionKind::Rate => parsed.clone(),
    };
    if matches!(key.kind(), SectionKind::Counter) && parsed.is_null() {
        return Err(rejected(
            &source,
            key,
            "(a counter) must be a whole number, found null".into(),
        ));
    }
    let mut file = Map::new();
    file.insert(key.as_str().to_string(), member);
    let bytes = Value::Object(file).to_string();
    let doc = crate::snapshot::read(bytes.as_bytes(), &source, store.data_dir().root())?;

    // The page's records, as validated and canonicalised by the import.
    let mut page: BTreeMap<Table, Vec<(Option<String>, String)>> = BTreeMap::new();
    for table in tables_of(key) {
        let mut records = Vec::new();
        doc.for_each_record(table, |id, body| {
            records.push((id.map(str::to_string), body.to_string()));
            Ok(())
        })?;
        page.insert(table, records);
    }
    let page_value = doc.value(key)?;
    drop(doc);

    let mut written = Written::default();
    store.write(|tx| {
        for (table, records) in &page {
            let empty = TableSeen::default();
            let base = seen.tables.get(table).unwrap_or(&empty);
            merge_table(tx, *table, records, base, &mut written)?;
            let mut now = TableSeen::default();
            for (id, body) in records {
                now.add(id.as_deref(), body);
            }
            written.seen.tables.insert(*table, now);
        }
        match key.kind() {
            SectionKind::Object(_) => {
                let page_members = object_members(page_value.as_deref())?;
                let stored = object_members(store::section_value(tx, key)?.as_deref())?;
                let merged = merge_members(stored, &page_members, &seen.members);
                if merged.is_empty() {
                    tx.execute("DELETE FROM section_values WHERE key = ?1", [key.as_str()])?;
                } else {
                    store::set_section_value(tx, key, &Value::Object(merged).to_string())?;
                }
                written.seen.members = page_members
                    .iter()
                    .map(|(name, v)| (name.clone(), body_hash(&v.to_string())))
                    .collect();
            }
            SectionKind::Counter => {
                let page_n: u64 = page_value.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
                let stored: u64 = store::section_value(tx, key)?.and_then(|v| v.parse().ok()).unwrap_or(0);
                store::set_section_value(tx, key, &page_n.max(stored).to_string())?;
            }
            SectionKind::Rate => match &page_value {
                Some(v) => store::set_section_value(tx, key, v)?,
                None => {
                    tx.execute("DELETE FROM section_values WHERE key = ?1", [key.as_str()])?;
                }
            },
            SectionKind::Collection(_) => {}
        }
        check_numbers(tx, &source)?;
        Ok(())
    })?;
    Ok(written)
}

/// The record tables of a section.
fn tables_of(key: SectionKey) -> Vec<Table> {
    match key.kind() {
        SectionKind::Collection(table) => vec![table],
        SectionKind::Object(parts) => parts.iter().map(|(_, t)| *t).collect(),
        SectionKind::Counter | SectionKind::Rate => Vec::new(),
    }
}

fn seen_in(conn: &Connection, key: SectionKey) -> Result<Seen> {
    let mut seen = Seen::default();
    for table in tables_of(key) {
        let mut t = TableSeen::default();
        store::for_each_record(conn, table, |id, body| {
            t.add(id, body);
            Ok(())
        })?;
        seen.tables.insert(table, t);
    }
    if matches!(key.kind(), SectionKind::Object(_)) {
        seen.members = object_members(store::section_value(conn, key)?.as_deref())?
            .iter()
            .map(|(name, v)| (name.clone(), body_hash(&v.to_string())))
            .collect();
    }
    Ok(seen)
}

fn object_members(json: Option<&str>) -> Result<Map<String, Value>> {
    match json {
        None => Ok(Map::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Error::Invalid(format!("a stored section value is not a JSON object ({e})"))),
    }
}

/// The three-way merge of an object section's kept members, by name.
fn merge_members(
    mut stored: Map<String, Value>,
    page: &Map<String, Value>,
    base: &HashMap<String, i64>,
) -> Map<String, Value> {
    for (name, value) in page {
        let unchanged = base.get(name) == Some(&body_hash(&value.to_string()));
        if !unchanged {
            stored.insert(name.clone(), value.clone());
        }
    }
    stored.retain(|name, _| page.contains_key(name) || !base.contains_key(name));
    stored
}

/// The three-way merge of one record table (see the module documentation).
fn merge_table(
    tx: &Connection,
    table: Table,
    page: &[(Option<String>, String)],
    base: &TableSeen,
    written: &mut Written,
) -> Result<()> {
    let t = table.sql_name();
    // The stored records: by id, and the id-less ones by body hash (their seqs).
    let mut stored_ids: HashMap<String, String> = HashMap::new();
    let mut stored_anonymous: HashMap<i64, Vec<i64>> = HashMap::new();
    {
        let mut stmt = tx.prepare(&format!("SELECT seq, id, body FROM {t} ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let id: Option<String> = row.get(1)?;
            let body: String = row.get(2)?;
            match id {
                Some(id) => {
                    stored_ids.insert(id, body);
                }
                None => stored_anonymous.entry(body_hash(&body)).or_default().push(seq),
            }
        }
    }
    let mut page_ids = std::collections::HashSet::new();
    let mut page_anonymous: HashMap<i64, (u64, &str)> = HashMap::new();
    for (id, body) in page {
        let hash = body_hash(body);
        match id {
            Some(id) => {
                page_ids.insert(id.as_str());
                let unchanged = base.ids.get(id) == Some(&hash);
                match stored_ids.get(id) {
                    Some(_) if unchanged => {}
                    Some(current) => {
                        if current != body {
                            tx.execute(&format!("UPDATE {t} SET body = ?2 WHERE id = ?1"), params![id, body])?;
                            written.updated += 1;
                        }
                    }
                    // Removed meanwhile and not changed by the page: stays removed.
                    None if unchanged => {}
                    None => {
                        store::records_insert(tx, table, Some(id), body)?;
                        written.added += 1;
                    }
                }
            }
            None => {
                let entry = page_anonymous.entry(hash).or_insert((0, body));
                entry.0 += 1;
            }
        }
    }
    for id in stored_ids.keys() {
        if !page_ids.contains(id.as_str()) && base.ids.contains_key(id) {
            tx.execute(&format!("DELETE FROM {t} WHERE id = ?1"), [id])?;
            written.removed += 1;
        }
    }
    // Id-less records: apply the page's change in count to what is stored.
    let mut hashes: Vec<i64> = page_anonymous.keys().chain(base.anonymous.keys()).copied().collect();
    hashes.sort_unstable();
    hashes.dedup();
    for hash in hashes {
        let in_page = page_anonymous.get(&hash).map_or(0, |(n, _)| *n);
        let had = base.anonymous.get(&hash).copied().unwrap_or(0);
        let seqs = stored_anonymous.get(&hash).map(Vec::as_slice).unwrap_or(&[]);
        let now = seqs.len() as u64;
        let target = (now + in_page).saturating_sub(had);
        if target > now {
            if let Some((_, body)) = page_anonymous.get(&hash) {
                for _ in now..target {
                    store::records_insert(tx, table, None, body)?;
                    written.added += 1;
                }
            }
        } else {
            // The newest copies go first.
            for seq in seqs
                .iter()
                .rev()
                .take(usize::try_from(now - target).unwrap_or(usize::MAX))
            {
                tx.execute(&format!("DELETE FROM {t} WHERE seq = ?1"), [seq])?;
                written.removed += 1;
            }
        }
    }
    Ok(())
}

/// Numbers issued from a counter are unique after the merge, and the
/// counter is at least the highest one in use.
fn check_numbers(tx: &Connection, source: &str) -> Result<()> {
    for (table, key, counter, what) in crate::sections::NUMBERED_BY_COUNTERS {
        let t = table.sql_name();
        let twice: Option<i64> = tx
            .query_row(
                &format!(
                    "SELECT n FROM (SELECT json_extract(body, '$.number') AS n FROM {t}) \
                     WHERE n IS NOT NULL GROUP BY n HAVING count(*) > 1 LIMIT 1"
                ),
                [],
                |r| r.get(0),
            )
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if let Some(n) = twice {
            return Err(rejected(
                source,
                key,
                format!(
                    "would hold {what} number {n} twice: it was issued meanwhile by another till screen \
                     (reload the old POS page to see it); nothing was stored"
                ),
            ));
        }
        let max: Option<i64> = tx.query_row(
            &format!("SELECT max(json_extract(body, '$.number')) FROM {t}"),
            [],
            |r| r.get(0),
        )?;
        if let Some(max) = max {
            let current: i64 = store::section_value(tx, counter)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if current < max {
                store::set_section_value(tx, counter, &max.to_string())?;
            }
        }
    }
    Ok(())
}

fn rejected(source: &str, key: SectionKey, message: String) -> Error {
    Error::Rejected(Rejection {
        source: source.to_string(),
        problems: vec![Problem {
            key: key.as_str().to_string(),
            record: None,
            id: None,
            field: None,
            message,
        }],
    })
}
