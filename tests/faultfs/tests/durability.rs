//! The durability promise of `sonic-core` on a disk that loses what was not
//! synced: power cuts during sales, a backup, a restore and an import;
//! `fsync` failing with EIO; the disk filling up (ENOSPC).
//!
//! Counts (quick defaults here, the long form in `scripts/reliability`):
//! `SONIC_POWER_CUTS` (sales, 30), `SONIC_BACKUP_CUTS` (each of backup,
//! restore, import, 10), `SONIC_FSYNC_FAULTS` (sales 10; a restore and an
//! import: EIO at each of their fsyncs once, plus this many at random, 0),
//! `SONIC_ENOSPC_FAULTS` (10). `SONIC_STALL_SECS` (300) bounds a stall.
//! `SONIC_TEST_SYNCHRONOUS=NORMAL` (debug builds) weakens the store to show
//! that these tests catch the loss.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sonic_core::ops::catalog::{self, ItemInput};
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::stores::{self, StoreInput};
use sonic_core::ops::{audit, sale, security, stock, Ids, OpCtx};
use sonic_core::restore::{self, ImportMode};
use sonic_core::sections::{Currency, Rate};
use sonic_core::snapshot;
use sonic_core::{backup, DataDir, Error, SectionKey, Store};
use sonic_faultfs::{fuse_available, Control, FaultFs};
use std::collections::BTreeMap;
use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn count(var: &str, quick: u64) -> u64 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(quick)
}

fn seed() -> u64 {
    let seed = std::env::var("SONIC_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("seed {seed} (SONIC_SEED={seed} repeats this run)");
    seed
}

/// Fails a stalled run instead of letting it hang CI: if the test makes no
/// progress ([`Stall::progress`]) for `SONIC_STALL_SECS` seconds (300 by
/// default; a round takes well under a second), it says where on stderr,
/// aborts the FUSE connection (every call waiting on the mount fails, so
/// the test fails with that error) and, if the test is still there 30 s
/// later, ends the process with a failure.
struct Stall {
    shared: Arc<Mutex<(Instant, String, Control)>>,
    done: Arc<AtomicBool>,
}

impl Stall {
    fn new(test: &'static str, control: Control) -> Stall {
        let bound = Duration::from_secs(count("SONIC_STALL_SECS", 300));
        let shared = Arc::new(Mutex::new((Instant::now(), "start".to_string(), control)));
        let done = Arc::new(AtomicBool::new(false));
        let (s, d) = (Arc::clone(&shared), Arc::clone(&done));
        std::thread::spawn(move || {
            while !d.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                let (since, at, control) = {
                    let g = s.lock().unwrap();
                    (g.0, g.1.clone(), g.2.clone())
                };
                if since.elapsed() < bound || d.load(Ordering::SeqCst) {
                    continue;
                }
                // Abort first: a waiting call then fails, and nothing here
                // waits on the file system.
                let aborted = control.abort_connection();
                let message = format!(
                    "STALLED: {test} made no progress for {} s at {at}; {}; {}\n",
                    bound.as_secs(),
                    if aborted {
                        "the FUSE connection is aborted, so the waiting call fails"
                    } else {
                        "the FUSE connection could not be aborted"
                    },
                    control.diagnostics(),
                );
                // Straight to stderr: the harness does not capture it.
                let _ = std::io::stderr().write_all(message.as_bytes());
                for _ in 0..150 {
                    std::thread::sleep(Duration::from_millis(200));
                    if d.load(Ordering::SeqCst) {
                        return;
                    }
                }
                let _ = std::io::stderr().write_all(format!("STALLED: {test} still stuck; exiting\n").as_bytes());
                std::process::exit(101);
            }
        });
        Stall { shared, done }
    }

    /// The test got on to `at`.
    fn progress(&self, at: impl Into<String>) {
        let mut g = self.shared.lock().unwrap();
        g.0 = Instant::now();
        g.1 = at.into();
    }

    /// The file system was mounted again (a new FUSE connection).
    fn remounted(&self, control: Control) {
        let mut g = self.shared.lock().unwrap();
        g.0 = Instant::now();
        g.2 = control;
    }
}

impl Drop for Stall {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

/// One acknowledged sale: what the till printed.
#[derive(Debug, Clone)]
struct Acked {
    number: u64,
    id: String,
    total: i64,
}

/// A shop whose data directory is on the fault file system.
struct Rig {
    store: Option<Store>,
    dir: DataDir,
    ctx: OpCtx,
    items: Vec<(String, i64)>,
    acked: Vec<Acked>,
    stall: Stall,
    fs: FaultFs,
    _backing: tempfile::TempDir,
    _mnt: tempfile::TempDir,
}

impl Rig {
    fn new(test: &'static str) -> Option<Rig> {
        if !fuse_available() {
            return None;
        }
        let backing = tempfile::tempdir().unwrap();
        let mnt = tempfile::tempdir().unwrap();
        let fs = FaultFs::mount(backing.path(), mnt.path()).unwrap();
        let stall = Stall::new(test, fs.control());
        let dir = DataDir::at(fs.path().join("sonic"));
        let mut store = Store::open(&dir).unwrap();
        let owner = security::bootstrap_owner(&mut store, "Owner", "654321").unwrap();
        let mut ctx = OpCtx {
            actor: owner,
            store_id: String::new(),
            at: chrono::DateTime::from_timestamp(1_740_819_600, 0).unwrap(),
            ids: Ids::Random,
        };
        let main = stores::create_store(
            &mut store,
            &ctx,
            &StoreInput {
                name: "Main".into(),
                address: None,
                phone: None,
                allow_negative_stock: false,
            },
        )
        .unwrap();
        ctx.store_id = main.id.key();
        rates::set_rate(&mut store, &ctx, RateKind::IqdPerUsd, Rate::from_str("1310").unwrap()).unwrap();
        let mut items = Vec::new();
        for (name, price) in [("Cable", 5000), ("Charger", 12_500), ("Case", 2500)] {
            let item = catalog::create_item(
                &mut store,
                &ctx,
                &ItemInput {
                    name: name.into(),
                    barcode: None,
                    category: None,
                    currency: Currency::Iqd,
                    price,
                    cost: price / 2,
                },
            )
            .unwrap();
            stock::receive(&mut store, &ctx, &item.id.key(), 100_000_000, 0).unwrap();
            items.push((item.id.key(), price));
        }
        Some(Rig {
            store: Some(store),
            dir,
            ctx,
            items,
            acked: Vec::new(),
            stall,
            fs,
            _backing: backing,
            _mnt: mnt,
        })
    }

    fn store(&mut self) -> &mut Store {
        self.store.as_mut().expect("the store is open")
    }

    fn sale_input(&self, rng: &mut ChaCha8Rng) -> sale::SaleInput {
        let n = rng.random_range(1..=3);
        let lines: Vec<(&str, i64)> = (0..n)
            .map(|_| {
                let (id, _) = &self.items[rng.random_range(0..self.items.len())];
                (id.as_str(), rng.random_range(1..=4))
            })
            .collect();
        let total: i64 = lines
            .iter()
            .map(|(id, q)| q * self.items.iter().find(|(i, _)| i == id).map(|(_, p)| *p).unwrap_or(0))
            .sum();
        sale::SaleInput::cash(&lines, Currency::Iqd, total)
    }

    /// One sale; an acknowledged one is remembered.
    fn sell(&mut self, rng: &mut ChaCha8Rng) -> Result<(), Error> {
        let input = self.sale_input(rng);
        let ctx = OpCtx {
            actor: self.ctx.actor.clone(),
            store_id: self.ctx.store_id.clone(),
            at: self.ctx.at,
            ids: Ids::Random,
        };
        let receipt = sale::sell(self.store(), &ctx, &input)?;
        self.acked.push(Acked {
            number: receipt.invoice.number,
            id: receipt.invoice.id.key(),
            total: receipt.invoice.total,
        });
        Ok(())
    }

    /// The machine goes down (if the power is still on, it is cut now) and
    /// starts again: the store is reopened on what the disk kept.
    fn restart(&mut self) {
        drop(self.store.take());
        if let Err(e) = self.fs.restart() {
            panic!("the machine could not start again: {e}");
        }
        self.stall.remounted(self.fs.control());
        self.store =
            Some(Store::open(&self.dir).unwrap_or_else(|e| panic!("the store must open after a restart: {e}")));
    }

    /// Every acknowledged sale is there, whole; the file is sound; every
    /// audit rule holds when `full`.
    fn check(&mut self, full: bool) {
        let acked = self.acked.clone();
        let store = self.store();
        store.integrity_check().expect("integrity_check after a restart");
        let mut lost = Vec::new();
        for a in &acked {
            match sale::invoice_by_number(store, a.number).unwrap() {
                Some(inv) if inv.id.key() == a.id && inv.total == a.total => {}
                other => lost.push((a.number, other.map(|i| i.id.key()))),
            }
        }
        assert!(
            lost.is_empty(),
            "{} of {} acknowledged sales lost or changed after a power cut (number, what is there): {:?}",
            lost.len(),
            acked.len(),
            &lost[..lost.len().min(10)]
        );
        if full {
            let problems = audit::audit(store).unwrap();
            assert!(problems.is_empty(), "audit after a restart: {problems:?}");
        }
    }

    /// How many changes (writes, syncs, renames…) `op` makes on the disk.
    fn changes_of(&mut self, op: impl FnOnce(&mut Rig)) -> u64 {
        let before = self.fs.control().counters().changes;
        op(self);
        self.fs.control().counters().changes - before
    }

    fn digests_but_activity(&mut self) -> BTreeMap<SectionKey, snapshot::SectionDigest> {
        let mut d = snapshot::store_digests(self.store()).unwrap();
        d.remove(&SectionKey::ActivityData);
        d
    }

    /// Every backup listed is there and verifies.
    fn listed_backups_verify(&mut self) -> Vec<String> {
        let list = backup::list_backups(self.store()).unwrap();
        list.iter()
            .map(|b| {
                if let Err(e) = snapshot::read_file(&b.file) {
                    panic!("backup {} is listed but does not verify after a power cut: {e}", b.id);
                }
                b.id.to_string()
            })
            .collect()
    }
}

#[test]
fn power_cuts_during_sales_lose_no_acknowledged_sale() {
    let Some(mut rig) = Rig::new("power_cuts_during_sales") else {
        return;
    };
    let cuts = count("SONIC_POWER_CUTS", 30);
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let per_sale = rig
        .changes_of(|r| r.sell(&mut ChaCha8Rng::seed_from_u64(1)).unwrap())
        .max(1);
    let mut failed_in_flight = 0;
    for round in 0..cuts {
        rig.stall.progress(format!("cut {round} of {cuts}"));
        rig.fs.control().cut_power_after(rng.random_range(1..=per_sale * 4));
        for _ in 0..8 {
            if rig.sell(&mut rng).is_err() {
                failed_in_flight += 1;
                break;
            }
        }
        rig.restart();
        rig.check(round % 5 == 4 || round + 1 == cuts);
        // The till sells on after the restart.
        rig.sell(&mut rng).expect("selling after a restart");
    }
    eprintln!(
        "power cuts during sales: {cuts} cuts, {} acknowledged sales, 0 lost, 0 partial ({failed_in_flight} sales in flight when the power went; {per_sale} disk changes per sale)",
        rig.acked.len()
    );
}

#[test]
fn power_cuts_during_backup() {
    let Some(mut rig) = Rig::new("power_cuts_during_backup") else {
        return;
    };
    let cuts = count("SONIC_BACKUP_CUTS", 10);
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let started = Instant::now();
    for _ in 0..5 {
        rig.sell(&mut rng).unwrap();
    }
    // Backup Now.
    let per_backup = rig.changes_of(|r| {
        backup::create_backup(r.store(), "manual").unwrap();
    });
    let (mut written, mut none) = (0, 0);
    for round in 0..cuts {
        rig.stall.progress(format!("cut {round} of {cuts}"));
        rig.sell(&mut rng).unwrap();
        rig.fs.control().cut_power_after(cut_point(&mut rng, per_backup));
        let made = backup::create_backup(rig.store(), "manual");
        rig.restart();
        rig.check(false);
        let listed = rig.listed_backups_verify();
        match made {
            Ok(info) => {
                assert!(
                    listed.contains(&info.id.to_string()),
                    "backup {} was reported written and is not listed after the cut",
                    info.id
                );
                written += 1;
            }
            Err(_) => none += 1,
        }
    }
    eprintln!(
        "power cuts during a backup: {cuts} cuts ({written} reported written, each listed and verifying; {none} cut before the report); every listed backup verifies ({per_backup} disk changes per backup; {} s)",
        started.elapsed().as_secs()
    );
}

#[test]
fn power_cuts_during_restore() {
    power_cuts_during("restore");
}

#[test]
fn power_cuts_during_import() {
    power_cuts_during("import");
}

/// The shop, a backup of it, then three more sales: the document to restore
/// or import, and the state it brings back (every section but the activity
/// log).
fn calibrated(
    rig: &mut Rig,
    rng: &mut ChaCha8Rng,
    kind: &str,
) -> (snapshot::Document, BTreeMap<SectionKey, snapshot::SectionDigest>) {
    for _ in 0..5 {
        rig.sell(rng).unwrap();
    }
    let old_backup = backup::create_backup(rig.store(), "manual").unwrap();
    let doc = snapshot::read_file(&old_backup.file).unwrap();
    let backed_up = rig.digests_but_activity();
    for _ in 0..3 {
        rig.sell(rng).unwrap();
    }
    run(kind, rig.store(), &doc).unwrap();
    // After that run the shop is in the backup's state again: the "new"
    // state of every fault run. (Only the counts of counters may differ
    // from the backup's: an unset counter comes back set to 0.)
    let new_state = rig.digests_but_activity();
    for (key, digest) in &new_state {
        assert!(
            backed_up.get(key).is_some_and(|d| d.sha256 == digest.sha256),
            "{kind} did not bring back {key:?}"
        );
    }
    rig.acked.clear(); // sales after the backup are undone by design
    (doc, new_state)
}

/// Power cuts during a restore or an import: the old state or the new one,
/// never a mix.
fn power_cuts_during(kind: &'static str) {
    let test = if kind == "restore" {
        "power_cuts_during_restore"
    } else {
        "power_cuts_during_import"
    };
    let Some(mut rig) = Rig::new(test) else { return };
    let cuts = count("SONIC_BACKUP_CUTS", 10);
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let started = Instant::now();
    let (doc, new_state) = calibrated(&mut rig, &mut rng, kind);
    for _ in 0..3 {
        rig.sell(&mut rng).unwrap();
    }
    let per_op = rig.changes_of(|r| run(kind, r.store(), &doc).unwrap());
    assert!(per_op > 0);
    rig.acked.clear();
    let (mut olds, mut news) = (0, 0);
    for round in 0..cuts {
        rig.stall.progress(format!("{kind} cut {round} of {cuts}"));
        for _ in 0..3 {
            rig.sell(&mut rng).unwrap();
        }
        let old_state = rig.digests_but_activity();
        rig.fs.control().cut_power_after(cut_point(&mut rng, per_op));
        let result = run(kind, rig.store(), &doc);
        rig.restart();
        let now = rig.digests_but_activity();
        if now == old_state {
            assert!(
                result.is_err(),
                "the {kind} was reported done but the old state is back"
            );
            olds += 1;
        } else {
            assert_eq!(
                now, new_state,
                "after a cut during a {kind}: neither the old state nor the new one"
            );
            news += 1;
            rig.acked.clear();
        }
        rig.check(true);
        rig.listed_backups_verify();
    }
    eprintln!(
        "power cuts during a {kind}: {cuts} cuts, {olds} left the old state, {news} the new, 0 a mix ({per_op} disk changes per {kind}; {} s)",
        started.elapsed().as_secs()
    );
}

/// EIO on the Nth `fsync` of a restore or an import, for every N of one
/// (`SONIC_FSYNC_FAULTS` more at random points in the long form): a failed
/// `fsync` of its commit stops the store (`Stopped`) like a sale's, and every
/// later change is refused until it is reopened; reopened, and after a power
/// cut, the store holds the old state or the new one, sound.
fn fsync_faults_during(kind: &'static str) {
    let test = if kind == "restore" {
        "a_failed_fsync_during_a_restore_stops_the_store"
    } else {
        "a_failed_fsync_during_an_import_stops_the_store"
    };
    let Some(mut rig) = Rig::new(test) else { return };
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let (doc, new_state) = calibrated(&mut rig, &mut rng, kind);
    for _ in 0..3 {
        rig.sell(&mut rng).unwrap();
    }
    let fsyncs_per_op = {
        let before = rig.fs.control().counters().fsyncs;
        run(kind, rig.store(), &doc).unwrap();
        rig.fs.control().counters().fsyncs - before
    };
    assert!(fsyncs_per_op > 0);
    rig.acked.clear();
    let extra = count("SONIC_FSYNC_FAULTS", 0);
    let points: Vec<u64> = (1..=fsyncs_per_op)
        .chain((0..extra).map(|_| rng.random_range(1..=fsyncs_per_op + 1)))
        .collect();
    let (mut stopped, mut refused, mut done) = (0, 0, 0);
    let (mut olds, mut news) = (0, 0);
    for (round, &n) in points.iter().enumerate() {
        rig.stall.progress(format!("{kind} fsync fault {round} at fsync {n}"));
        for _ in 0..3 {
            rig.sell(&mut rng).unwrap();
        }
        let old_state = rig.digests_but_activity();
        let fired_before = rig.fs.control().counters().fsync_faults;
        rig.fs.control().fail_fsync_at(n);
        let result = run(kind, rig.store(), &doc);
        let fired = rig.fs.control().counters().fsync_faults > fired_before;
        match &result {
            Err(Error::Stopped { .. }) => {
                assert!(fired, "Stopped with no failed fsync");
                let err = result.as_ref().unwrap_err();
                assert_eq!(err.code(), "Stopped");
                assert!(err.to_string().contains("restarted"), "{err}");
                assert!(rig.store().stopped().is_some());
                // Every later change is refused: a sale, another restore or import.
                let sale = rig.sell(&mut rng).unwrap_err();
                assert!(matches!(sale, Error::Stopped { .. }), "a sale after a stop: {sale:?}");
                let again = run(kind, rig.store(), &doc).unwrap_err();
                assert!(
                    matches!(again, Error::Stopped { .. }),
                    "a {kind} after a stop: {again:?}"
                );
                stopped += 1;
            }
            Err(e) => {
                // A failed fsync before the commit (the safety backup):
                // refused, nothing changed.
                assert_eq!(
                    rig.digests_but_activity(),
                    old_state,
                    "a failed {kind} ({e}) changed the store"
                );
                refused += 1;
            }
            Ok(_) => done += 1,
        }
        // Reopened (no power cut): the old state or the new one, sound.
        drop(rig.store.take());
        rig.store = Some(Store::open(&rig.dir).unwrap());
        let reopened = rig.digests_but_activity();
        if reopened == old_state {
            assert!(result.is_err(), "a {kind} reported done is not there after a reopen");
            olds += 1;
        } else {
            assert_eq!(
                reopened, new_state,
                "after a failed fsync during a {kind}: neither the old state nor the new one"
            );
            news += 1;
            rig.acked.clear();
        }
        rig.check(true);
        // The till sells on; then a power cut (Linux dropped the failed
        // fsync's data, and a later fsync does not write it): no sale
        // acknowledged after the reopen may be lost, the file is sound and
        // every rule holds.
        for _ in 0..2 {
            rig.sell(&mut rng).expect("selling after the reopen");
        }
        rig.restart();
        rig.check(true);
        rig.listed_backups_verify();
    }
    assert!(
        stopped > 0,
        "no fsync point of the {kind} stopped the store: its commit's fsync was never hit"
    );
    eprintln!(
        "fsync EIO during a {kind}: {} points ({fsyncs_per_op} fsyncs per {kind}, each once, {extra} at random): {stopped} stopped the store (its commit), {refused} refused before the commit, {done} done; reopened: {olds} old state, {news} new, 0 a mix; 0 sales acknowledged after the reopen lost in the power cut that followed",
        points.len()
    );
}

#[test]
fn a_failed_fsync_during_a_restore_stops_the_store() {
    fsync_faults_during("restore");
}

#[test]
fn a_failed_fsync_during_an_import_stops_the_store() {
    fsync_faults_during("import");
}

/// Where to cut an operation of `n` disk changes: anywhere in it (40%), in
/// its last fifth, where the renames, folder syncs and the commit are (40%),
/// or in its last three changes or just after it (20%).
fn cut_point(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    match rng.random_range(0..10) {
        0..4 => rng.random_range(1..=n + 2),
        4..8 => rng.random_range((n * 4 / 5).max(1)..=n + 2),
        _ => rng.random_range(n.saturating_sub(3).max(1)..=n + 2),
    }
}

fn run(kind: &str, store: &mut Store, doc: &snapshot::Document) -> Result<(), Error> {
    match kind {
        "restore" => restore::restore(store, doc, "test", "Owner", &mut |_| {}).map(|_| ()),
        _ => restore::import(store, doc, ImportMode::Replace, "test").map(|_| ()),
    }
}

#[test]
fn a_failed_fsync_stops_the_store_until_it_is_reopened() {
    let Some(mut rig) = Rig::new("a_failed_fsync_stops_the_store") else {
        return;
    };
    let faults = count("SONIC_FSYNC_FAULTS", 10);
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let fsyncs_per_sale = {
        let before = rig.fs.control().counters().fsyncs;
        rig.sell(&mut rng).unwrap();
        (rig.fs.control().counters().fsyncs - before).max(1)
    };
    let mut stopped = 0;
    for round in 0..faults {
        rig.stall.progress(format!("fsync fault {round} of {faults}"));
        rig.fs
            .control()
            .fail_fsync_at(rng.random_range(1..=fsyncs_per_sale * 3));
        let err = loop {
            match rig.sell(&mut rng) {
                Ok(()) => continue,
                Err(e) => break e,
            }
        };
        // Not reported as sold; the store refuses from now on, saying why.
        assert!(
            matches!(err, Error::Stopped { .. }),
            "a failed fsync must stop the store, got {err:?}"
        );
        assert_eq!(err.code(), "Stopped");
        assert!(err.to_string().contains("restarted"), "{err}");
        assert!(rig.store().stopped().is_some());
        let again = rig.sell(&mut rng).unwrap_err();
        assert!(matches!(again, Error::Stopped { .. }), "{again:?}");
        stopped += 1;
        // Reopened (no power cut): sound, and sells again.
        drop(rig.store.take());
        rig.store = Some(Store::open(&rig.dir).unwrap());
        rig.check(true);
        for _ in 0..3 {
            rig.sell(&mut rng).unwrap();
        }
        // Then a power cut: nothing acknowledged (before or after the
        // failed fsync) may be lost, although Linux dropped the data of
        // the failed fsync.
        rig.restart();
        rig.check(true);
    }
    eprintln!("fsync EIO during sales: {faults} faults, each stopped the store ({stopped}); after reopen and a power cut 0 of {} acknowledged sales lost", rig.acked.len());
}

#[test]
fn a_full_disk_refuses_the_sale_and_selling_resumes_when_space_returns() {
    let Some(mut rig) = Rig::new("a_full_disk_refuses_the_sale") else {
        return;
    };
    let faults = count("SONIC_ENOSPC_FAULTS", 10);
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let writes_per_sale = {
        let before = rig.fs.control().counters().writes;
        rig.sell(&mut rng).unwrap();
        (rig.fs.control().counters().writes - before).max(1)
    };
    for round in 0..faults {
        rig.stall.progress(format!("ENOSPC point {round} of {faults}"));
        rig.fs.control().disk_full_at(rng.random_range(1..=writes_per_sale * 3));
        let acked_before = rig.acked.len();
        let err = loop {
            match rig.sell(&mut rng) {
                Ok(()) => continue,
                Err(e) => break e,
            }
        };
        assert!(
            matches!(err, Error::DiskFull { .. }),
            "a full disk must say so, got {err:?}"
        );
        assert!(err.to_string().contains("disk is full"), "{err}");
        let numbers_so_far = rig.acked.len();
        assert!(numbers_so_far >= acked_before);
        // Still full: still refused, no receipt.
        assert!(matches!(rig.sell(&mut rng), Err(Error::DiskFull { .. })));
        rig.check(true);
        rig.fs.control().space_returns();
        rig.sell(&mut rng).expect("selling resumes when space returns");
        let last = rig.acked.last().unwrap().number;
        assert_eq!(
            last,
            rig.acked[rig.acked.len() - 2].number + 1,
            "numbering goes on without a gap"
        );
    }
    rig.restart();
    rig.check(true);
    eprintln!("ENOSPC during sales: {faults} full-disk points, each refused with DiskFull, no receipt for an unsaved sale; selling resumed every time, {} acknowledged sales all kept after a power cut", rig.acked.len());
}
