//! Replacing the whole store with a validated [`Document`]: the preview of
//! what would change, and the restore itself (safety backup first, then one
//! transaction).

use crate::backup::{self, reason, BackupInfo};
use crate::error::{Error, Result};
use crate::sections::{ActivityEntry, RecordId, SectionKey, SectionKind, Table, Timestamp};
use crate::snapshot::{Document, Progress};
use crate::store::{self, Readable, Store};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde::Serialize;

/// What a restore would do to one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionPreview {
    pub key: &'static str,
    /// Records in the store now.
    pub now: u64,
    /// Records in the backup.
    pub backup: u64,
    /// In the backup, not in the store.
    pub added: u64,
    /// In the store, not in the backup.
    pub removed: u64,
    /// In both, with different content.
    pub changed: u64,
    /// Oldest and newest record time in the backup, where records carry one.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// What a restore would do, section by section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub sections: Vec<SectionPreview>,
    pub warnings: Vec<String>,
}

impl Preview {
    /// Whether the restore would change nothing.
    pub fn is_identity(&self) -> bool {
        self.sections
            .iter()
            .all(|s| s.added == 0 && s.removed == 0 && s.changed == 0)
    }
}

/// Compares the store with `doc` without changing anything. The staging
/// database of `doc` is attached to the store's connection and the counts
/// are SQL over both, so no section is ever held in memory.
pub fn preview(store: &impl Readable, doc: &Document) -> Result<Preview> {
    let conn = store.read_conn();
    let _attached = doc.staging.attach(conn)?;
    let tx = conn.unchecked_transaction()?;
    let mut sections = Vec::new();
    for key in SectionKey::ALL {
        let mut p = SectionPreview {
            key: key.as_str(),
            now: 0,
            backup: 0,
            added: 0,
            removed: 0,
            changed: 0,
            first: None,
            last: None,
        };
        match key.kind() {
            SectionKind::Collection(table) => diff_table(&tx, table, &mut p)?,
            SectionKind::Object(parts) => {
                for (_, table) in parts {
                    diff_table(&tx, *table, &mut p)?;
                }
                let now = store::section_value(&tx, key)?;
                if now != doc.value(key)? {
                    p.changed += 1;
                }
            }
            SectionKind::Counter | SectionKind::Rate => {
                let now = store::section_value(&tx, key)?;
                let then = doc.value(key)?;
                p.now = u64::from(now.is_some());
                p.backup = u64::from(then.is_some());
                match (&now, &then) {
                    (Some(a), Some(b)) if a != b => p.changed = 1,
                    (None, Some(_)) => p.added = 1,
                    (Some(_), None) => p.removed = 1,
                    _ => {}
                }
            }
        }
        sections.push(p);
    }
    tx.execute_batch("DROP TABLE IF EXISTS temp.preview_now")?;
    tx.commit()?;
    Ok(Preview {
        sections,
        warnings: doc.warnings.clone(),
    })
}

/// Adds one table's differences to `p`. Records are matched by id; log
/// records without one by their content (a hash of the body: the store's
/// are hashed into a temporary table, the backup's were hashed on staging).
fn diff_table(conn: &Connection, table: Table, p: &mut SectionPreview) -> Result<()> {
    let t = table.sql_name();
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS preview_now (h INTEGER); \
         CREATE INDEX IF NOT EXISTS temp.preview_now_h ON preview_now(h); \
         DELETE FROM temp.preview_now;",
    )?;
    {
        let mut insert = conn.prepare("INSERT INTO temp.preview_now(h) VALUES (?1)")?;
        let mut stmt = conn.prepare(&format!("SELECT body FROM main.{t} WHERE id IS NULL"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let body = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            insert.execute([crate::snapshot::staging::body_hash(body)])?;
        }
    }
    p.now += count(&format!("SELECT count(*) FROM main.{t}"))?;
    p.backup += count(&format!("SELECT count(*) FROM staging.{t}"))?;
    p.added += count(&format!(
        "SELECT count(*) FROM staging.{t} s WHERE CASE WHEN s.id IS NOT NULL \
           THEN NOT EXISTS (SELECT 1 FROM main.{t} m WHERE m.id = s.id) \
           ELSE NOT EXISTS (SELECT 1 FROM temp.preview_now n WHERE n.h = s.h) END"
    ))?;
    p.removed += count(&format!(
        "SELECT count(*) FROM main.{t} m WHERE m.id IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM staging.{t} s WHERE s.id = m.id)"
    ))?;
    p.removed += count(&format!(
        "SELECT count(*) FROM temp.preview_now n \
           WHERE NOT EXISTS (SELECT 1 FROM staging.{t} s WHERE s.h = n.h)"
    ))?;
    p.changed += count(&format!(
        "SELECT count(*) FROM staging.{t} s JOIN main.{t} m ON m.id = s.id WHERE m.body <> s.body"
    ))?;
    let (first, last): (Option<i64>, Option<i64>) =
        conn.query_row(&format!("SELECT min(at), max(at) FROM staging.{t}"), [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let instant = |micros: Option<i64>| micros.and_then(DateTime::<Utc>::from_timestamp_micros);
    if let Some(at) = instant(first) {
        p.first = Some(p.first.map_or(at, |f| f.min(at)));
    }
    if let Some(at) = instant(last) {
        p.last = Some(p.last.map_or(at, |l| l.max(at)));
    }
    Ok(())
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreOutcome {
    /// The safety backup of the state before the restore.
    pub safety_backup: BackupInfo,
    pub preview: Preview,
}

/// Replaces every section with `doc`: first a `pre_restore` safety backup of
/// the current state, then one transaction that writes the document and an
/// activity entry. `progress` hears the records written of the document's
/// total, table by table (uncommitted until the last). On any error nothing
/// has changed, but for a failed `fsync` of the commit: that stops the store
/// (`Error::Stopped`), and reopened it holds the old state or the new one.
pub fn restore(
    store: &mut Store,
    doc: &Document,
    source: &str,
    actor: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreOutcome> {
    store.ensure_running()?;
    let preview = preview(store, doc)?;
    let safety_backup = backup::create_backup(store, reason::PRE_RESTORE)?;
    let details = format!(
        "restored from {source}; the state before is in backup {}",
        safety_backup.id
    );
    replace_all(store, doc, Some(("restore", actor, &details)), progress)?;
    tracing::info!(source, safety_backup = %safety_backup.id, "store restored");
    Ok(RestoreOutcome { safety_backup, preview })
}

/// How an import treats a store that already holds data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Refuse unless the store is empty.
    IntoEmpty,
    /// Replace what is there, after a `pre_import` safety backup.
    Replace,
}

/// Imports `doc` (an old POS export or a Sonic POS file). Into an empty store
/// it is written as is, so an export afterwards gives back the same sections.
pub fn import(store: &mut Store, doc: &Document, mode: ImportMode, source: &str) -> Result<Option<BackupInfo>> {
    store.ensure_running()?;
    let records = store::record_total(store.conn())?;
    if records == 0 {
        replace_all(store, doc, None, &mut |_| {})?;
        return Ok(None);
    }
    if mode == ImportMode::IntoEmpty {
        return Err(Error::StoreNotEmpty { records });
    }
    let safety = backup::create_backup(store, reason::PRE_IMPORT)?;
    let details = format!("imported {source}; the state before is in backup {}", safety.id);
    replace_all(store, doc, Some(("import", "admin", &details)), &mut |_| {})?;
    Ok(Some(safety))
}

/// Writes `doc` over everything in one immediate transaction, with an
/// optional activity entry (action, user, details) in the same transaction.
/// The records come straight from the document's staging database
/// (`INSERT … SELECT`), attached for the length of the transaction;
/// `progress` hears the records copied after each table.
///
/// The same rule as every other change ([`Store::write`]): a stopped store
/// refuses, and a failed `fsync` of the commit stops the store
/// (`Error::Stopped`) until it is reopened, which then finds the old state
/// or the new one.
fn replace_all(
    store: &mut Store,
    doc: &Document,
    activity: Option<(&str, &str, &str)>,
    progress: &mut dyn FnMut(Progress),
) -> Result<()> {
    store.ensure_running()?;
    write_all(store.conn(), doc, activity, progress).map_err(|e| store.note_failure(e))
}

fn write_all(
    conn: &Connection,
    doc: &Document,
    activity: Option<(&str, &str, &str)>,
    progress: &mut dyn FnMut(Progress),
) -> Result<()> {
    let _attached = doc.staging.attach(conn)?;
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let mut total = 0;
    for table in Table::ALL {
        let n: i64 = tx.query_row(&format!("SELECT count(*) FROM staging.{}", table.sql_name()), [], |r| {
            r.get(0)
        })?;
        total += u64::try_from(n).unwrap_or(0);
    }
    let mut done = 0;
    progress(Progress { done, total });
    // No trigger per row: every table is marked changed once, below.
    store::change_marks::suspend(&tx)?;
    store::clear_all(&tx)?;
    for table in Table::ALL {
        let t = table.sql_name();
        let copied = tx.execute(
            &format!("INSERT INTO main.{t}(id, body) SELECT id, body FROM staging.{t} ORDER BY seq"),
            [],
        )?;
        done += copied as u64;
        progress(Progress { done, total });
    }
    tx.execute(
        "INSERT INTO main.section_values(key, value) SELECT key, value FROM staging.section_values",
        [],
    )?;
    store::change_marks::resume_all_changed(&tx)?;
    if let Some((action, user, details)) = activity {
        let entry = ActivityEntry {
            id: Some(RecordId::Text(uuid::Uuid::now_v7().to_string())),
            action: action.to_string(),
            user: Some(user.to_string()),
            details: Some(details.to_string()),
            params: None,
            store_id: None,
            at: Some(Timestamp::now()),
            extra: Default::default(),
        };
        let id = entry.id.as_ref().map(RecordId::key);
        store::append_record(&tx, Table::Activity, id.as_deref(), &entry)?;
    }
    // A backup from before a fix gets the same correction as a migrated database.
    crate::ops::books::correct(&tx, "backup read in")?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot;
    use crate::DataDir;

    fn export_bytes(store: &Store) -> Vec<u8> {
        let mut out = Vec::new();
        snapshot::export(
            store,
            &snapshot::ExportInfo {
                reason: "test".into(),
                backup_id: None,
            },
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn a_restore_that_fails_half_way_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        crate::gen::generate(&mut store, crate::gen::Profile::Small, 7).unwrap();
        let before = snapshot::store_digests(&store).unwrap();

        // A document whose last table breaks a constraint: the write fails after
        // every other table has been replaced inside the transaction.
        let doc = snapshot::parse_bytes(&export_bytes(&store), "test").unwrap();
        doc.staging
            .conn()
            .execute_batch(
                "DELETE FROM items WHERE seq > 3;
                 DROP TABLE users;
                 CREATE TABLE users (seq INTEGER PRIMARY KEY, id TEXT, body TEXT NOT NULL, number, at, h);
                 INSERT INTO users(id, body) VALUES ('u-dup', '{}'), ('u-dup', '{}');",
            )
            .unwrap();
        let err = restore(&mut store, &doc, "broken", "test", &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::Sqlite(_)), "got {err:?}");
        assert_eq!(
            snapshot::store_digests(&store).unwrap(),
            before,
            "the store must be exactly as before"
        );
        store.integrity_check().unwrap();
    }

    #[test]
    fn a_restore_reports_the_records_written_of_the_backups_total() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        crate::gen::generate(&mut store, crate::gen::Profile::Small, 3).unwrap();
        let doc = snapshot::parse_bytes(&export_bytes(&store), "test").unwrap();
        let records: u64 = Table::ALL
            .iter()
            .map(|&t| {
                let mut n = 0;
                doc.for_each_record(t, |_, _| {
                    n += 1;
                    Ok(())
                })
                .unwrap();
                n
            })
            .sum();
        let mut heard = Vec::new();
        restore(&mut store, &doc, "test", "test", &mut |p| heard.push(p)).unwrap();
        assert!(heard.len() > 2, "more than a start and an end: {heard:?}");
        assert!(
            heard.iter().all(|p| p.total == records),
            "every report has the backup's record count ({records}) as its total: {heard:?}"
        );
        assert_eq!(heard.first().map(|p| p.done), Some(0), "it starts at none written");
        assert_eq!(heard.last().map(|p| p.done), Some(records), "it ends at all written");
        assert!(
            heard.windows(2).all(|w| w[0].done <= w[1].done),
            "the count never goes back: {heard:?}"
        );
    }

    #[test]
    fn preview_counts_added_removed_and_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        crate::gen::generate(&mut store, crate::gen::Profile::Small, 1).unwrap();
        let doc = snapshot::parse_bytes(&export_bytes(&store), "test").unwrap();
        let same = preview(&store, &doc).unwrap();
        assert!(
            same.is_identity(),
            "{:#?}",
            same.sections
                .iter()
                .filter(|s| s.added + s.removed + s.changed > 0)
                .collect::<Vec<_>>()
        );

        let staged = doc.staging.conn();
        // removed, changed, added
        staged
            .execute_batch(
                r#"DELETE FROM customers WHERE seq = (SELECT min(seq) FROM customers);
                   UPDATE customers SET body = json_set(body, '$.name', 'Changed Name')
                     WHERE seq = (SELECT min(seq) FROM customers);
                   INSERT INTO customers(id, body) VALUES ('c-new', '{"id":"c-new","name":"New"}');"#,
            )
            .unwrap();
        // A log record without an id: one removed from the backup, one new.
        staged
            .execute_batch(
                r#"DELETE FROM activity WHERE seq = (SELECT min(seq) FROM activity);
                   INSERT INTO activity(id, body, h) VALUES (NULL, '{"action":"x"}', 42);"#,
            )
            .unwrap();
        drop(staged);
        let p = preview(&store, &doc).unwrap();
        let shop = p.sections.iter().find(|s| s.key == "sonic_shop_data").unwrap();
        assert_eq!((shop.added, shop.removed, shop.changed), (1, 1, 1));
        assert_eq!(shop.backup, shop.now, "one removed and one added keeps the count");
        let log = p.sections.iter().find(|s| s.key == "sonic_activity_data").unwrap();
        assert_eq!((log.added, log.removed, log.changed), (1, 1, 0));
        assert!(
            log.first.is_some() && log.first <= log.last,
            "the date range of the backup's log"
        );
    }

    #[test]
    fn an_old_file_without_ids_in_its_log_previews_by_content() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        let file = br#"{"sonic_activity_data":[{"action":"a","at":"2024-01-01T00:00:00Z"},{"action":"b","at":"2024-02-01T00:00:00Z"}]}"#;
        let doc = snapshot::read(&file[..], "old", tmp.path()).unwrap();
        import(&mut store, &doc, ImportMode::IntoEmpty, "old").unwrap();
        let p = preview(&store, &doc).unwrap();
        assert!(p.is_identity(), "{:?}", p.sections);
        let log = p.sections.iter().find(|s| s.key == "sonic_activity_data").unwrap();
        assert_eq!((log.now, log.backup), (2, 2));
        assert_eq!(log.first.unwrap().to_rfc3339(), "2024-01-01T00:00:00+00:00");
        assert_eq!(log.last.unwrap().to_rfc3339(), "2024-02-01T00:00:00+00:00");
    }
}
