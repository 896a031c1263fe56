//! A backup's page index: the `<backup>.pages` file written beside it.
//!
//! While a backup is written, the writer already sees every record body in
//! order, so it cuts the pages there too ([`crate::pages`]), keeping only
//! their hashes and where each lies in the (decompressed) file. The index
//! holds that list, the manifest and the `_meta`: all a push needs to ask
//! the server which pages it lacks without reading the backup, and to read
//! only those pages from it.
//!
//! The index is a help, not the backup: a backup without one (written
//! before this existed, a crash between the two files, a damaged index)
//! is pushed the long way, by reading and validating the whole file. Its
//! first line carries a SHA-256 of the rest, and it names the backup id
//! and the backup file's size, so a damaged or stray index is refused
//! rather than believed; every page read through it is checked against its
//! hash.
//!
//! Format: `sonic-page-index-v1 <sha256 hex of the JSON>\n` then one JSON
//! object ([`PageIndex`]).

use super::Meta;
use crate::error::{Error, Result};
use crate::pages::{list_name, page_hash, Manifest, Page, PageSpan};
use crate::sections::SectionKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

const MAGIC: &str = "sonic-page-index-v1";

/// An index over 100k pages is ~20 MB; anything far larger is not ours.
const MAX_INDEX_BYTES: u64 = 256 << 20;

/// The pages of one backup file, as its writer cut them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageIndex {
    pub backup_id: Uuid,
    /// The size of the backup file it describes, in bytes.
    pub backup_bytes: u64,
    /// The backup's `_meta`, as in the file.
    pub meta: Meta,
    pub manifest: Manifest,
    /// Every page (repeats included), in file order.
    pub pages: Vec<PageSpan>,
}

/// Where the index of `backup_file` lives: beside it, `.pages` appended.
pub fn index_path(backup_file: &Path) -> PathBuf {
    let mut name = backup_file.as_os_str().to_owned();
    name.push(".pages");
    PathBuf::from(name)
}

impl PageIndex {
    /// Writes the index of `backup_file` beside it, atomically.
    pub(crate) fn write(&self, backup_file: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).map_err(|e| Error::Invalid(e.to_string()))?;
        let sum = hex::encode(Sha256::digest(&json));
        let path = index_path(backup_file);
        crate::backup::write_atomically(&path, |out| {
            let io = |e| Error::io("writing the page index", &path, e);
            out.write_all(format!("{MAGIC} {sum}\n").as_bytes()).map_err(io)?;
            out.write_all(&json).map_err(io)
        })
    }

    /// Reads the index of `backup_file`, the backup `backup_id`. Refused
    /// (an error saying why) when it is missing, damaged, of another
    /// backup, or of another file than the one there now.
    pub fn read(backup_file: &Path, backup_id: Uuid) -> Result<PageIndex> {
        let path = index_path(backup_file);
        let refused = |why: String| Error::Invalid(format!("the page index {} {why}", path.display()));
        let file = std::fs::File::open(&path).map_err(|e| Error::io("opening the page index", &path, e))?;
        let mut bytes = Vec::new();
        file.take(MAX_INDEX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("reading the page index", &path, e))?;
        if bytes.len() as u64 > MAX_INDEX_BYTES {
            return Err(refused(format!("is over {MAX_INDEX_BYTES} bytes")));
        }
        let json = crate::pages::checksummed_json(&bytes, MAGIC, "page index").map_err(refused)?;
        let index: PageIndex =
            serde_json::from_slice(json).map_err(|e| refused(format!("is not a valid page index ({e})")))?;
        if index.backup_id != backup_id || index.meta.backup_id != Some(backup_id) {
            return Err(refused(format!("is of backup {}, not {backup_id}", index.backup_id)));
        }
        let size = std::fs::metadata(backup_file)
            .map_err(|e| Error::io("reading", backup_file, e))?
            .len();
        if size != index.backup_bytes {
            return Err(refused(format!(
                "describes a file of {} bytes, but the backup is {size}",
                index.backup_bytes
            )));
        }
        if !index.agrees_with_manifest() {
            return Err(refused("does not match its own manifest".into()));
        }
        Ok(index)
    }

    /// The pages, list by list, are the manifest's, in its order, and
    /// follow each other in the file without overlapping.
    fn agrees_with_manifest(&self) -> bool {
        let mut lists: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for span in &self.pages {
            lists.entry((&span.section, &span.list)).or_default().push(&span.hash);
        }
        let mut expected: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for (section, entry) in &self.manifest.sections {
            let named = std::iter::once(("", &entry.pages)).chain(entry.lists.iter().map(|(n, h)| (n.as_str(), h)));
            for (list, hashes) in named.filter(|(_, h)| !h.is_empty()) {
                expected.insert((section, list), hashes.iter().map(String::as_str).collect());
            }
        }
        lists == expected && self.pages.windows(2).all(|w| w[1].start >= w[0].start + w[0].len)
    }

    /// Reads from `backup_file` the pages `wanted` picks (asked of each
    /// page in file order), handing each to `f` as a [`Page`] once its
    /// JSON matched its hash; stops after the last page it needs. Memory is
    /// one page. Returns the records read. A page that does not match its
    /// hash is an error: the index does not describe this file.
    pub fn read_pages<E: From<Error>>(
        &self,
        backup_file: &Path,
        mut wanted: impl FnMut(&PageSpan) -> bool,
        mut f: impl FnMut(Page) -> std::result::Result<(), E>,
    ) -> std::result::Result<u64, E> {
        let picked: Vec<&PageSpan> = self.pages.iter().filter(|s| wanted(s)).collect();
        if picked.is_empty() {
            return Ok(0);
        }
        let io = |e| Error::io("reading", backup_file, e);
        let file = std::fs::File::open(backup_file).map_err(io)?;
        let mut input = zstd::Decoder::with_buffer(BufReader::with_capacity(256 * 1024, file)).map_err(io)?;
        let mut at = 0u64;
        let mut records = 0u64;
        for span in picked {
            let section = SectionKey::from_key(&span.section);
            let list = section.and_then(|s| list_name(s, &span.list));
            let (Some(section), Some(list)) = (section, list) else {
                return Err(
                    Error::Invalid(format!("the page index names no list {}/{}", span.section, span.list)).into(),
                );
            };
            std::io::copy(&mut (&mut input).take(span.start - at), &mut std::io::sink()).map_err(io)?;
            let mut bytes = Vec::with_capacity(usize::try_from(span.json_len()).unwrap_or(0));
            bytes.push(b'[');
            (&mut input).take(span.len).read_to_end(&mut bytes).map_err(io)?;
            if (bytes.len() as u64) < span.len + 1 {
                return Err(Error::Invalid(format!("{} ends before page {}", backup_file.display(), span.hash)).into());
            }
            at = span.start + span.len;
            // Canonical JSON holds no raw newline: the only ones are the
            // writer's, one before each record.
            bytes.retain(|b| *b != b'\n');
            bytes.push(b']');
            let json = String::from_utf8(bytes).map_err(|_| mismatch(backup_file, span))?;
            if page_hash(&span.section, &span.list, &json) != span.hash {
                return Err(mismatch(backup_file, span).into());
            }
            records += span.records as u64;
            f(Page {
                hash: span.hash.clone(),
                section,
                list,
                records: span.records,
                json,
            })?;
        }
        Ok(records)
    }
}

fn mismatch(backup_file: &Path, span: &PageSpan) -> Error {
    Error::Invalid(format!(
        "page {} of {} {} is not where its index says in {}",
        span.hash,
        span.section,
        span.list,
        backup_file.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::{reason, BackupInfo};

    /// A backup of the earlier format (one file with its page index).
    fn create_backup(store: &Store, why: &str) -> Result<BackupInfo> {
        let info = crate::backup::write_backup_file(&store.reader()?, why, &mut |_| {})?;
        crate::backup::record_backup(store, &info, crate::backup::PendingBackups::Keep)?;
        Ok(info)
    }
    use crate::pages::page_document;
    use crate::{DataDir, Store};

    fn shop(generated: bool) -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        if generated {
            crate::gen::generate(&mut store, crate::gen::Profile::Small, 3).unwrap();
        }
        (tmp, store)
    }

    #[test]
    fn the_index_a_backup_writes_is_the_paging_of_the_file_read_back() {
        for generated in [false, true] {
            let (_tmp, store) = shop(generated);
            let info = create_backup(&store, reason::MANUAL).unwrap();
            let index = PageIndex::read(&info.file, info.id).unwrap();
            let doc = crate::snapshot::read_file(&info.file).unwrap();
            let meta = doc.meta.clone().unwrap();
            assert_eq!(index.meta, meta, "the index holds the file's _meta");
            let paged = page_document(&doc, &meta).unwrap();
            assert_eq!(
                index.manifest, paged.manifest,
                "the writer cuts the manifest the staged file gives (generated shop: {generated})"
            );
            let mut read = Vec::new();
            let records = index
                .read_pages(
                    &info.file,
                    |_| true,
                    |page| {
                        read.push(page);
                        Ok::<(), Error>(())
                    },
                )
                .unwrap();
            // The file puts an object's lists in name order, the cutter in
            // the section's order: compare them by hash.
            let mut cut = paged.pages.clone();
            cut.sort_by(|a, b| a.hash.cmp(&b.hash));
            read.sort_by(|a, b| a.hash.cmp(&b.hash));
            assert!(
                read == cut,
                "every page reads back from the file as cut from staging ({} read, {} cut)",
                read.len(),
                cut.len()
            );
            assert_eq!(records, paged.pages.iter().map(|p| p.records as u64).sum::<u64>());
            for span in &index.pages {
                let page = read.iter().find(|p| p.hash == span.hash).unwrap();
                assert_eq!(
                    span.json_len(),
                    page.json.len() as u64,
                    "the JSON bytes of {}",
                    span.hash
                );
            }
            if generated {
                assert!(paged.pages.len() > 10, "a small shop spans several pages");
            }
        }
    }

    #[test]
    fn only_the_wanted_pages_are_read() {
        let (_tmp, store) = shop(true);
        let info = create_backup(&store, reason::MANUAL).unwrap();
        let index = PageIndex::read(&info.file, info.id).unwrap();
        let last = index.pages.last().unwrap().hash.clone();
        let mut got = Vec::new();
        let records = index
            .read_pages(
                &info.file,
                |s| s.hash == last,
                |page| {
                    got.push(page.hash);
                    Ok::<(), Error>(())
                },
            )
            .unwrap();
        assert_eq!(got, vec![last]);
        assert!(records <= crate::pages::PAGE_RECORDS as u64);
    }

    #[test]
    fn a_missing_damaged_or_stray_index_is_refused() {
        let (_tmp, store) = shop(true);
        let info = create_backup(&store, reason::MANUAL).unwrap();
        let path = index_path(&info.file);
        let good = std::fs::read(&path).unwrap();

        assert!(
            PageIndex::read(&info.file, Uuid::new_v4()).is_err(),
            "another backup's id"
        );

        let mut damaged = good.clone();
        let at = damaged.len() / 2;
        damaged[at] ^= 0x01;
        std::fs::write(&path, &damaged).unwrap();
        let err = PageIndex::read(&info.file, info.id).unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");

        std::fs::write(&path, &good[..good.len() - 10]).unwrap();
        assert!(PageIndex::read(&info.file, info.id).is_err(), "a cut index");

        std::fs::remove_file(&path).unwrap();
        assert!(PageIndex::read(&info.file, info.id).is_err(), "no index");

        // A page index whose spans point at the wrong bytes: every page is
        // checked against its hash, so reading it fails instead of lying.
        std::fs::write(&path, &good).unwrap();
        let mut index = PageIndex::read(&info.file, info.id).unwrap();
        index.pages[0].start += 1;
        let result = index.read_pages(&info.file, |_| true, |_| Ok::<(), Error>(()));
        assert!(result.is_err(), "a page read from the wrong place must not pass");

        // A well-formed index whose manifest lists pages out of order.
        let mut index = PageIndex::read(&info.file, info.id).unwrap();
        let invoices = index.manifest.sections.get_mut(SectionKey::Invoices.as_str()).unwrap();
        assert!(
            invoices.pages.len() >= 2,
            "the small shop has two pages of invoices or more"
        );
        invoices.pages.swap(0, 1);
        index.write(&info.file).unwrap();
        let err = PageIndex::read(&info.file, info.id).unwrap_err().to_string();
        assert!(err.contains("does not match its own manifest"), "{err}");
    }

    #[test]
    fn retention_removes_the_index_with_its_backup() {
        let (_tmp, store) = shop(false);
        let first = create_backup(&store, reason::MANUAL).unwrap();
        crate::outbox::mark_pushed(&store, first.id).unwrap();
        assert!(index_path(&first.file).exists());
        create_backup(&store, reason::MANUAL).unwrap();
        let keep_one = crate::backup::Retention {
            keep_last: 1,
            keep_daily_days: 0,
        };
        crate::backup::apply_retention(&store, keep_one, chrono::Utc::now()).unwrap();
        assert!(!first.file.exists() && !index_path(&first.file).exists());
    }
}
