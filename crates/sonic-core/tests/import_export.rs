//! Export, import and restore against real database files in temporary
//! directories.

// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use sonic_core::backup;
use sonic_core::restore::{self, ImportMode};
use sonic_core::snapshot::{self, ExportInfo};
use sonic_core::{DataDir, Error, SectionKey, Store};
use std::path::{Path, PathBuf};

const OLD_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/old-pos-export.json");

fn store(dir: &Path) -> Store {
    Store::open(&DataDir::at(dir)).expect("a store opens in a temporary directory")
}

fn export_bytes(store: &Store) -> Vec<u8> {
    let mut out = Vec::new();
    snapshot::export(
        store,
        &ExportInfo {
            reason: "test".into(),
            backup_id: None,
        },
        &mut out,
    )
    .unwrap();
    out
}

/// The part of an export before `_meta`: the 16 sections, byte for byte.
fn sections_bytes(store: &Store) -> Vec<u8> {
    let bytes = export_bytes(store);
    let at = bytes
        .windows(8)
        .rposition(|w| w == b"\"_meta\":")
        .expect("an export ends with _meta");
    bytes[..at].to_vec()
}

fn sections(bytes: &[u8]) -> serde_json::Map<String, Value> {
    let mut v: serde_json::Map<String, Value> = serde_json::from_slice(bytes).unwrap();
    v.remove("_meta");
    v
}

#[test]
fn gen_export_import_export_gives_identical_sections_and_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = store(&tmp.path().join("a"));
    sonic_core::gen::generate(&mut a, sonic_core::gen::Profile::Small, 11).unwrap();
    let x = tmp.path().join("x.json");
    let meta_x = snapshot::export_file(
        &a,
        &x,
        &ExportInfo {
            reason: "export".into(),
            backup_id: None,
        },
    )
    .unwrap();

    let mut b = store(&tmp.path().join("b"));
    let doc = snapshot::read_file(&x).unwrap();
    assert!(
        doc.warnings.is_empty(),
        "our own export has nothing to warn about: {:?}",
        doc.warnings
    );
    restore::import(&mut b, &doc, ImportMode::IntoEmpty, "x.json").unwrap();
    let y = tmp.path().join("y.json");
    let meta_y = snapshot::export_file(
        &b,
        &y,
        &ExportInfo {
            reason: "export".into(),
            backup_id: None,
        },
    )
    .unwrap();

    assert_eq!(
        meta_x.sections, meta_y.sections,
        "every section hash and count must survive the round trip"
    );
    assert_eq!(meta_x.snapshot_sha256, meta_y.snapshot_sha256);
    let (sx, sy) = (
        sections(&std::fs::read(&x).unwrap()),
        sections(&std::fs::read(&y).unwrap()),
    );
    assert_eq!(sx.len(), 16);
    assert_eq!(sx, sy);
    let keys: Vec<&str> = {
        let text = std::str::from_utf8(&std::fs::read(&x).unwrap()).unwrap().to_owned();
        let mut order: Vec<(usize, &str)> = SectionKey::ALL
            .iter()
            .map(|k| (text.find(&format!("\"{}\":", k.as_str())).unwrap(), k.as_str()))
            .collect();
        order.sort();
        order.into_iter().map(|(_, k)| k).collect()
    };
    let expected: Vec<&str> = SectionKey::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(keys, expected, "sections appear in the table order of DESIGN.md");
}

#[test]
fn old_pos_file_imports_and_exports_back_with_every_field() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = store(tmp.path());
    let doc = snapshot::read_file(Path::new(OLD_FIXTURE)).unwrap();
    let warnings = doc.warnings.join("\n");
    assert!(
        warnings.contains("\"sonic_theme\" ignored"),
        "unknown keys are reported: {warnings}"
    );
    assert!(warnings.contains("\"exportDate\" ignored"), "{warnings}");
    assert!(warnings.contains("sonic_return_counter is missing"), "{warnings}");
    restore::import(&mut s, &doc, ImportMode::IntoEmpty, "old").unwrap();
    // The old POS's stock *level* records are the stock: item 2 had 19,
    // then a sale of 2; item 1 has its level of 4. (They read 0 before
    // migration 5, so an imported shop could not sell from stock.)
    let level = |item| sonic_core::ops::stock::level(&s, item, "1").unwrap();
    assert_eq!(level("1700000000002"), 17);
    assert_eq!(level("1700000000001"), 4);
    assert_eq!(
        sonic_core::ops::stock::levels(&s, "1700000000002").unwrap(),
        vec![("1".to_string(), 17)]
    );
    let exported = sections(&export_bytes(&s));

    let old: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(OLD_FIXTURE).unwrap()).unwrap();
    for (key, value) in &old {
        let Some(section) = SectionKey::from_key(key) else {
            assert!(!exported.contains_key(key), "unknown key {key} must not be exported");
            continue;
        };
        // localStorage strings hold JSON.
        let original = match value {
            Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.clone())),
            v => v.clone(),
        };
        let got = &exported[section.as_str()];
        match section {
            SectionKey::IqdRate | SectionKey::IqdPerUsd => {
                assert_eq!(got.as_str().unwrap(), original.to_string().trim_matches('"'), "{key}")
            }
            SectionKey::InvoiceCounter => assert_eq!(got, &json!(2)),
            _ => assert_eq!(got, &original, "{key} must come back with every record and field"),
        }
    }
    // Missing counters are derived from the records they number.
    assert_eq!(exported["sonic_return_counter"], json!(1));
    assert_eq!(exported["sonic_store_counter"], json!(1));
    // Arabic text survives.
    assert_eq!(exported["sonic_shop_data"]["customers"][0]["name"], json!("حيدر كاظم"));
    assert_eq!(
        exported["sonic_shop_data"]["lastOpenedTab"],
        json!("sale"),
        "unknown object members are kept"
    );
    assert_eq!(
        exported["sonic_shop_data"]["items"][2]["notes"],
        Value::Null,
        "explicit nulls are kept"
    );
}

/// Each malformed file, with the words its error must contain.
fn malformed_files() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    let good = json!({
        "sonic_shop_data": {"items": [{"id": 1, "name": "Cable", "price": 5000, "currency": "IQD"}], "customers": []},
        "sonic_invoices": [{"id": 10, "number": 1, "currency": "IQD", "lines": [{"itemId": 1, "qty": 1, "unitPrice": 5000}], "total": 5000}],
        "sonic_invoice_counter": 1,
    });
    let with = |pointer: &str, value: Value| {
        let mut v = good.clone();
        *v.pointer_mut(pointer).unwrap() = value;
        serde_json::to_vec(&v).unwrap()
    };
    let text = serde_json::to_vec(&good).unwrap();
    vec![
        (
            "truncated JSON",
            text[..text.len() / 2].to_vec(),
            vec!["not valid JSON", "cut short"],
        ),
        ("not an object", b"[1,2,3]".to_vec(), vec!["must be a JSON object"]),
        (
            "counter not a number",
            with("/sonic_invoice_counter", json!("ten")),
            vec!["sonic_invoice_counter", "counter"],
        ),
        (
            "collection not an array",
            with("/sonic_invoices", json!({"a": 1})),
            vec!["sonic_invoices", "must be a list"],
        ),
        (
            "record not an object",
            with("/sonic_invoices/0", json!(42)),
            vec!["sonic_invoices record 0", "must be an object"],
        ),
        (
            "duplicate id",
            with(
                "/sonic_shop_data/items",
                json!([{"id": 1, "name": "A"}, {"id": 1, "name": "B"}]),
            ),
            vec!["sonic_shop_data record items[1]", "field `id`", "duplicate"],
        ),
        (
            "negative quantity",
            with("/sonic_invoices/0/lines/0/qty", json!(-2)),
            vec!["sonic_invoices record 0", "(id 10)", "field `lines[0].qty`", "negative"],
        ),
        (
            "wrong field type",
            with("/sonic_shop_data/items/0/price", json!("cheap")),
            vec!["sonic_shop_data record items[0]", "field `price`"],
        ),
        (
            "missing required field",
            with("/sonic_invoices/0/total", Value::Null),
            vec!["field `total`"],
        ),
        (
            "unknown currency",
            with("/sonic_invoices/0/currency", json!("EUR")),
            vec!["sonic_invoices record 0", "field `currency`", "EUR"],
        ),
        (
            "rate not positive",
            text.clone().pipe_rate(),
            vec!["sonic_iqd_per_usd", "positive"],
        ),
        (
            "counter below a number in use",
            with("/sonic_invoice_counter", json!(0)),
            vec!["sonic_invoice_counter", "would reuse a number"],
        ),
        (
            "string value that is not JSON",
            with("/sonic_invoices", json!("[{broken")),
            vec!["sonic_invoices", "does not hold valid JSON"],
        ),
        (
            "plain PIN",
            with("/sonic_shop_data/customers", json!([]))
                .pipe_security(json!({"users": [{"id": "u", "name": "x", "role": "owner", "pin": "1234"}]})),
            vec!["sonic_security_state record users[0]", "field `pin`", "plain PIN"],
        ),
        ("hash mismatch", tampered_export(), vec!["sonic_invoices", "SHA-256"]),
        (
            "counter above 2^53 - 1",
            with("/sonic_invoice_counter", json!(u64::MAX)),
            vec!["sonic_invoice_counter", "2^53 - 1"],
        ),
        (
            "lockout settings that turn the lockout off",
            with("/sonic_shop_data/customers", json!([])).pipe_field(
                "/sonic_shop_data/settings",
                json!({"maxPinAttempts": 0, "lockMinutes": i64::MAX}),
            ),
            vec!["sonic_shop_data", "settings.maxPinAttempts", "1 to 10"],
        ),
        (
            "a lock of a lifetime",
            text.clone()
                .pipe_field("/sonic_shop_data/settings", json!({"lockMinutes": i64::MAX})),
            vec!["settings.lockMinutes", "1 to 1440"],
        ),
        (
            "a setting of the wrong type",
            text.clone()
                .pipe_field("/sonic_shop_data/settings", json!({"iqdStep": "ten"})),
            vec!["settings.iqdStep"],
        ),
        (
            "an Argon2 hash asking for 4 TiB",
            text.clone()
                .pipe_security(json!({"users": [{"id": "u", "name": "x", "role": "owner",
                "pinHash": "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}]})),
            vec![
                "sonic_security_state record users[0]",
                "field `pinHash`",
                "m=4294967295",
            ],
        ),
        (
            "snapshot hash changed",
            tampered_meta("/_meta/snapshotSha256", json!("ab".repeat(32))),
            vec!["_meta", "snapshotSha256"],
        ),
        (
            "created in 2099",
            tampered_meta("/_meta/createdAt", json!("2099-01-01T00:00:00Z")),
            vec!["_meta", "createdAt"],
        ),
        (
            "no device id",
            tampered_meta("/_meta/deviceId", json!("")),
            vec!["_meta", "deviceId"],
        ),
        (
            "a compressed backup without _meta",
            without_meta_compressed(),
            vec!["_meta", "compressed"],
        ),
        (
            "bad timestamp",
            with("/sonic_invoices/0/lines/0/qty", json!(1))
                .pipe_field("/sonic_invoices/0/createdAt", json!("yesterday")),
            vec!["field `createdAt`", "RFC 3339"],
        ),
    ]
}

trait Pipe {
    fn pipe_rate(self) -> Vec<u8>;
    fn pipe_security(self, v: Value) -> Vec<u8>;
    fn pipe_field(self, pointer: &str, v: Value) -> Vec<u8>;
}

impl Pipe for Vec<u8> {
    fn pipe_rate(self) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(&self).unwrap();
        v["sonic_iqd_per_usd"] = json!(-1310);
        serde_json::to_vec(&v).unwrap()
    }
    fn pipe_security(self, sec: Value) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(&self).unwrap();
        v["sonic_security_state"] = sec;
        serde_json::to_vec(&v).unwrap()
    }
    fn pipe_field(self, pointer: &str, value: Value) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(&self).unwrap();
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        v.pointer_mut(parent).unwrap()[name] = value;
        serde_json::to_vec(&v).unwrap()
    }
}

/// A real export with one member of `_meta` changed.
fn tampered_meta(pointer: &str, value: Value) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = store(tmp.path());
    sonic_core::gen::generate(&mut s, sonic_core::gen::Profile::Small, 6).unwrap();
    serde_json::to_vec(&serde_json::from_slice::<Value>(&export_bytes(&s)).unwrap())
        .unwrap()
        .pipe_field(pointer, value)
}

/// A real export, compressed as backups are, with `_meta` removed (to skip
/// the hash checks): not an old POS file, whatever it claims.
fn without_meta_compressed() -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = store(tmp.path());
    sonic_core::gen::generate(&mut s, sonic_core::gen::Profile::Small, 7).unwrap();
    let mut v: Value = serde_json::from_slice(&export_bytes(&s)).unwrap();
    v.as_object_mut().unwrap().remove("_meta");
    zstd::encode_all(&serde_json::to_vec(&v).unwrap()[..], 3).unwrap()
}

/// A real export whose invoices were edited after it was written.
fn tampered_export() -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = store(tmp.path());
    sonic_core::gen::generate(&mut s, sonic_core::gen::Profile::Small, 5).unwrap();
    let mut v: Value = serde_json::from_slice(&export_bytes(&s)).unwrap();
    v["sonic_invoices"][0]["total"] = json!(1);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn malformed_files_are_refused_with_a_named_error_and_the_store_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = store(tmp.path());
    sonic_core::gen::generate(&mut s, sonic_core::gen::Profile::Small, 2).unwrap();
    let before = sections_bytes(&s);
    let cases = malformed_files();
    assert!(cases.len() >= 10);
    for (name, bytes, words) in cases {
        let err = snapshot::parse_bytes(&bytes, name).expect_err(name);
        let message = err.to_string();
        assert!(matches!(err, Error::Rejected(_)), "{name}: {err:?}");
        for word in words {
            assert!(
                message.contains(word),
                "{name}: the error must mention {word:?}, got:\n{message}"
            );
        }
        assert!(message.contains("nothing was changed"), "{name}: {message}");
        // Through the file path too, with --replace: still nothing written.
        let file = tmp.path().join("bad.json");
        std::fs::write(&file, &bytes).unwrap();
        assert!(snapshot::read_file(&file).is_err());
        assert_eq!(
            sections_bytes(&s),
            before,
            "{name}: the store must be unchanged byte for byte"
        );
    }
    // And a valid import into a non-empty store is refused without --replace.
    let doc = snapshot::read_file(Path::new(OLD_FIXTURE)).unwrap();
    assert!(matches!(
        restore::import(&mut s, &doc, ImportMode::IntoEmpty, "old"),
        Err(Error::StoreNotEmpty { .. })
    ));
    assert_eq!(sections_bytes(&s), before);
}

#[test]
fn restore_writes_a_pre_restore_backup_then_replaces_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = store(tmp.path());
    sonic_core::gen::generate(&mut s, sonic_core::gen::Profile::Small, 3).unwrap();
    let original = sections(&export_bytes(&s));
    let invoices_before = s.counts().unwrap()[&SectionKey::Invoices];
    assert!(
        invoices_before > 500,
        "gen small makes a shop with hundreds of invoices"
    );
    let old_doc = snapshot::read_file(Path::new(OLD_FIXTURE)).unwrap();

    let outcome = restore::restore(&mut s, &old_doc, "old-pos-export.json", "owner", &mut |_| {}).unwrap();
    assert_eq!(outcome.safety_backup.reason, backup::reason::PRE_RESTORE);
    let invoices = outcome
        .preview
        .sections
        .iter()
        .find(|p| p.key == "sonic_invoices")
        .unwrap();
    assert_eq!((invoices.now, invoices.backup), (invoices_before, 2));

    // The store now holds the old file's data plus one activity entry.
    let counts = s.counts().unwrap();
    assert_eq!(counts[&SectionKey::Invoices], 2);
    assert_eq!(
        counts[&SectionKey::ActivityData],
        3,
        "2 restored entries + the restore itself"
    );

    // The safety backup brings the original back exactly.
    let safety = snapshot::read_file(&outcome.safety_backup.file).unwrap();
    let back = restore::restore(&mut s, &safety, "safety", "owner", &mut |_| {}).unwrap();
    assert!(back.safety_backup.file.exists());
    let (a, b) = (original, sections(&export_bytes(&s)));
    for key in SectionKey::ALL {
        if key != SectionKey::ActivityData {
            assert_eq!(
                a[key.as_str()],
                b[key.as_str()],
                "{key} must be as before the first restore"
            );
        }
    }
    let list = backup::list_backups(&s).unwrap();
    assert_eq!(list.iter().filter(|b| b.reason == "pre_restore").count(), 2);
}

#[test]
fn a_backup_file_with_a_flipped_byte_is_never_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store(tmp.path());
    let info = backup::create_backup(&s, "manual").unwrap();
    let mut bytes = std::fs::read(&info.file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    let damaged: PathBuf = tmp.path().join("damaged.json.zst");
    std::fs::write(&damaged, bytes).unwrap();
    let err = snapshot::read_file(&damaged).unwrap_err();
    assert!(matches!(err, Error::Rejected(_)), "{err}");
}
