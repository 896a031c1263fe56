//! Pushing through a backup's page index (backups of the earlier format:
//! one `.json.zst` file): the push after one more sale reads only the
//! pages the server lacks, and a backup whose index is missing, damaged or
//! wrong is still pushed correctly, the long way. And a manifest backup
//! pushes its pages straight from the local page store.

use crate::support::{one_more_sale, small_shop, TestDb};
use sha2::{Digest, Sha256};
use sonic_backup::{pull, push_pending, PushReport};
use sonic_core::backup::{self, reason};
use sonic_core::sections::SectionKind;
use sonic_core::snapshot::{self, index_path};
use sonic_core::{DataDir, SectionKey, Store};

/// A backup of the earlier format (one file and its page index), as an
/// older Sonic POS left it, queued for the server.
fn backup_now(dir: &DataDir) -> backup::BackupInfo {
    let store = Store::open(dir).unwrap();
    let info = backup::write_backup_file(&store.reader().unwrap(), reason::MANUAL, &mut |_| {}).unwrap();
    backup::record_backup(&store, &info, backup::PendingBackups::Keep).unwrap();
    info
}

#[tokio::test]
async fn a_manifest_backup_pushes_only_the_pages_the_server_lacks_from_the_page_store() {
    let Some(db) = TestDb::new().await else { return };
    let (_tmp, dir) = small_shop(23);
    let first = backup::create_backup(&Store::open(&dir).unwrap(), reason::MANUAL).unwrap();
    assert!(sonic_core::page_store::is_manifest(&first.file));
    let full = push_one(&db, &dir).await;
    assert_eq!(
        full.records_read,
        paged_records(&first),
        "the first push sends every page"
    );
    assert_pulls_back(&db, &first, &dir).await;

    one_more_sale(&dir);
    let second = backup::create_backup(&Store::open(&dir).unwrap(), reason::MANUAL).unwrap();
    let report = push_one(&db, &dir).await;
    for (section, pages) in &report.uploaded_by_section {
        assert!(*pages <= 2, "{section} uploaded {pages} pages after one sale");
    }
    assert!(report.pages_uploaded >= 1 && report.pages_uploaded < report.pages_total / 4);
    assert!(
        report.records_read <= report.pages_uploaded as u64 * sonic_backup::pages::PAGE_RECORDS as u64,
        "only the uploaded pages are read from the page store"
    );
    assert_pulls_back(&db, &second, &dir).await;
}

/// Every record of the backup, counters and rates included.
fn records(info: &backup::BackupInfo) -> u64 {
    info.counts.values().sum()
}

/// The records of the backup's lists: what its pages hold.
fn paged_records(info: &backup::BackupInfo) -> u64 {
    let paged = |key: &String| {
        let kind = SectionKey::from_key(key).map(SectionKey::kind);
        matches!(kind, Some(SectionKind::Collection(_) | SectionKind::Object(_)))
    };
    info.counts.iter().filter(|(k, _)| paged(k)).map(|(_, n)| n).sum()
}

async fn push_one(db: &TestDb, dir: &DataDir) -> PushReport {
    let pass = push_pending(&db.config, dir).await.unwrap();
    assert!(pass.failed.is_empty(), "{:?}", pass.failed);
    assert_eq!(pass.pushed.len(), 1, "one backup was queued");
    pass.pushed.into_iter().next().unwrap()
}

/// Pulls `made` and checks it gives back exactly the sections it was made of.
async fn assert_pulls_back(db: &TestDb, made: &backup::BackupInfo, dir: &DataDir) {
    let remote = db.config.connect().await.unwrap();
    let pulled = pull(&remote, made.id).await.unwrap();
    let digests = pulled.document.digests().unwrap();
    assert_eq!(snapshot::snapshot_sha256(&digests), made.snapshot_sha256);
    let local = snapshot::read_file(&made.file).unwrap().digests().unwrap();
    assert_eq!(digests, local, "the pulled backup is the local one, section by section");
    let store = snapshot::store_digests(&Store::open(dir).unwrap()).unwrap();
    assert_eq!(digests, store, "and the shop as it was when backed up");
}

#[tokio::test]
async fn the_push_after_one_more_sale_reads_only_the_pages_the_server_lacks() {
    let Some(db) = TestDb::new().await else { return };
    let (_tmp, dir) = small_shop(21);
    let first = backup_now(&dir);
    assert!(index_path(&first.file).exists(), "a backup writes its page index");
    let full = push_one(&db, &dir).await;
    assert_eq!(
        full.records_read,
        paged_records(&first),
        "the first push reads every page (the server has none)"
    );

    one_more_sale(&dir);
    let second = backup_now(&dir);
    let report = push_one(&db, &dir).await;
    let changed: Vec<&String> = first
        .counts
        .keys()
        .filter(|k| first.counts[*k] != second.counts[*k])
        .collect();
    assert!(changed.iter().any(|k| *k == SectionKey::Invoices.as_str()));
    for (section, pages) in &report.uploaded_by_section {
        assert!(
            *pages <= 2,
            "{section} uploaded {pages} pages; one sale changes at most 2 per list"
        );
    }
    assert!(report.pages_uploaded >= 1 && report.pages_uploaded < report.pages_total / 4);
    let page = sonic_backup::pages::PAGE_RECORDS as u64;
    assert!(
        report.records_read <= report.pages_uploaded as u64 * page,
        "only the uploaded pages are read from the file: {} records for {} pages",
        report.records_read,
        report.pages_uploaded
    );
    assert!(
        report.records_read * 4 < records(&second),
        "the push after one sale must not read the shop: {} of {} records",
        report.records_read,
        records(&second)
    );
    eprintln!(
        "after one sale: {} of {} pages uploaded, {} of {} records read",
        report.pages_uploaded,
        report.pages_total,
        report.records_read,
        records(&second)
    );
    assert_pulls_back(&db, &second, &dir).await;
}

/// Writes `json` as a page index with a valid checksum (as the writer does).
fn write_index(path: &std::path::Path, json: &serde_json::Value) {
    let json = serde_json::to_vec(json).unwrap();
    let sum = hex::encode(Sha256::digest(&json));
    let mut bytes = format!("sonic-page-index-v1 {sum}\n").into_bytes();
    bytes.extend_from_slice(&json);
    std::fs::write(path, bytes).unwrap();
}

/// Something that happens to a page index.
type Spoil = fn(&std::path::Path);

#[tokio::test]
async fn a_backup_without_a_usable_page_index_is_pushed_whole_and_correctly() {
    let Some(db) = TestDb::new().await else { return };
    let (_tmp, dir) = small_shop(22);
    backup_now(&dir);
    push_one(&db, &dir).await;

    // What can happen to an index: an old backup has none, a crash or a bad
    // disk damages it, or it names the wrong bytes of the file.
    let cases: [(&str, Spoil); 3] = [
        ("missing", |path| std::fs::remove_file(path).unwrap()),
        ("damaged", |path| {
            let mut bytes = std::fs::read(path).unwrap();
            let at = bytes.len() * 2 / 3;
            bytes[at] ^= 0x04;
            std::fs::write(path, bytes).unwrap();
        }),
        ("pointing at the wrong bytes", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let (_, json) = text.split_once('\n').unwrap();
            let mut index: serde_json::Value = serde_json::from_str(json).unwrap();
            // Every page a little off: whichever the server lacks, it reads wrong.
            for page in index["pages"].as_array_mut().unwrap() {
                let start = page["start"].as_u64().unwrap();
                page["start"] = (start + 1).into();
            }
            write_index(path, &index);
        }),
    ];
    for (what, spoil) in cases {
        one_more_sale(&dir);
        let made = backup_now(&dir);
        spoil(&index_path(&made.file));
        let report = push_one(&db, &dir).await;
        assert_eq!(
            report.records_read,
            records(&made),
            "an index {what}: the backup is read and validated whole"
        );
        assert!(
            report.pages_uploaded >= 1,
            "an index {what}: the new pages are uploaded"
        );
        assert_eq!(
            db.count("SELECT count(*) FROM sonic_backup_pages WHERE body IS NULL")
                .await,
            0,
            "an index {what}: every page on the server is checked"
        );
        assert_pulls_back(&db, &made, &dir).await;
    }
}
