//! `sonic-pos-admin` as a user runs it: real processes on real data
//! directories.

// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn admin(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("SONIC_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("sonic-pos-admin runs")
}

fn ok(data_dir: &Path, args: &[&str]) -> String {
    let out = admin(data_dir, args);
    assert!(
        out.status.success(),
        "`sonic-pos-admin {}` must succeed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sections(file: &Path) -> serde_json::Map<String, Value> {
    let mut v: serde_json::Map<String, Value> = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    v.remove("_meta");
    v
}

#[test]
fn gen_export_import_export_round_trips_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, e) = (tmp.path().join("D"), tmp.path().join("E"));
    let (x, y) = (tmp.path().join("x.json"), tmp.path().join("y.json"));
    ok(&d, &["gen", "--profile", "small"]);
    let check: Value = serde_json::from_str(&ok(&d, &["--json", "check"])).unwrap();
    assert_eq!(check["ok"], true, "generated data must obey every rule: {check}");
    ok(&d, &["export", x.to_str().unwrap()]);
    ok(&e, &["import", x.to_str().unwrap()]);
    ok(&e, &["export", y.to_str().unwrap()]);
    let (sx, sy) = (sections(&x), sections(&y));
    assert_eq!(sx.len(), 16, "an export holds the 16 sections");
    assert_eq!(sx, sy, "x.json and y.json must hold the same 16 sections");
    let verify: Value = serde_json::from_str(&ok(&e, &["--json", "verify", y.to_str().unwrap()])).unwrap();
    assert_eq!(verify["valid"], Value::Bool(true));
    assert_eq!(verify["hashesChecked"], Value::Bool(true));
}

#[test]
fn import_dry_run_changes_nothing_and_prints_now_in_file_after() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/old-pos-export.json");
    let out: Value = serde_json::from_str(&ok(tmp.path(), &["--json", "import", "--dry-run", fixture])).unwrap();
    assert_eq!(out["now"]["sonic_invoices"], 0);
    assert_eq!(out["inFile"]["sonic_invoices"], 2);
    assert_eq!(out["after"]["sonic_invoices"], 2);
    let out = tmp.path().join("after-dry-run.json");
    let counts: Value = serde_json::from_str(&ok(tmp.path(), &["--json", "export", out.to_str().unwrap()])).unwrap();
    assert_eq!(counts["counts"]["sonic_invoices"], 0, "a dry run must not import");
}

#[test]
fn a_bad_file_exits_non_zero_naming_key_record_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"sonic_invoices":[{"id":7,"number":1,"currency":"IQD","lines":[{"itemId":1,"qty":-3,"unitPrice":5}],"total":5}],"sonic_invoice_counter":1}"#,
    )
    .unwrap();
    for cmd in ["import", "verify"] {
        let out = admin(tmp.path(), &[cmd, bad.to_str().unwrap()]);
        assert!(!out.status.success(), "{cmd} of a bad file must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("sonic_invoices record 0 (id 7): field `lines[0].qty`"),
            "{cmd}: {err}"
        );
    }
    let out = admin(tmp.path(), &["--json", "verify", bad.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "Rejected");
    assert_eq!(v["error"]["problems"][0]["field"], "lines[0].qty");
}

#[test]
fn backup_backups_and_restore_by_id() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("D");
    ok(&d, &["gen"]);
    let b: Value = serde_json::from_str(&ok(&d, &["--json", "backup"])).unwrap();
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(b["counts"].as_object().unwrap().len(), 16);
    let list: Value = serde_json::from_str(&ok(&d, &["--json", "backups"])).unwrap();
    assert_eq!(list[0]["id"], id.as_str());

    // Without --yes and without a terminal, restore refuses and changes nothing.
    let out = admin(&d, &["restore", &id[..8]]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));

    let r: Value = serde_json::from_str(&ok(&d, &["--json", "restore", &id[..8], "--yes"])).unwrap();
    assert_eq!(r["restored"], true);
    assert_eq!(r["safetyBackup"]["reason"], "pre_restore");
    let list: Value = serde_json::from_str(&ok(&d, &["--json", "backups"])).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "the backup and the pre_restore safety backup"
    );
}

/// Backups made one after another share the first digits of their ids (a
/// UUIDv7 starts with its time): the list shows short ids from the random
/// end instead, unique in the list, and `verify` and `restore` take each
/// one it printed.
#[test]
fn the_short_ids_the_list_prints_are_unique_and_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("D");
    for _ in 0..3 {
        ok(&d, &["backup"]);
    }
    let text = ok(&d, &["backups"]);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "three backups listed:\n{text}");
    let short: Vec<String> = rows
        .iter()
        .map(|r| r.split_whitespace().next().unwrap().to_string())
        .collect();
    let full: Vec<String> = rows
        .iter()
        .map(|r| r.split_whitespace().nth(6).unwrap().replace('-', ""))
        .collect();
    for (s, f) in short.iter().zip(&full) {
        assert!(
            (8..=12).contains(&s.len()) && f.ends_with(s.as_str()),
            "{s} is the random end of {f}:\n{text}"
        );
    }
    let mut distinct = short.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "no two short ids alike: {short:?}");
    let json: Value = serde_json::from_str(&ok(&d, &["--json", "backups"])).unwrap();
    assert_eq!(json[0]["shortId"], short[0].as_str());
    for s in &short {
        let v: Value = serde_json::from_str(&ok(&d, &["--json", "verify", s])).unwrap();
        assert_eq!(v["valid"], true, "verify {s}");
    }
    let r: Value = serde_json::from_str(&ok(&d, &["--json", "restore", &short[2], "--yes"])).unwrap();
    assert_eq!(r["restored"], true, "restore {}", short[2]);
}

/// A shop's folder on a Windows till is often named in Arabic, with spaces
/// (`C:\\Users\\…\\متجر الهواتف`); every file the tool writes and reads
/// there must work. Runs on Linux and, through scripts/check-windows, as a
/// Windows program under Wine.
#[test]
fn gen_export_backup_verify_restore_in_a_folder_named_in_arabic_with_spaces() {
    let tmp = tempfile::tempdir().unwrap();
    let shop = tmp.path().join("متجر الهواتف 1");
    let d = shop.join("بيانات المتجر");
    ok(&d, &["gen"]);
    let export = shop.join("تصدير كامل.json");
    let exported: Value = serde_json::from_str(&ok(&d, &["--json", "export", export.to_str().unwrap()])).unwrap();
    assert!(export.is_file(), "the export is written under the Arabic folder name");

    let b: Value = serde_json::from_str(&ok(&d, &["--json", "backup"])).unwrap();
    let id = b["id"].as_str().unwrap().to_string();
    let file = PathBuf::from(b["file"].as_str().unwrap());
    assert!(
        file.starts_with(&d),
        "the backup is in the data folder: {}",
        file.display()
    );
    assert!(file.is_file());

    for checked in [&export, &file] {
        let v: Value = serde_json::from_str(&ok(&d, &["--json", "verify", checked.to_str().unwrap()])).unwrap();
        assert_eq!(v["valid"], true, "{} verifies", checked.display());
    }

    // Replace the shop with another one, then restore the backup.
    let other = tmp.path().join("other");
    ok(&other, &["gen", "--seed", "7"]);
    let other_export = shop.join("other.json");
    ok(&other, &["export", other_export.to_str().unwrap()]);
    ok(&d, &["import", "--replace", other_export.to_str().unwrap()]);
    assert_ne!(
        digest(&d, &shop, "بعد الاستيراد.json"),
        exported["snapshotSha256"].as_str().unwrap(),
        "the import replaced the shop"
    );
    let restored: Value = serde_json::from_str(&ok(&d, &["--json", "restore", &id, "--yes"])).unwrap();
    assert_eq!(restored["restored"], true);
    // The restore logs itself in the activity log; every other section is
    // the backed-up one again.
    let after = shop.join("بعد الاستعادة.json");
    ok(&d, &["export", after.to_str().unwrap()]);
    let without_activity = |file: &Path| {
        let mut v = sections(file);
        v.remove("sonic_activity_data");
        v
    };
    assert_eq!(without_activity(&after), without_activity(&export));
}

fn digest(d: &Path, tmp: &Path, name: &str) -> String {
    let file: PathBuf = tmp.join(name);
    let v: Value = serde_json::from_str(&ok(d, &["--json", "export", file.to_str().unwrap()])).unwrap();
    v["snapshotSha256"].as_str().unwrap().to_string()
}

/// How many times the restore and the backup are killed: `SONIC_KILLS`
/// (scripts/reliability: 1000), 50 by default.
fn kills() -> u32 {
    std::env::var("SONIC_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 3)
        .unwrap_or(50)
}

/// The `i`-th of `n` kill points, spread over `[0, span)` in a scattered
/// order (a fixed permutation, so a failure can be re-run).
fn kill_point(i: u32, n: u32, span: std::time::Duration) -> std::time::Duration {
    let scattered = (u64::from(i) * 7919 % u64::from(n)) as u32;
    span * scattered / n
}

/// A restore killed at any moment leaves the old state or the new one, never
/// a mix, and the database stays sound.
#[test]
fn a_restore_killed_midway_leaves_the_old_or_the_new_state() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, src) = (tmp.path().join("D"), tmp.path().join("SRC"));
    ok(&src, &["gen", "--seed", "99"]);
    let file = tmp.path().join("new.json");
    ok(&src, &["export", file.to_str().unwrap()]);
    let new_state = digest(&src, tmp.path(), "n.json");
    ok(&d, &["gen", "--seed", "1"]);
    let old_state = digest(&d, tmp.path(), "o.json");
    assert_ne!(old_state, new_state);

    // How long a whole restore takes here, on a copy, to spread the kills over it.
    let copy = tmp.path().join("COPY");
    ok(&copy, &["import", tmp.path().join("o.json").to_str().unwrap()]);
    let started = std::time::Instant::now();
    ok(&copy, &["restore", file.to_str().unwrap(), "--yes"]);
    let full = started.elapsed();

    let (mut saw_old, mut saw_new) = (0u32, 0u32);
    let attempts = kills();
    for attempt in 0..attempts {
        // From 0 to 1.2x the full time, and a last one after it ended.
        let wait = kill_point(attempt, attempts - 1, full * 6 / 5);
        let mut child = Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"))
            .arg("--data-dir")
            .arg(&d)
            .args(["restore", file.to_str().unwrap(), "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if attempt + 1 == attempts {
            // The last one is killed only after it ended by itself: however
            // slow the machine (Wine, a loaded CI), one kill comes after the commit.
            let _ = child.wait();
        } else {
            std::thread::sleep(wait);
        }
        let _ = child.kill(); // SIGKILL (TerminateProcess on Windows)
        let _ = child.wait();
        let now = digest(&d, tmp.path(), "check.json");
        // A finished restore adds an activity entry, so "new" means: the new
        // file's sections with one more activity line. Compare invoices instead.
        let check = sections(&tmp.path().join("check.json"));
        let newer = sections(&file);
        if now == old_state {
            saw_old += 1;
        } else {
            assert_eq!(
                check["sonic_invoices"], newer["sonic_invoices"],
                "attempt {attempt}: a mix of old and new"
            );
            assert_eq!(
                check["sonic_shop_data"], newer["sonic_shop_data"],
                "attempt {attempt}: a mix of old and new"
            );
            saw_new += 1;
            // Put the old state back for the next attempt.
            let o = tmp.path().join("o.json");
            let _ = std::fs::remove_dir_all(&d);
            ok(&d, &["import", o.to_str().unwrap()]);
        }
        let check: Value = serde_json::from_str(&ok(&d, &["--json", "check"])).unwrap();
        assert_eq!(check["ok"], true, "attempt {attempt}: integrity_check must pass");
    }
    assert!(saw_old > 0, "a kill before the commit must leave the old state");
    assert!(saw_new > 0, "a kill after the commit must leave the new state");
    eprintln!("restore kills: {attempts}; left the old state: {saw_old}, the new state: {saw_new}, a mix: 0");
}

/// An import into an empty store killed at any moment (while the file is
/// read into the staging database, or while the store is written) leaves
/// the store empty or holding all of the file, never a part of it; the
/// staging database the killed process left is removed at the next open.
#[test]
fn an_import_killed_midway_leaves_an_empty_store_or_all_of_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, src) = (tmp.path().join("D"), tmp.path().join("SRC"));
    ok(&src, &["gen", "--seed", "7"]);
    let file = tmp.path().join("shop.json");
    ok(&src, &["export", file.to_str().unwrap()]);
    let whole = sections(&file);

    let started = std::time::Instant::now();
    ok(&tmp.path().join("TIMING"), &["import", file.to_str().unwrap()]);
    let full = started.elapsed();

    let staging = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("staging-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (mut saw_empty, mut saw_all, mut saw_staging_left) = (0u32, 0u32, 0u32);
    let attempts = (kills() / 2).max(3);
    for attempt in 0..attempts {
        let _ = std::fs::remove_dir_all(&d);
        let mut child = Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"))
            .arg("--data-dir")
            .arg(&d)
            .args(["import", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if attempt + 1 == attempts {
            let _ = child.wait();
        } else {
            std::thread::sleep(kill_point(attempt, attempts - 1, full * 6 / 5));
        }
        let _ = child.kill();
        let _ = child.wait();
        if !staging(&d).is_empty() {
            saw_staging_left += 1;
        }
        let check: Value = serde_json::from_str(&ok(&d, &["--json", "check"])).unwrap();
        assert_eq!(check["ok"], true, "attempt {attempt}: the store must be sound: {check}");
        assert!(
            staging(&d).is_empty(),
            "attempt {attempt}: opening the store removes the killed import's staging database: {:?}",
            staging(&d)
        );
        let now_file = tmp.path().join("now.json");
        ok(&d, &["export", now_file.to_str().unwrap()]);
        let now = sections(&now_file);
        let records: usize = now.values().map(|v| v.as_array().map_or(0, Vec::len)).sum();
        if records == 0 {
            saw_empty += 1;
            // The import can simply be run again.
            ok(&d, &["import", file.to_str().unwrap()]);
        } else {
            assert_eq!(now, whole, "attempt {attempt}: a part of the file was imported");
            saw_all += 1;
        }
    }
    assert!(saw_empty > 0, "a kill before the commit must leave the store empty");
    assert!(saw_all > 0, "a kill after the commit must leave all of the file");
    eprintln!(
        "import kills: {attempts}; empty: {saw_empty}, all of the file: {saw_all}, a part: 0; \
         staging left by the kill (and removed at the next open): {saw_staging_left}"
    );
}

/// A backup killed at any moment never leaves a damaged file under a
/// backup's name, every listed backup verifies, and the next backup clears
/// the temporary files the killed ones left.
#[test]
fn a_backup_killed_midway_never_leaves_a_damaged_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("D");
    ok(&d, &["gen"]);
    let started = std::time::Instant::now();
    ok(&d, &["backup"]);
    let full = started.elapsed();
    let attempts = kills();
    for attempt in 0..attempts {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"))
            .arg("--data-dir")
            .arg(&d)
            .arg("backup")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(kill_point(attempt, attempts, full * 5 / 4));
        let _ = child.kill();
        let _ = child.wait();
    }
    eprintln!("backup kills: {attempts}; every file under a backup's name verifies");
    let list: Value = serde_json::from_str(&ok(&d, &["--json", "backups"])).unwrap();
    for b in list.as_array().unwrap() {
        let file = b["file"].as_str().unwrap();
        ok(&d, &["verify", file]);
    }
    for entry in std::fs::read_dir(d.join("backups")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        // A backup's page index (`.pages`) is not a backup: a push checks it
        // and reads the backup whole without a sound one.
        if !name.starts_with(".tmp-") && !name.ends_with(".pages") && name != "pages" {
            ok(&d, &["verify", d.join("backups").join(&name).to_str().unwrap()]);
        }
    }
    ok(&d, &["backup"]);
    let leftovers: Vec<String> = std::fs::read_dir(d.join("backups"))
        .unwrap()
        .chain(std::fs::read_dir(d.join("backups").join("pages")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "stale temporary files must be cleared: {leftovers:?}"
    );
}

/// Copies a closed data directory (files and folders).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every manifest in the backups folder reads whole: no page it needs is
/// missing or damaged.
fn every_manifest_reads_whole(d: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(d.join("backups")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".manifest.zst") && !name.starts_with(".tmp-") {
            ok(d, &["verify", path.to_str().unwrap()]);
            n += 1;
        }
    }
    n
}

#[test]
fn retention_killed_while_removing_pages_never_leaves_a_manifest_with_a_missing_page() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    ok(&base, &["gen"]);
    // Six backups with sales between them: each newer one shares most
    // pages with the one before, and each has a few of its own.
    for _ in 0..6 {
        ok(&base, &["backup"]);
        ok(&base, &["sell-stream", "--count", "3"]);
    }
    let pages = |d: &Path| std::fs::read_dir(d.join("backups").join("pages")).unwrap().count();
    let timing = tmp.path().join("timing");
    copy_tree(&base, &timing);
    let started = std::time::Instant::now();
    ok(&timing, &["prune", "--keep-last", "1", "--unpushed"]);
    let full = started.elapsed();
    assert!(pages(&timing) < pages(&base), "a whole prune removes pages");
    assert_eq!(every_manifest_reads_whole(&timing), 1);
    let attempts = kills().min(30);
    for attempt in 0..attempts {
        let d = tmp.path().join(format!("kill-{attempt}"));
        copy_tree(&base, &d);
        let mut child = Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"))
            .arg("--data-dir")
            .arg(&d)
            .args(["prune", "--keep-last", "1", "--unpushed"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(kill_point(attempt, attempts, full * 5 / 4));
        let _ = child.kill();
        let _ = child.wait();
        let left = every_manifest_reads_whole(&d);
        assert!(left >= 1, "the newest backup is always kept");
        // A prune run again finishes the job.
        ok(&d, &["prune", "--keep-last", "1", "--unpushed"]);
        assert_eq!(every_manifest_reads_whole(&d), 1);
        assert_eq!(
            pages(&d),
            pages(&timing),
            "and leaves exactly the pages the kept backup needs"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
    eprintln!("prune kills: {attempts}; every manifest left reads whole");
}
