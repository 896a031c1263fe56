//! Resume points: a backup reads only what changed since the last one.
//!
//! Each manifest backup keeps, per record table, a few *resume points*:
//! before the first record of each of the list's last pages, and at its
//! end, the saved state of its section's SHA-256 (the hash `_meta` carries,
//! over the section's canonical JSON), the record's `seq`, and the records
//! and page bytes before it. With the table's change marks
//! ([`crate::store::change_marks`]) the next backup knows from which `seq`
//! on a list may differ: it takes the page hashes before that point from
//! the last manifest, restores the hash state, and reads only the records
//! from there (after one sale: the last page of each list the sale
//! appended to). A list that did not change is not read at all.
//!
//! Only what is proven unchanged is reused: the same table marks (an epoch
//! that the last backup set, or the same random change tag), the object
//! section's other members equal, the last manifest of this format whose
//! every page is in the folder. Anything else reads the section in full,
//! as a backup without a last manifest does.

use crate::pages::{Manifest, PAGE_RECORDS};
use crate::sections::{SectionKey, SectionKind, Table};
use crate::store::change_marks::{self, Mark, MarkReset};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2_11::digest::common::hazmat::{SerializableState, SerializedState};
use sha2_11::Sha256;
use std::collections::{BTreeMap, VecDeque};

/// Page-start points kept per list, besides its end.
const KEPT_POINTS: usize = 4;

const PAGE: u64 = PAGE_RECORDS as u64;

/// What a manifest keeps for the next backup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeState {
    /// Per record table (its SQL name).
    pub tables: BTreeMap<String, TableResume>,
}

/// One table's marks as the backup's snapshot saw them, and its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableResume {
    pub epoch_before: String,
    pub tag: String,
    #[serde(default)]
    pub low_seq: Option<i64>,
    /// The epoch the backup sets once it is recorded (if nothing changed meanwhile).
    pub epoch_after: String,
    pub points: Vec<Point>,
}

/// A place in a list where reading can start again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    /// The index in its list of the record the point is before (at the
    /// end: the list's length).
    pub record: u64,
    /// That record's `seq` (at the end: the last one's + 1).
    pub seq: i64,
    /// Whether this is the list's end.
    #[serde(default)]
    pub end: bool,
    /// Records of the section before the point.
    pub section_records: u64,
    /// JSON bytes of the list's pages before the point (at the end: all).
    pub page_bytes: u64,
    /// The section hash's saved state before the point, hex.
    pub state: String,
}

/// What changed in a table since the base backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Unchanged,
    From(i64),
}

/// Where a section's writing starts again.
pub(crate) struct SectionPlan {
    /// The list reading starts in.
    pub list: &'static str,
    pub point: Point,
    /// That list's page hashes before the point.
    pub prefix: Vec<String>,
    /// The lists before it, reused whole: name, table, page hashes.
    pub skipped: Vec<(&'static str, Table, Vec<String>)>,
    /// The section hash at the point.
    pub hash: Sha256,
}

/// A point seen while a list is read, its state not yet written out.
pub(crate) struct Captured {
    pub record: u64,
    pub seq: i64,
    pub section_records: u64,
    pub page_bytes: u64,
    pub hash: Sha256,
}

impl Captured {
    fn point(self, end: bool) -> Point {
        Point {
            record: self.record,
            seq: self.seq,
            end,
            section_records: self.section_records,
            page_bytes: self.page_bytes,
            state: hex::encode(self.hash.serialize()),
        }
    }
}

/// The base a backup resumes from, and what it gathers for the next one.
#[derive(Default)]
pub(crate) struct Resumer {
    base: Option<(Manifest, ResumeState)>,
    marks: BTreeMap<String, Mark>,
    /// The new backup's points.
    pub state: ResumeState,
    /// The mark resets to apply once the new backup is recorded.
    pub resets: Vec<MarkReset>,
    /// Page JSON bytes and records taken from the base, not read.
    pub reused_page_bytes: u64,
    pub reused_records: u64,
}

impl Resumer {
    /// A resumer over the last manifest `base` (its manifest and points);
    /// `None`: every section is read, and points gathered for the next.
    pub(crate) fn new(base: Option<(Manifest, ResumeState)>) -> Resumer {
        Resumer {
            base,
            ..Resumer::default()
        }
    }

    /// Reads the change marks, in the snapshot's read transaction.
    pub(crate) fn begin(&mut self, conn: &rusqlite::Connection) -> crate::Result<()> {
        self.marks = change_marks::read(conn)?;
        Ok(())
    }

    fn change(&self, table: Table) -> Option<(Change, &TableResume)> {
        let (_, resume) = self.base.as_ref()?;
        let saved = resume.tables.get(table.sql_name())?;
        let mark = self.marks.get(table.sql_name())?;
        let change = if mark.epoch == saved.epoch_after {
            // Set by the base backup with nothing changed in between:
            // `low_seq` counts from the base's snapshot.
            match mark.low_seq {
                None => Change::Unchanged,
                Some(low) => Change::From(low),
            }
        } else if mark.epoch == saved.epoch_before {
            // The base's reset did not happen: the same tag is the same
            // history; else the changes since the epoch began, which
            // include those since the base.
            if mark.tag == saved.tag {
                Change::Unchanged
            } else {
                Change::From(mark.low_seq?.min(saved.low_seq.unwrap_or(i64::MAX)))
            }
        } else {
            return None;
        };
        Some((change, saved))
    }

    /// Where section `key` can start again (`value`: its stored value,
    /// the other members of an object section), or `None`: read it all.
    pub(crate) fn plan(&self, key: SectionKey, value: Option<&str>) -> Option<SectionPlan> {
        let (manifest, _) = self.base.as_ref()?;
        let entry = manifest.sections.get(key.as_str())?;
        let lists: Vec<(&'static str, Table)> = match key.kind() {
            SectionKind::Collection(table) => vec![("", table)],
            SectionKind::Object(parts) => {
                // The members before the point are inside the saved state.
                let now = match value {
                    None => None,
                    Some(json) => match serde_json::from_str::<Value>(json).ok()? {
                        Value::Object(map) if map.is_empty() => None,
                        other => Some(other),
                    },
                };
                if now != entry.value {
                    return None;
                }
                let mut parts = parts.to_vec();
                parts.sort_by_key(|(name, _)| *name);
                parts
            }
            SectionKind::Counter | SectionKind::Rate => return None,
        };
        let mut skipped = Vec::new();
        for (i, (name, table)) in lists.iter().enumerate() {
            let (change, saved) = self.change(*table)?;
            let pages = if name.is_empty() {
                &entry.pages
            } else {
                entry.lists.get(*name)?
            };
            let end = saved.points.iter().find(|p| p.end)?;
            let last = i + 1 == lists.len();
            let point = match change {
                Change::Unchanged if !last => {
                    if end.record.div_ceil(PAGE) != pages.len() as u64 {
                        return None;
                    }
                    skipped.push((*name, *table, pages.clone()));
                    continue;
                }
                Change::Unchanged => end.clone(),
                Change::From(low) => {
                    // A page start at or before the lowest change (a list's
                    // end on a page boundary is one too): read from there.
                    let mut point = saved
                        .points
                        .iter()
                        .filter(|p| p.record % PAGE == 0 && p.seq <= low)
                        .max_by_key(|p| p.record)?
                        .clone();
                    point.end = false;
                    point
                }
            };
            let before = if point.end {
                point.record.div_ceil(PAGE)
            } else {
                point.record / PAGE
            };
            if (point.end && before != pages.len() as u64) || before > pages.len() as u64 {
                return None;
            }
            let bytes = hex::decode(&point.state).ok()?;
            let state = SerializedState::<Sha256>::try_from(bytes.as_slice()).ok()?;
            let hash = Sha256::deserialize(&state).ok()?;
            return Some(SectionPlan {
                list: name,
                point,
                prefix: pages[..before as usize].to_vec(),
                skipped,
                hash,
            });
        }
        None
    }

    /// The points of the base for `table` before `record` (page starts),
    /// for a list read from there on.
    pub(crate) fn carried(&self, table: Table, record: u64) -> Vec<Point> {
        self.base
            .as_ref()
            .and_then(|(_, r)| r.tables.get(table.sql_name()))
            .map(|saved| {
                saved
                    .points
                    .iter()
                    .filter(|p| !p.end && p.record < record)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A list reused whole from the base: its points go on unchanged.
    pub(crate) fn keep_list(&mut self, table: Table) {
        let points = self
            .base
            .as_ref()
            .and_then(|(_, r)| r.tables.get(table.sql_name()))
            .map(|saved| saved.points.clone())
            .unwrap_or_default();
        if let Some(end) = points.iter().find(|p| p.end) {
            self.reused_page_bytes += end.page_bytes;
            self.reused_records += end.record;
        }
        self.finish(table, points);
    }

    /// A list is written: its points are `carried` ones, those seen while
    /// reading (the last few kept) and its end.
    pub(crate) fn finish_list(&mut self, table: Table, carried: Vec<Point>, seen: VecDeque<Captured>, end: Captured) {
        let mut points = carried;
        points.extend(seen.into_iter().map(|c| c.point(false)));
        let extra = points.len().saturating_sub(KEPT_POINTS);
        points.drain(..extra);
        points.push(end.point(true));
        self.finish(table, points);
    }

    fn finish(&mut self, table: Table, points: Vec<Point>) {
        let Some(mark) = self.marks.get(table.sql_name()) else {
            return;
        };
        let epoch_after = change_marks::new_epoch();
        self.resets.push(MarkReset {
            table: table.sql_name().to_string(),
            epoch_before: mark.epoch.clone(),
            tag: mark.tag.clone(),
            epoch_after: epoch_after.clone(),
        });
        self.state.tables.insert(
            table.sql_name().to_string(),
            TableResume {
                epoch_before: mark.epoch.clone(),
                tag: mark.tag.clone(),
                low_seq: mark.low_seq,
                epoch_after,
                points,
            },
        );
    }

    /// Whether it keeps points at all (the store has change marks).
    pub(crate) fn capturing(&self) -> bool {
        !self.marks.is_empty()
    }
}

/// How many page-start points a list keeps.
pub(crate) const fn kept_points() -> usize {
    KEPT_POINTS
}

#[cfg(test)]
mod tests {
    use crate::backup::{self, create_backup_with, reason, BackupInfo, PendingBackups};
    use crate::page_store::{PageStore, StoredBackup};
    use crate::pages::{Manifest, PageCutter};
    use crate::sections::{SectionKey, Table};
    use crate::snapshot::{self, ExportInfo};
    use crate::{DataDir, Store};

    fn shop() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        crate::gen::generate(&mut store, crate::gen::Profile::Small, 7).unwrap();
        (tmp, store)
    }

    /// The manifest of the store as it is now, every section read in full.
    fn full_manifest(store: &Store) -> Manifest {
        let mut cutter = PageCutter::default();
        let info = ExportInfo {
            reason: "test".into(),
            backup_id: None,
        };
        snapshot::export_cutting(
            &store.reader().unwrap(),
            &info,
            &mut std::io::sink(),
            &mut |_| {},
            Some(&mut cutter),
            None,
        )
        .unwrap();
        cutter.finish().0
    }

    /// A backup, checked against the store read in full: the same manifest
    /// (every page hash, section hash and count), and it reads back
    /// (pages checked against their hashes, sections against `_meta`) as
    /// the store now.
    fn backup_checked(store: &Store, what: &str) -> BackupInfo {
        let info = create_backup_with(store, reason::MANUAL, PendingBackups::NoServer).unwrap();
        let stored = StoredBackup::read(&info.file).unwrap();
        assert_eq!(
            stored.manifest,
            full_manifest(store),
            "{what}: the manifest is the store's"
        );
        let now = snapshot::store_digests(store).unwrap();
        let doc = snapshot::read_file(&info.file).unwrap_or_else(|e| panic!("{what}: the backup verifies: {e}"));
        assert_eq!(
            doc.digests().unwrap(),
            now,
            "{what}: the backup reads back as the store"
        );
        info
    }

    fn total(store: &Store) -> u64 {
        crate::store::record_total(store.conn()).unwrap()
    }

    /// One more cash sale of one line (the page store's tests' sale).
    fn sell(store: &mut Store) {
        crate::page_store::tests::one_more_sale(store);
    }

    fn seqs(store: &Store, table: Table) -> Vec<i64> {
        let sql = format!("SELECT seq FROM {} ORDER BY seq", table.sql_name());
        let mut stmt = store.conn().prepare(&sql).unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn an_unchanged_store_is_not_read_again_and_one_sale_reads_only_its_pages() {
        let (_tmp, mut store) = shop();
        let first = backup_checked(&store, "the first backup");
        assert_eq!(first.records_reused, 0, "the first backup reads everything");
        let second = backup_checked(&store, "nothing changed");
        assert_eq!(second.records_reused, total(&store), "nothing changed: nothing is read");
        sell(&mut store);
        let third = backup_checked(&store, "one sale");
        assert!(
            third.records_reused * 10 > total(&store) * 9,
            "after one sale almost everything is taken from the last backup: {} of {}",
            third.records_reused,
            total(&store)
        );
        for _ in 0..3 {
            sell(&mut store);
        }
        backup_checked(&store, "three more sales");
    }

    /// Every record table changed by every kind of write (append, an edit
    /// near the end, an edit far back, a delete of the first record), each
    /// followed by a backup that must be the store read in full.
    #[test]
    fn every_table_changed_by_every_write_is_picked_up_by_the_next_backup() {
        let (_tmp, store) = shop();
        backup_checked(&store, "the first backup");
        for table in Table::ALL {
            let t = table.sql_name();
            let seqs = seqs(&store, table);
            if seqs.is_empty() {
                continue;
            }
            let edit = |seq: i64, note: &str| {
                store
                    .conn()
                    .execute(
                        &format!("UPDATE {t} SET body = json_set(body, '$.zzNote', ?1) WHERE seq = ?2"),
                        rusqlite::params![note, seq],
                    )
                    .unwrap();
            };
            edit(*seqs.last().unwrap(), "last");
            backup_checked(&store, &format!("{t}: the last record edited"));
            edit(seqs[seqs.len().saturating_sub(300)], "near the end");
            backup_checked(&store, &format!("{t}: a record a page back edited"));
            edit(seqs[seqs.len() / 2], "middle");
            backup_checked(&store, &format!("{t}: a record in the middle edited"));
            if !table.requires_id() {
                store
                    .conn()
                    .execute(&format!("DELETE FROM {t} WHERE seq = ?1"), [seqs[0]])
                    .unwrap();
                backup_checked(&store, &format!("{t}: its first record deleted"));
                let body: String = store
                    .conn()
                    .query_row(&format!("SELECT body FROM {t} ORDER BY seq DESC LIMIT 1"), [], |r| {
                        r.get(0)
                    })
                    .unwrap();
                // The last record again, under a new id where it has one.
                let body: String = store
                    .conn()
                    .query_row(
                        "SELECT CASE WHEN json_extract(?1, '$.id') IS NULL THEN ?1 ELSE json_set(?1, '$.id', 'appended') END",
                        [&body],
                        |r| r.get(0),
                    )
                    .unwrap();
                let id: Option<String> = store
                    .conn()
                    .query_row("SELECT json_extract(?1, '$.id')", [&body], |r| r.get(0))
                    .unwrap();
                crate::store::records_insert(store.conn(), table, id.as_deref(), &body).unwrap();
                backup_checked(&store, &format!("{t}: a record appended"));
            }
        }
        // The other members of an object section, and counters.
        crate::store::set_section_value(store.conn(), SectionKey::ShopData, r#"{"aaKept":1}"#).unwrap();
        backup_checked(&store, "a kept member of sonic_shop_data before its lists");
        crate::store::set_section_value(store.conn(), SectionKey::ShopData, r#"{"zzKept":2}"#).unwrap();
        backup_checked(&store, "a kept member after its lists");
        crate::store::set_section_value(store.conn(), SectionKey::ReturnCounter, "999999").unwrap();
        backup_checked(&store, "a counter");
    }

    #[test]
    fn a_restore_and_a_migration_make_the_next_backup_read_everything() {
        let (_tmp, mut store) = shop();
        let older = backup_checked(&store, "the first backup");
        sell(&mut store);
        backup_checked(&store, "one sale");
        // A restore replaces every table (its triggers suspended meanwhile).
        let doc = snapshot::read_file(&older.file).unwrap();
        crate::restore::restore(&mut store, &doc, "test", "owner", &mut |_| {}).unwrap();
        let after = backup_checked(&store, "after a restore");
        assert_eq!(after.records_reused, 0, "a restore changed every table");
        // A migration that rebuilds a table fires no trigger: the upgrade
        // renews every epoch.
        store
            .conn()
            .execute_batch(
                "DROP TRIGGER change_mark_debts_upd;
                 UPDATE debts SET body = json_set(body, '$.zzMigrated', 1);
                 PRAGMA user_version = 7;",
            )
            .unwrap();
        let dir = store.data_dir().clone();
        drop(store);
        let store = Store::open(&dir).unwrap();
        let migrated = backup_checked(&store, "after a migration");
        assert_eq!(
            migrated.records_reused, 0,
            "after a migration nothing is known unchanged"
        );
        store
            .conn()
            .execute(
                "UPDATE debts SET body = json_set(body, '$.zzzAgain', 1) WHERE seq = (SELECT max(seq) FROM debts)",
                [],
            )
            .unwrap();
        let again = backup_checked(&store, "the triggers are back after the migration");
        assert!(again.records_reused > 0);
    }

    #[test]
    fn a_missing_page_of_the_last_backup_is_written_again_not_reused() {
        let (_tmp, mut store) = shop();
        let first = backup_checked(&store, "the first backup");
        let stored = StoredBackup::read(&first.file).unwrap();
        let pages = PageStore::of(&store.data_dir().backups());
        let victim = stored.manifest.page_hashes().next().unwrap().clone();
        std::fs::remove_file(pages.path(&victim)).unwrap();
        sell(&mut store);
        let next = backup_checked(&store, "a page of the last backup gone");
        assert_eq!(
            next.records_reused, 0,
            "the last backup is not a base without its pages"
        );
        assert!(pages.path(&victim).is_file(), "the page is written again");
        // And the backup after it resumes again, its reused pages verifying.
        sell(&mut store);
        let resumed = backup_checked(&store, "resumed");
        assert!(resumed.records_reused > 0);
        let _ = backup::list_backups(&store).unwrap();
    }
}
