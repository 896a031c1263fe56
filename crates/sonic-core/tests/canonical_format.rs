//! Backups hash the project's canonical JSON (format 2), and format 1 files,
//! hashed over the text the serde_json of their build wrote, still verify.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use sha2::{Digest, Sha256};
use sonic_core::canonical;
use sonic_core::restore::{self, ImportMode};
use sonic_core::snapshot::{self, ExportInfo, SectionDigest};
use sonic_core::{DataDir, SectionKey, Store};
use std::collections::BTreeMap;
use std::path::Path;

/// An old POS file whose customer carries fields Sonic POS does not know,
/// holding non-integer numbers (kept as they are by the import).
const OLD_FILE: &str = r#"{"sonic_shop_data":{"items":[],"transactions":[],"customers":[
    {"id":"c1","name":"Ali","score":1e16,"ratio":1.0,"neg":-0.0,"tiny":5e-324,"small":1.5e-7}]}}"#;

fn store(dir: &Path) -> Store {
    Store::open(&DataDir::at(dir)).unwrap()
}

fn export(store: &Store, path: &Path) {
    snapshot::export_file(
        store,
        path,
        &ExportInfo {
            reason: "export".into(),
            backup_id: None,
        },
    )
    .unwrap();
}

fn shop_data_hash(path: &Path) -> String {
    let file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    file["_meta"]["sections"]["sonic_shop_data"]["sha256"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_export_is_format_2_and_a_format_1_file_verifies_in_its_own_number_form() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.json");
    std::fs::write(&old, OLD_FILE).unwrap();
    let mut a = store(&tmp.path().join("a"));
    restore::import(
        &mut a,
        &snapshot::read_file(&old).unwrap(),
        ImportMode::IntoEmpty,
        "old",
    )
    .unwrap();
    let v2 = tmp.path().join("v2.json");
    export(&a, &v2);
    let text = std::fs::read_to_string(&v2).unwrap();
    assert!(
        text.contains(r#""neg":-0.0,"ratio":1.0,"score":1e16,"small":1.5e-7,"tiny":5e-324"#),
        "{text}"
    );
    let doc = snapshot::read_file(&v2).unwrap();
    assert_eq!(doc.meta.as_ref().map(|m| m.format_version), Some(2));

    // The same backup as format 1 wrote it: with serde_json up to 1.0.153
    // the same text (the canonical form is that layout); with 1.0.154
    // `1e+16`, hashed over that text.
    {
        let mut file: Value = serde_json::from_str(&text).unwrap();
        let section_text = canonical::to_string_format1(&file["sonic_shop_data"]);
        assert!(section_text.contains(r#""score":1e+16"#), "{section_text}");
        let meta = file["_meta"].as_object_mut().unwrap();
        meta.insert("formatVersion".into(), 1.into());
        meta["sections"]["sonic_shop_data"]["sha256"] = hex::encode(Sha256::digest(section_text.as_bytes())).into();
        let digests: BTreeMap<SectionKey, SectionDigest> = SectionKey::ALL
            .into_iter()
            .map(|k| (k, serde_json::from_value(meta["sections"][k.as_str()].clone()).unwrap()))
            .collect();
        meta.insert("snapshotSha256".into(), snapshot::snapshot_sha256(&digests).into());
        let v1 = tmp.path().join("v1.json");
        std::fs::write(&v1, canonical::to_string_format1(&file)).unwrap();
        let doc = snapshot::read_file(&v1).unwrap();
        assert_eq!(doc.meta.as_ref().map(|m| m.format_version), Some(1));

        // Restored, it is written (and hashed) in the canonical form again.
        let mut b = store(&tmp.path().join("b"));
        restore::import(&mut b, &doc, ImportMode::IntoEmpty, "v1").unwrap();
        let again = tmp.path().join("again.json");
        export(&b, &again);
        assert_eq!(shop_data_hash(&again), shop_data_hash(&v2));

        // The same text claiming format 2 does not verify.
        let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&v1).unwrap()).unwrap();
        file["_meta"]["formatVersion"] = 2.into();
        std::fs::write(&v1, canonical::to_string_format1(&file)).unwrap();
        let err = snapshot::read_file(&v1).unwrap_err().to_string();
        assert!(err.contains("sonic_shop_data"), "{err}");
    }
}

#[test]
fn schema_7_rewrites_a_body_stored_in_serde_json_form() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::at(tmp.path());
    let old = tmp.path().join("old.json");
    std::fs::write(&old, OLD_FILE).unwrap();
    let mut a = store(tmp.path());
    restore::import(
        &mut a,
        &snapshot::read_file(&old).unwrap(),
        ImportMode::IntoEmpty,
        "old",
    )
    .unwrap();
    let v2 = tmp.path().join("v2.json");
    export(&a, &v2);
    drop(a);
    // As a build before schema 7 stored it.
    let conn = rusqlite::Connection::open(dir.database()).unwrap();
    let body: String = conn.query_row("SELECT body FROM customers", [], |r| r.get(0)).unwrap();
    let value: Value = serde_json::from_str(&body).unwrap();
    let serde_text = canonical::to_string_format1(&value);
    assert_ne!(serde_text, body);
    conn.execute("UPDATE customers SET body = ?1", [&serde_text]).unwrap();
    conn.pragma_update(None, "user_version", 6).unwrap();
    drop(conn);

    let a = store(tmp.path());
    let after = tmp.path().join("after.json");
    export(&a, &after);
    assert_eq!(shop_data_hash(&after), shop_data_hash(&v2));
    snapshot::read_file(&after).unwrap();
}
