//! The till first: a backup reads through its own read-only connection (a
//! WAL snapshot), so a sale commits while the backup is being written, and
//! the backup still holds the one instant it started from.

use sonic_core::backup::{self, PendingBackups};
use sonic_core::ops::{catalog, sale, Actor, OpCtx, Page};
use sonic_core::sections::{Currency, Role};
use sonic_core::snapshot::{self, PROGRESS_EVERY};
use sonic_core::{DataDir, SectionKey, Store};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest the test waits for the other thread before calling it stuck.
const PATIENCE: Duration = Duration::from_secs(60);

#[test]
fn a_sale_commits_while_a_backup_is_being_written_and_the_backup_holds_its_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::at(tmp.path());
    let mut store = Store::open(&dir).unwrap();
    sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 5).unwrap();
    let at_start = store.counts().unwrap();
    let total: u64 = at_start.values().sum();
    assert!(
        total > 3 * PROGRESS_EVERY,
        "the store must be big enough for the backup to report mid-way ({total} records)"
    );
    let (id, price) = catalog::search_items(&store, "", Page { offset: 0, limit: 100 })
        .unwrap()
        .into_iter()
        .filter(|i| i.currency == Some(Currency::Iqd))
        .map(|i| (i.id.key(), i.price.unwrap_or(0)))
        .next()
        .expect("an IQD item to sell");

    // The backup thread stops mid-write (its snapshot open, part of the
    // file written) until the sale on this thread has committed.
    let (mid_write, backup_is_mid_write) = mpsc::channel::<u64>();
    let (sale_done, sale_has_committed) = mpsc::channel::<()>();
    let reader = store.reader().unwrap();
    let writer = std::thread::spawn(move || {
        let mut paused = false;
        backup::write_backup(&reader, backup::reason::MANUAL, &mut |p| {
            if !paused && p.done >= PROGRESS_EVERY && p.done < p.total {
                paused = true;
                mid_write.send(p.done).unwrap();
                sale_has_committed
                    .recv_timeout(PATIENCE)
                    .expect("the sale must commit while the backup is mid-write");
            }
        })
    });

    let written_so_far = backup_is_mid_write
        .recv_timeout(PATIENCE)
        .expect("the backup reports its progress mid-write");
    let cashier = Actor {
        user_id: "till".into(),
        name: "till".into(),
        role: Role::Cashier,
    };
    let started = Instant::now();
    let sold = sale::sell(
        &mut store,
        &OpCtx::now(cashier, "store-1"),
        &sale::SaleInput::cash(&[(id.as_str(), 1)], Currency::Iqd, price),
    )
    .expect("a sale commits while the backup is being written");
    let waited = started.elapsed();
    sale_done.send(()).unwrap();

    let info = writer
        .join()
        .expect("the backup thread")
        .expect("the backup is written");
    backup::record_backup(&store, &info, PendingBackups::Keep).unwrap();

    assert!(
        written_so_far < total,
        "the sale happened mid-write ({written_so_far} of {total} records written)"
    );
    assert!(
        waited < Duration::from_secs(2),
        "the sale must not wait for the backup (it took {waited:?})"
    );
    let doc = snapshot::read_file(&info.file).expect("the backup verifies");
    assert_eq!(
        doc.counts(),
        at_start,
        "the backup holds the store as it was when the backup started"
    );
    let now = store.counts().unwrap();
    assert_eq!(
        now[&SectionKey::Invoices],
        at_start[&SectionKey::Invoices] + 1,
        "the sale is in the store"
    );
    assert!(
        sale::invoice_by_number(&store, sold.invoice.number).unwrap().is_some(),
        "the sold invoice is on disk"
    );
    assert_eq!(
        backup::list_backups(&store).unwrap()[0].id,
        info.id,
        "the backup is listed once recorded"
    );
}
