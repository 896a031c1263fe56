//! Correct books: a cancelled repair's parts go back to the store they came
//! from; the books that earlier versions wrote wrong are corrected by the
//! migration and by an import, and `check` reports them until then.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Shop;
use sonic_core::ops::audit::audit;
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::service::{self, TicketInput};
use sonic_core::ops::stock;
use sonic_core::ops::transfer::{self, TransferInput};
use sonic_core::restore::{self, ImportMode};
use sonic_core::sections::{Currency, ServiceStatus, TransferDirection};
use sonic_core::snapshot::{self, ExportInfo};
use sonic_core::{DataDir, Store};

/// A shop with a "Screen" item: 2 in Main, 1 in Kiosk; a ticket opened in
/// Main that took its part from Kiosk, then was cancelled in Main.
fn cancelled_with_part_from_another_store() -> (Shop, String, String) {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let screen = shop.stocked("Screen", Currency::Iqd, 40_000, 25_000, 2);
    let kiosk = shop.lenient.clone();
    shop.receive_in(&screen, &kiosk, 1);
    let ctx = shop.ctx();
    let t = service::open_ticket(
        &mut shop.store,
        &ctx,
        &TicketInput {
            customer_id: ali,
            device: "iPhone 11".into(),
            fault: None,
            currency: Currency::Iqd,
            estimate: 60_000,
            deposit: 0,
        },
    )
    .unwrap();
    let id = t.id.key();
    let in_kiosk = shop.ctx_as(&shop.owner.clone(), &kiosk);
    let t = service::use_part(&mut shop.store, &in_kiosk, &id, &screen, 1).unwrap();
    assert_eq!(t.parts[0].store_id.as_ref().map(|s| s.key()), Some(kiosk.clone()));
    service::advance(&mut shop.store, &ctx, &id, ServiceStatus::Diagnosing).unwrap();
    service::advance(&mut shop.store, &ctx, &id, ServiceStatus::Cancelled).unwrap();
    (shop, screen, id)
}

fn level(store: &Store, item: &str, store_id: &str) -> i64 {
    stock::level(store, item, store_id).unwrap()
}

#[test]
fn a_cancelled_repair_puts_a_part_back_in_the_store_it_came_from() {
    let (shop, screen, _) = cancelled_with_part_from_another_store();
    assert_eq!(
        level(&shop.store, &screen, &shop.main),
        2,
        "Main gains nothing it never had"
    );
    assert_eq!(level(&shop.store, &screen, &shop.lenient), 1, "Kiosk has its part back");
    assert_eq!(audit(&shop.store).unwrap(), Vec::<String>::new());
}

/// Rewrites the cancellation's movement the way versions before schema 6
/// wrote it: back into the ticket's store (Main) instead of Kiosk.
fn as_before_the_fix(shop: &Shop) {
    let conn = rusqlite::Connection::open(DataDir::at(shop.tmp.path()).database()).unwrap();
    for table in ["inventory", "item_activity"] {
        let n = conn
            .execute(
                &format!(
                    "UPDATE {table} SET body = json_set(body, '$.storeId', ?1)
                     WHERE json_extract(body, '$.reference') IN (SELECT id FROM services)
                       AND (json_extract(body, '$.reason') = 'service_part_return'
                            OR json_extract(body, '$.kind') = 'returned')"
                ),
                [&shop.main],
            )
            .unwrap();
        assert_eq!(n, 1, "one {table} record of the cancellation");
    }
}

#[test]
fn check_flags_the_old_wrong_state_and_the_migration_corrects_it_with_new_movements() {
    let (shop, screen, ticket) = cancelled_with_part_from_another_store();
    as_before_the_fix(&shop);
    assert_eq!(
        level(&shop.store, &screen, &shop.main),
        3,
        "the old bug: a unit made up in Main"
    );
    assert_eq!(level(&shop.store, &screen, &shop.lenient), 0);
    let problems = audit(&shop.store).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.contains("cancelled repair ticket #1")),
        "{problems:?}"
    );
    let movements_before = shop.records("sonic_inventory_data");

    // A database of schema 5 is migrated when it is opened.
    let dir = DataDir::at(shop.tmp.path());
    let Shop {
        store,
        main,
        lenient,
        tmp,
        ..
    } = shop;
    drop(store);
    rusqlite::Connection::open(dir.database())
        .unwrap()
        .pragma_update(None, "user_version", 5)
        .unwrap();
    let store = Store::open(&dir).unwrap();
    assert_eq!(level(&store, &screen, &main), 2);
    assert_eq!(level(&store, &screen, &lenient), 1);
    assert_eq!(audit(&store).unwrap(), Vec::<String>::new());

    let mut out = Vec::new();
    snapshot::export(
        &store,
        &ExportInfo {
            reason: "test".into(),
            backup_id: None,
        },
        &mut out,
    )
    .unwrap();
    let export: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out).unwrap();
    let movements = common::records_of(&export, "sonic_inventory_data");
    assert_eq!(
        movements[..movements_before.len()],
        movements_before[..],
        "the old movements are kept as they were"
    );
    let added: Vec<_> = movements[movements_before.len()..].to_vec();
    assert_eq!(added.len(), 2, "{added:?}");
    assert!(added
        .iter()
        .all(|m| m["reason"] == "service_part_correction" && m["reference"] == ticket.as_str()));
    let log: Vec<_> = common::records_of(&export, "sonic_activity_data")
        .into_iter()
        .filter(|a| a["action"] == "stock_correction")
        .collect();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0]["details"].as_str().unwrap().contains("#1"), "{log:?}");

    // Opening it again corrects nothing twice.
    drop(store);
    let store = Store::open(&dir).unwrap();
    assert_eq!(level(&store, &screen, &main), 2);
    drop(tmp);
}

#[test]
fn an_import_of_a_backup_from_before_the_fix_gets_the_same_correction() {
    let (shop, screen, _) = cancelled_with_part_from_another_store();
    as_before_the_fix(&shop);
    let file = shop.tmp.path().join("before-the-fix.json");
    snapshot::export_file(
        &shop.store,
        &file,
        &ExportInfo {
            reason: "export".into(),
            backup_id: None,
        },
    )
    .unwrap();
    let other = tempfile::tempdir().unwrap();
    let mut store = Store::open(&DataDir::at(other.path())).unwrap();
    let doc = snapshot::read_file(&file).unwrap();
    restore::import(&mut store, &doc, ImportMode::IntoEmpty, "before-the-fix.json").unwrap();
    assert_eq!(level(&store, &screen, &shop.main), 2);
    assert_eq!(level(&store, &screen, &shop.lenient), 1);
    assert_eq!(audit(&store).unwrap(), Vec::<String>::new());
}

fn open_ticket(shop: &mut Shop, customer: &str) -> u64 {
    let ctx = shop.ctx();
    let input = TicketInput {
        customer_id: customer.into(),
        device: "Galaxy".into(),
        fault: None,
        currency: Currency::Iqd,
        estimate: 10_000,
        deposit: 0,
    };
    service::open_ticket(&mut shop.store, &ctx, &input)
        .unwrap()
        .number
        .unwrap()
}

fn transfer(shop: &mut Shop) -> u64 {
    let ctx = shop.ctx();
    let input = TransferInput {
        direction: TransferDirection::Send,
        currency: Currency::Iqd,
        amount: 100_000,
        fee: 1_000,
        party: "Hassan".into(),
        phone: None,
    };
    transfer::record_transfer(&mut shop.store, &ctx, &input)
        .unwrap()
        .number
        .unwrap()
}

fn numbers(shop: &Shop, key: &str) -> Vec<u64> {
    let mut n: Vec<u64> = shop.records(key).iter().filter_map(|r| r["number"].as_u64()).collect();
    n.sort_unstable();
    n
}

#[test]
fn tickets_and_transfers_after_a_restore_never_share_a_number() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    rates::set_rate(&mut shop.store, &ctx, RateKind::Transfer, common::rate("1480")).unwrap();
    let ali = shop.customer("Ali", None);
    for expected in 1..=3 {
        assert_eq!(open_ticket(&mut shop, &ali), expected);
        assert_eq!(transfer(&mut shop), expected);
    }
    // A file without ticket #2 and transfer #2 (another till's, or removed
    // by hand), from before the counters existed: no `_meta`, no `counters`.
    let mut file = shop.export();
    for key in ["sonic_services", "sonic_transfers"] {
        file[key].as_array_mut().unwrap().retain(|r| r["number"] != 2);
    }
    file["sonic_shop_data"].as_object_mut().unwrap().remove("counters");
    let path = shop.tmp.path().join("without-2.json");
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    let doc = snapshot::read_file(&path).unwrap();
    restore::import(&mut shop.store, &doc, ImportMode::Replace, "without-2.json").unwrap();
    assert_eq!(numbers(&shop, "sonic_services"), [1, 3]);

    assert_eq!((open_ticket(&mut shop, &ali), open_ticket(&mut shop, &ali)), (4, 5));
    assert_eq!((transfer(&mut shop), transfer(&mut shop)), (4, 5));
    assert_eq!(numbers(&shop, "sonic_services"), [1, 3, 4, 5]);
    assert_eq!(numbers(&shop, "sonic_transfers"), [1, 3, 4, 5]);

    // A full backup restored keeps its counter: the next number follows it.
    let backup = sonic_core::backup::create_backup(&shop.store, "test").unwrap();
    open_ticket(&mut shop, &ali);
    let doc = snapshot::read_file(&backup.file).unwrap();
    restore::import(&mut shop.store, &doc, ImportMode::Replace, "backup").unwrap();
    assert_eq!(open_ticket(&mut shop, &ali), 6);
    assert_eq!(numbers(&shop, "sonic_services"), [1, 3, 4, 5, 6]);
    let problems = audit(&shop.store).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.contains("without gaps") && p.contains(" 0 repeated")),
        "only the gap the file left is reported, no repeat: {problems:?}"
    );
}

#[test]
fn check_reports_repeated_ticket_numbers() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    open_ticket(&mut shop, &ali);
    open_ticket(&mut shop, &ali);
    assert_eq!(audit(&shop.store).unwrap(), Vec::<String>::new());
    let conn = rusqlite::Connection::open(DataDir::at(shop.tmp.path()).database()).unwrap();
    conn.execute("UPDATE services SET body = json_set(body, '$.number', 1)", [])
        .unwrap();
    let problems = audit(&shop.store).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("repair ticket numbers") && p.contains("1 repeated")),
        "{problems:?}"
    );
}
