//! Putting a backup back together from its content-addressed pages.
//!
//! What a page is, how a backup is cut into pages and what the manifest
//! holds are `sonic-core`'s ([`sonic_core::pages`], re-exported here): the
//! backup writer cuts the page hashes as it writes, and this crate cuts
//! them again from a staged file when a backup has no page index. The server
//! keeps each page's exact text (and checks its hash itself, see
//! [`crate::schema`]); on pull the text is hashed again, so any change to a
//! page on the server is caught. Pages stored under schema 1 are JSONB:
//! those are put back into canonical form first.

use crate::error::{Error, ListName, Result};
use serde_json::Value;
use sonic_core::sections::SectionKind;
use sonic_core::SectionKey;
use std::collections::HashMap;
use uuid::Uuid;

pub use sonic_core::pages::{
    for_each_page, page_document, page_hash, Manifest, Page, Paged, SectionEntry, MANIFEST_VERSION, PAGE_RECORDS,
};

/// Writes `value` as canonical JSON ([`sonic_core::canonical`]): the form
/// the till stores records in and the pages are hashed over.
pub fn write_canonical(value: &Value, out: &mut String) {
    sonic_core::canonical::write(value, out);
}

/// A page as the server returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredPage {
    /// Its canonical JSON text (schema 2): verified byte for byte.
    Body(String),
    /// Its records as JSONB text (a page stored under schema 1): put back
    /// into canonical form, then verified.
    Legacy(String),
}

/// One page of a backup, where it goes in the export file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRef {
    pub section: SectionKey,
    pub list: String,
    /// Its place in its list (0 is the first page).
    pub index: usize,
    pub hash: String,
}

/// A piece of a rebuilt export file, in file order: literal JSON, or the
/// records of one page (preceded by a comma unless it is its list's first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Page(PageRef),
}

/// The export file a backup's manifest describes, as literal text and the
/// pages to fetch, in file order. `meta_json` is the backup's `_meta`. The
/// text parts are small (keys, counters, rates, settings); the records are
/// all in the pages, which the caller fetches in batches.
pub fn export_layout(backup_id: Uuid, manifest: &Manifest, meta_json: &str) -> Result<Vec<Part>> {
    let corrupt = |detail: String| Error::CorruptBackup { backup_id, detail };
    if manifest.version > MANIFEST_VERSION {
        return Err(corrupt(format!(
            "its manifest is version {}, newer than this Sonic POS reads ({MANIFEST_VERSION}); update Sonic POS",
            manifest.version
        )));
    }
    let mut layout = Layout::default();
    layout.text("{\n");
    for key in SectionKey::ALL {
        let entry = manifest
            .sections
            .get(key.as_str())
            .ok_or_else(|| corrupt(format!("its manifest lacks {key}")))?;
        let mut section = Layout::default();
        match key.kind() {
            SectionKind::Collection(_) => section.list(key, "", &entry.pages),
            SectionKind::Object(parts) => {
                let extra = match &entry.value {
                    Some(Value::Object(map)) => map.clone(),
                    Some(_) => return Err(corrupt(format!("the other members of {key} are not an object"))),
                    None => serde_json::Map::new(),
                };
                let names = sonic_core::snapshot::object_member_names(parts, &extra);
                section.text("{");
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        section.text(",");
                    }
                    section.text(&sonic_core::canonical::to_string(&Value::String((*name).to_string())));
                    section.text(":");
                    if parts.iter().any(|(n, _)| n == name) {
                        let hashes = entry.lists.get(*name).map(Vec::as_slice).unwrap_or(&[]);
                        section.list(key, name, hashes);
                    } else {
                        let mut json = String::new();
                        write_canonical(&extra[*name], &mut json);
                        section.text(&json);
                    }
                }
                section.text("}");
            }
            SectionKind::Counter => match &entry.value {
                Some(v) => {
                    let mut json = String::new();
                    write_canonical(v, &mut json);
                    section.text(&json);
                }
                // Absent in the backup: leave the key out, as it was.
                None => continue,
            },
            SectionKind::Rate => match &entry.value {
                Some(v) => {
                    let mut json = String::new();
                    write_canonical(v, &mut json);
                    section.text(&json);
                }
                None => section.text("null"),
            },
        }
        layout.text(&sonic_core::canonical::to_string(&Value::String(
            key.as_str().to_string(),
        )));
        layout.text(":");
        layout.append(section);
        layout.text(",\n");
    }
    layout.text("\"_meta\":");
    layout.text(meta_json);
    layout.text("\n}\n");
    Ok(layout.finish())
}

#[derive(Default)]
struct Layout {
    parts: Vec<Part>,
    text: String,
}

impl Layout {
    fn text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn list(&mut self, key: SectionKey, list: &str, hashes: &[String]) {
        self.text("[");
        for (index, hash) in hashes.iter().enumerate() {
            self.flush();
            self.parts.push(Part::Page(PageRef {
                section: key,
                list: list.to_string(),
                index,
                hash: hash.clone(),
            }));
        }
        self.text("]");
    }

    fn append(&mut self, other: Layout) {
        for part in other.finish() {
            match part {
                Part::Text(t) => self.text(&t),
                page => {
                    self.flush();
                    self.parts.push(page);
                }
            }
        }
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.parts.push(Part::Text(std::mem::take(&mut self.text)));
        }
    }

    fn finish(mut self) -> Vec<Part> {
        self.flush();
        self.parts
    }
}

/// Checks a page the server returned (`None`: it did not) against its hash
/// and returns its records as they go into the export file: the canonical
/// JSON between the array's brackets.
pub fn verified_records(backup_id: Uuid, page: &PageRef, stored: Option<StoredPage>) -> Result<String> {
    let page_error = |problem: String| Error::CorruptPage {
        backup_id,
        section: page.section.as_str().to_string(),
        list: ListName(page.list.clone()),
        index: page.index,
        hash: page.hash.clone(),
        problem,
    };
    let Some(stored) = stored else {
        return Err(page_error("is missing from the server".into()));
    };
    let json = match stored {
        StoredPage::Body(text) => text,
        StoredPage::Legacy(text) => {
            let value: Value =
                serde_json::from_str(&text).map_err(|e| page_error(format!("is not valid JSON ({e})")))?;
            if !value.is_array() {
                return Err(page_error("is not a JSON array of records".into()));
            }
            let mut json = String::with_capacity(text.len());
            write_canonical(&value, &mut json);
            json
        }
    };
    if page_hash(page.section.as_str(), &page.list, &json) != page.hash {
        return Err(page_error(
            "does not match its hash: it was changed or damaged on the server".into(),
        ));
    }
    match json.strip_prefix('[').and_then(|j| j.strip_suffix(']')) {
        Some(inner) if !inner.is_empty() => Ok(inner.to_string()),
        _ => Err(page_error("is not a JSON array of records".into())),
    }
}

/// Puts a backup back together as an export file in memory (the format
/// `sonic-core` reads), verifying every page on the way. `pages` maps hash
/// → the page as the server returned it; `meta_json` is the backup's
/// `_meta`. A pull does the same a batch of pages at a time.
pub fn rebuild_export(
    backup_id: Uuid,
    manifest: &Manifest,
    meta_json: &str,
    pages: &HashMap<String, StoredPage>,
) -> Result<Vec<u8>> {
    let mut out = String::new();
    for part in export_layout(backup_id, manifest, meta_json)? {
        match part {
            Part::Text(text) => out.push_str(&text),
            Part::Page(page) => {
                let stored = pages.get(&page.hash).cloned();
                if page.index > 0 {
                    out.push(',');
                }
                out.push_str(&verified_records(backup_id, &page, stored)?);
            }
        }
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonic_core::snapshot::{self, ExportInfo};
    use sonic_core::{DataDir, Store};

    fn small_shop() -> (tempfile::TempDir, Vec<u8>) {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 3).unwrap();
        let mut bytes = Vec::new();
        let info = ExportInfo {
            reason: "test".into(),
            backup_id: Some(Uuid::now_v7()),
        };
        snapshot::export(&store, &info, &mut bytes).unwrap();
        (tmp, bytes)
    }

    #[test]
    fn pages_put_back_together_give_the_same_sections_and_hashes() {
        let (_tmp, bytes) = small_shop();
        let doc = snapshot::parse_bytes(&bytes, "test").unwrap();
        let meta = doc.meta.clone().unwrap();
        let paged = page_document(&doc, &meta).unwrap();
        assert!(paged.pages.iter().all(|p| p.records <= PAGE_RECORDS));
        assert!(paged.pages.len() > 10, "a small shop spans several pages");
        // Reorder keys inside records, as JSONB does, before putting back.
        let stored: HashMap<String, StoredPage> = paged
            .pages
            .iter()
            .map(|p| {
                let v: Value = serde_json::from_str(&p.json).unwrap();
                (
                    p.hash.clone(),
                    StoredPage::Legacy(serde_json::to_string_pretty(&v).unwrap()),
                )
            })
            .collect();
        let meta_json = serde_json::to_string(&meta).unwrap();
        let rebuilt = rebuild_export(Uuid::nil(), &paged.manifest, &meta_json, &stored).unwrap();
        let back = snapshot::parse_bytes(&rebuilt, "rebuilt").unwrap();
        assert_eq!(back.digests().unwrap(), doc.digests().unwrap());
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        // The same from the canonical bodies (schema 2), byte for byte.
        let bodies: HashMap<String, StoredPage> = paged
            .pages
            .iter()
            .map(|p| (p.hash.clone(), StoredPage::Body(p.json.clone())))
            .collect();
        let exact = rebuild_export(Uuid::nil(), &paged.manifest, &meta_json, &bodies).unwrap();
        assert_eq!(exact, rebuilt, "both forms rebuild the same file");
    }

    #[test]
    fn a_changed_page_is_named() {
        let (_tmp, bytes) = small_shop();
        let doc = snapshot::parse_bytes(&bytes, "test").unwrap();
        let meta = doc.meta.clone().unwrap();
        let paged = page_document(&doc, &meta).unwrap();
        let mut stored: HashMap<String, StoredPage> = paged
            .pages
            .iter()
            .map(|p| (p.hash.clone(), StoredPage::Body(p.json.clone())))
            .collect();
        let victim = paged.pages.iter().find(|p| p.section == SectionKey::Invoices).unwrap();
        let changed = victim.json.replacen("\"total", "\"totaL", 1);
        stored.insert(victim.hash.clone(), StoredPage::Body(changed));
        let err = rebuild_export(Uuid::nil(), &paged.manifest, "{}", &stored).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&victim.hash) && text.contains("sonic_invoices"), "{text}");
    }

    #[test]
    fn appending_a_record_changes_only_the_last_page_of_its_list() {
        let (_tmp, bytes) = small_shop();
        let doc = snapshot::parse_bytes(&bytes, "test").unwrap();
        let mut value: Value = serde_json::from_slice(&bytes).unwrap();
        let invoices = value["sonic_invoices"].as_array_mut().unwrap();
        let mut extra = invoices.last().unwrap().clone();
        extra["id"] = Value::from("inv-extra");
        let number = invoices.len() as u64 + 1;
        extra["number"] = Value::from(number);
        invoices.push(extra);
        value["sonic_invoice_counter"] = Value::from(number);
        value.as_object_mut().unwrap().remove("_meta");
        let after = snapshot::parse_bytes(value.to_string().as_bytes(), "test").unwrap();
        let before_pages = page_document(&doc, doc.meta.as_ref().unwrap()).unwrap();
        let fake_meta = {
            let mut m = doc.meta.clone().unwrap();
            m.sections = after
                .digests()
                .unwrap()
                .into_iter()
                .map(|(k, d)| (k.as_str().to_string(), d))
                .collect();
            m
        };
        let after_pages = page_document(&after, &fake_meta).unwrap();
        let old: std::collections::HashSet<&String> = before_pages.pages.iter().map(|p| &p.hash).collect();
        let new: Vec<&Page> = after_pages.pages.iter().filter(|p| !old.contains(&p.hash)).collect();
        assert_eq!(new.len(), 1, "one appended invoice makes exactly one new page");
        assert_eq!(new[0].section, SectionKey::Invoices);
    }
}
