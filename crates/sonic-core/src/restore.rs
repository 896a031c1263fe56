//! Replacing the whole store with a validated [`Document`]: the preview of
//! what would change, and the restore itself (safety backup first, then one
//! transaction).

use crate::backup::{self, reason, BackupInfo};
use crate::error::{Error, Result};
use crate::sections::{ActivityEntry, RecordId, SectionKey, SectionKind, Table, Timestamp};
use crate::snapshot::Document;
use crate::store::{self, Store};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

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

/// Compares the store with `doc` without changing anything.
pub fn preview(store: &Store, doc: &Document) -> Result<Preview> {
    let tx = store.conn().unchecked_transaction()?;
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
            SectionKind::Collection(table) => diff_table(&tx, doc, table, &mut p)?,
            SectionKind::Object(parts) => {
                for (_, table) in parts {
                    diff_table(&tx, doc, *table, &mut p)?;
                }
                let now = store::section_value(&tx, key)?;
                if now.as_deref() != doc.values.get(&key).map(String::as_str) {
                    p.changed += 1;
                }
            }
            SectionKind::Counter | SectionKind::Rate => {
                let now = store::section_value(&tx, key)?;
                let then = doc.values.get(&key);
                p.now = u64::from(now.is_some());
                p.backup = u64::from(then.is_some());
                match (&now, then) {
                    (Some(a), Some(b)) if a != b => p.changed = 1,
                    (None, Some(_)) => p.added = 1,
                    (Some(_), None) => p.removed = 1,
                    _ => {}
                }
            }
        }
        sections.push(p);
    }
    tx.commit()?;
    Ok(Preview {
        sections,
        warnings: doc.warnings.clone(),
    })
}

fn diff_table(conn: &Connection, doc: &Document, table: Table, p: &mut SectionPreview) -> Result<()> {
    // Records are matched by id; log records without one by their content.
    let key_of = |id: Option<&str>, body: &str| match id {
        Some(id) => format!("id:{id}"),
        None => format!("body:{:x}", hash64(body)),
    };
    let mut now: HashMap<String, u64> = HashMap::new();
    store::for_each_record(conn, table, |id, body| {
        now.insert(key_of(id, body), hash64(body));
        p.now += 1;
        Ok(())
    })?;
    for record in doc.records(table) {
        p.backup += 1;
        match now.remove(&key_of(record.id.as_deref(), &record.body)) {
            None => p.added += 1,
            Some(h) if h != hash64(&record.body) => p.changed += 1,
            Some(_) => {}
        }
        if let Some(at) = record_time(&record.body) {
            p.first = Some(p.first.map_or(at, |f| f.min(at)));
            p.last = Some(p.last.map_or(at, |l| l.max(at)));
        }
    }
    p.removed += now.len() as u64;
    Ok(())
}

fn hash64(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

fn record_time(body: &str) -> Option<DateTime<Utc>> {
    let value: Value = serde_json::from_str(body).ok()?;
    let at = value.get("createdAt").or_else(|| value.get("at"))?;
    serde_json::from_value::<Timestamp>(at.clone())
        .ok()
        .map(Timestamp::instant)
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
/// activity entry. On any error nothing has changed.
pub fn restore(store: &mut Store, doc: &Document, source: &str, actor: &str) -> Result<RestoreOutcome> {
    let preview = preview(store, doc)?;
    let safety_backup = backup::create_backup(store, reason::PRE_RESTORE)?;
    let details = format!(
        "restored from {source}; the state before is in backup {}",
        safety_backup.id
    );
    replace_all(store, doc, Some(("restore", actor, &details)))?;
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
    let records = store::record_total(store.conn())?;
    if records == 0 {
        replace_all(store, doc, None)?;
        return Ok(None);
    }
    if mode == ImportMode::IntoEmpty {
        return Err(Error::StoreNotEmpty { records });
    }
    let safety = backup::create_backup(store, reason::PRE_IMPORT)?;
    let details = format!("imported {source}; the state before is in backup {}", safety.id);
    replace_all(store, doc, Some(("import", "admin", &details)))?;
    Ok(Some(safety))
}

/// Writes `doc` over everything in one immediate transaction, with an
/// optional activity entry (action, user, details) in the same transaction.
fn replace_all(store: &mut Store, doc: &Document, activity: Option<(&str, &str, &str)>) -> Result<()> {
    let tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    doc.write_into(&tx)?;
    if let Some((action, user, details)) = activity {
        let entry = ActivityEntry {
            id: Some(RecordId::Text(uuid::Uuid::now_v7().to_string())),
            action: action.to_string(),
            user: Some(user.to_string()),
            details: Some(details.to_string()),
            store_id: None,
            at: Some(Timestamp::now()),
            extra: Default::default(),
        };
        let id = entry.id.as_ref().map(RecordId::key);
        store::append_record(&tx, Table::Activity, id.as_deref(), &entry)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot;
    use crate::store::StoredRecord;
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
        let mut doc = snapshot::parse_bytes(&export_bytes(&store), "test").unwrap();
        doc.tables.get_mut(&Table::Items).unwrap().truncate(3);
        let dup = StoredRecord {
            id: Some("u-dup".into()),
            body: "{}".into(),
        };
        doc.tables.insert(Table::Users, vec![dup.clone(), dup]);
        let err = restore(&mut store, &doc, "broken", "test").unwrap_err();
        assert!(matches!(err, Error::Sqlite(_)), "got {err:?}");
        assert_eq!(
            snapshot::store_digests(&store).unwrap(),
            before,
            "the store must be exactly as before"
        );
        store.integrity_check().unwrap();
    }

    #[test]
    fn preview_counts_added_removed_and_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(tmp.path())).unwrap();
        crate::gen::generate(&mut store, crate::gen::Profile::Small, 1).unwrap();
        let mut doc = snapshot::parse_bytes(&export_bytes(&store), "test").unwrap();
        let same = preview(&store, &doc).unwrap();
        assert!(
            same.is_identity(),
            "{:#?}",
            same.sections
                .iter()
                .filter(|s| s.added + s.removed + s.changed > 0)
                .collect::<Vec<_>>()
        );

        let customers = doc.tables.get_mut(&Table::Customers).unwrap();
        customers.remove(0); // removed
        let mut changed: Value = serde_json::from_str(&customers[0].body).unwrap();
        changed["name"] = Value::from("Changed Name");
        customers[0].body = changed.to_string(); // changed
        customers.push(StoredRecord {
            id: Some("c-new".into()),
            body: r#"{"id":"c-new","name":"New"}"#.into(),
        }); // added
        let p = preview(&store, &doc).unwrap();
        let shop = p.sections.iter().find(|s| s.key == "sonic_shop_data").unwrap();
        assert_eq!((shop.added, shop.removed, shop.changed), (1, 1, 1));
        assert_eq!(shop.backup, shop.now, "one removed and one added keeps the count");
    }
}
