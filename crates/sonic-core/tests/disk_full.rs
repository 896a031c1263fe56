//! A full disk: sales and backups fail with a clear "disk full" error, the
//! database stays sound, no partial backup file is left, and work resumes
//! when space returns. Uses a small tmpfs (needs root, as CI runs), so it is
//! Linux only; how each OS's disk-full error is recognised is tested in
//! `error.rs` on every OS (Windows under Wine).
#![cfg(target_os = "linux")]
// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Shop;
use sonic_core::ops::{audit, sale};
use sonic_core::sections::{Currency, Role};
use sonic_core::{backup, DataDir, Error, Store};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, bytes: u64) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(path)
            .output();
        match out {
            Ok(o) if o.status.success() => SmallDisk {
                path: path.to_path_buf(),
            },
            other => panic!(
                "the disk-full test mounts a small tmpfs and needs root (CI runs as root): {other:?}. \
                 Run the tests as root, e.g. `sudo -E scripts/test`"
            ),
        }
    }

    fn resize(&self, bytes: u64) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.path)
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount of the tmpfs must work");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// A sale of one 5,000 IQD cable, paid exactly.
fn one_cable(item: &str) -> sale::SaleInput {
    sale::SaleInput::cash(&[(item, 1)], Currency::Iqd, 5000)
}

#[test]
fn a_full_disk_refuses_sales_and_backups_cleanly_and_work_resumes_after() {
    let tmp = tempfile::tempdir().unwrap();
    // A shop on the normal disk.
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5000, 4000, 1_000_000);
    let cashier = common::actor("cashier", Role::Cashier);
    let ctx = shop.ctx_as(&cashier, &shop.main.clone());
    let src = shop.store.data_dir().clone();
    let used: u64 = std::fs::read_dir(src.root())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    // The same shop on a disk with little room left.
    let disk = SmallDisk::mount(&tmp.path().join("disk"), used + 256 * 1024);
    copy_dir(src.root(), &disk.path);
    drop(shop);
    let dir = DataDir::at(&disk.path);
    let mut store = Store::open(&dir).unwrap();

    let mut sold = Vec::new();
    let err = loop {
        let input = one_cable(&item);
        match sale::sell(&mut store, &ctx, &input) {
            Ok(r) => sold.push(r.invoice.number),
            Err(e) => break e,
        }
        assert!(sold.len() < 100_000, "the small disk must fill up");
    };
    assert!(
        matches!(err, Error::DiskFull { .. }),
        "a full disk must say so, got {err:?}"
    );
    assert_eq!(err.code(), "DiskFull");
    assert!(err.to_string().contains("free some space"), "{err}");

    // Nothing half-written: the file is sound, every rule holds, every sale is there.
    store.integrity_check().unwrap();
    assert!(audit::audit(&store).unwrap().is_empty());
    for n in &sold {
        assert!(sale::invoice_by_number(&store, *n).unwrap().is_some());
    }

    // A backup on the full disk fails cleanly: no file, no leftovers, not listed.
    let before = backup::list_backups(&store).unwrap().len();
    let err = backup::create_backup(&store, "manual").unwrap_err();
    assert!(matches!(err, Error::DiskFull { .. }), "got {err:?}");
    // The page folder may hold whole pages written before the disk filled
    // (each renamed into place complete; no manifest needs them, so the
    // next retention removes them), never a temporary file.
    let pages = dir.backups().join("pages");
    let leftovers: Vec<_> = std::fs::read_dir(dir.backups())
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|name| name.to_string_lossy() != "pages")
        .chain(
            std::fs::read_dir(&pages)
                .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .filter(|name| name.to_string_lossy().starts_with(".tmp-")),
        )
        .collect();
    assert!(
        leftovers.is_empty(),
        "no partial backup file may be left: {leftovers:?}"
    );
    assert_eq!(backup::list_backups(&store).unwrap().len(), before);

    // Space comes back: selling and backing up work again.
    disk.resize(64 * 1024 * 1024);
    let input = one_cable(&item);
    let r = sale::sell(&mut store, &ctx, &input).unwrap();
    assert_eq!(
        r.invoice.number,
        sold.last().copied().unwrap_or(0) + 1,
        "numbering goes on without a gap"
    );
    let b = backup::create_backup(&store, "manual").unwrap();
    if let Err(e) = sonic_core::snapshot::read_file(&b.file) {
        panic!("the backup made after space came back must read back: {e}");
    }
    drop(store);
}
