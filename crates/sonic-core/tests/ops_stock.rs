//! Stock: receive, adjust, transfer between stores, count. Every change is a
//! movement and the level is the sum of the movements.

mod common;

use common::{actor, Shop};
use serde_json::Value;
use sonic_core::ops::stock;
use sonic_core::sections::{Currency, Role};
use sonic_core::Error;

/// The sum of the exported movements of an item in a store.
fn exported_sum(shop: &Shop, item: &str, store: &str) -> i64 {
    shop.records("sonic_inventory_data")
        .iter()
        .filter(|m| m["itemId"] == item && m["storeId"] == store)
        .map(|m| m["delta"].as_i64().expect("every movement has a delta"))
        .sum()
}

#[test]
fn receiving_adds_a_movement_with_its_cost_and_a_per_item_entry() {
    let mut shop = Shop::new();
    let item = shop.item_with("Cable", None, Currency::Iqd, 5_000, 3_000);
    let ctx = shop.ctx();
    stock::receive(&mut shop.store, &ctx, &item, 12, 3_250).unwrap();
    stock::receive(&mut shop.store, &ctx, &item, 3, 3_000).unwrap();
    assert_eq!(shop.level(&item), 15);
    let moves = shop.records("sonic_inventory_data");
    assert_eq!(moves.len(), 2);
    assert_eq!(moves[0]["delta"], 12);
    assert_eq!(moves[0]["unitCost"], 3_250);
    assert_eq!(moves[0]["reason"], "receive");
    let entries = shop.records("sonic_items_data");
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e["kind"] == "restocked"), "{entries:?}");
    assert_eq!(shop.activity("stock_receive").len(), 2);
    assert_eq!(exported_sum(&shop, &item, &shop.main), 15);
}

#[test]
fn receiving_nothing_a_negative_cost_or_an_unknown_item_is_refused() {
    let mut shop = Shop::new();
    let item = shop.item_with("Cable", None, Currency::Iqd, 5_000, 3_000);
    let ctx = shop.ctx();
    for qty in [0, -4] {
        let err = shop.refused(|s| stock::receive(s, &ctx, &item, qty, 100));
        assert!(matches!(err, Error::NotPositive { .. }), "{err:?}");
    }
    let err = shop.refused(|s| stock::receive(s, &ctx, &item, 1, -1));
    assert_eq!(err.code(), "Validation");
    let err = shop.refused(|s| stock::receive(s, &ctx, "item-nope", 1, 1));
    assert!(matches!(err, Error::NotFound { what: "item", .. }), "{err:?}");
}

#[test]
fn a_cashier_cannot_receive_adjust_move_or_count_stock() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5_000, 3_000, 10);
    let cashier = actor("Sara", Role::Cashier);
    let ctx = shop.ctx_as(&cashier, &shop.main.clone());
    let lenient = shop.lenient.clone();
    let main = shop.main.clone();
    let errs = [
        shop.refused(|s| stock::receive(s, &ctx, &item, 1, 1)),
        shop.refused(|s| stock::adjust(s, &ctx, &item, -1, "broken")),
        shop.refused(|s| stock::transfer(s, &ctx, &item, &main, &lenient, 1)),
        shop.refused(|s| stock::count(s, &ctx, &item, 3)),
    ];
    for err in errs {
        assert!(matches!(err, Error::Forbidden { has: Role::Cashier, .. }), "{err:?}");
    }
    assert_eq!(shop.level(&item), 10);
}

#[test]
fn an_adjustment_needs_a_reason_and_a_change_and_may_not_go_below_zero() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5_000, 3_000, 4);
    let manager = actor("Omar", Role::Manager);
    let ctx = shop.ctx_as(&manager, &shop.main.clone());
    stock::adjust(&mut shop.store, &ctx, &item, -1, " dropped ").unwrap();
    assert_eq!(shop.level(&item), 3);
    let adj: Vec<Value> = shop
        .records("sonic_inventory_data")
        .into_iter()
        .filter(|m| m["reason"] == "adjust")
        .collect();
    assert_eq!(adj[0]["reference"], "dropped", "the reason is kept, trimmed");

    let err = shop.refused(|s| stock::adjust(s, &ctx, &item, 0, "nothing"));
    assert_eq!(err.code(), "Validation");
    let err = shop.refused(|s| stock::adjust(s, &ctx, &item, -1, "  "));
    assert_eq!(err.code(), "Validation");
    let err = shop.refused(|s| stock::adjust(s, &ctx, &item, -4, "lost"));
    assert!(
        matches!(err, Error::InsufficientStock { have: 3, want: 4, .. }),
        "{err:?}"
    );

    // Where negative stock is allowed, so is adjusting below zero.
    let ctx = shop.ctx_as(&manager, &shop.lenient.clone());
    stock::adjust(&mut shop.store, &ctx, &item, -2, "sold off the books").unwrap();
    assert_eq!(stock::level(&shop.store, &item, &shop.lenient).unwrap(), -2);
}

#[test]
fn a_transfer_moves_stock_between_stores_in_one_step() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5_000, 3_000, 10);
    let ctx = shop.ctx();
    let (main, lenient) = (shop.main.clone(), shop.lenient.clone());
    stock::transfer(&mut shop.store, &ctx, &item, &main, &lenient, 4).unwrap();
    assert_eq!(stock::level(&shop.store, &item, &main).unwrap(), 6);
    assert_eq!(stock::level(&shop.store, &item, &lenient).unwrap(), 4);
    let levels = stock::levels(&shop.store, &item).unwrap();
    assert_eq!(levels, vec![(main.clone(), 6), (lenient.clone(), 4)]);
    let moves = shop.records("sonic_inventory_data");
    let out: Vec<_> = moves.iter().filter(|m| m["reason"] == "transfer_out").collect();
    let inn: Vec<_> = moves.iter().filter(|m| m["reason"] == "transfer_in").collect();
    assert_eq!((out.len(), inn.len()), (1, 1));
    assert_eq!(
        out[0]["reference"], inn[0]["reference"],
        "both halves name the same transfer"
    );

    let err = shop.refused(|s| stock::transfer(s, &ctx, &item, &main, &lenient, 7));
    assert!(
        matches!(err, Error::InsufficientStock { have: 6, want: 7, .. }),
        "{err:?}"
    );
    let err = shop.refused(|s| stock::transfer(s, &ctx, &item, &main, &main, 1));
    assert_eq!(err.code(), "Validation");
    let err = shop.refused(|s| stock::transfer(s, &ctx, &item, &main, "store-99", 1));
    assert!(matches!(err, Error::NotFound { what: "store", .. }), "{err:?}");
    let err = shop.refused(|s| stock::transfer(s, &ctx, &item, &main, &lenient, 0));
    assert!(matches!(err, Error::NotPositive { .. }), "{err:?}");
    // Out of the store that allows negative stock, it may go below zero.
    stock::transfer(&mut shop.store, &ctx, &item, &lenient, &main, 5).unwrap();
    assert_eq!(stock::level(&shop.store, &item, &lenient).unwrap(), -1);
    assert_eq!(exported_sum(&shop, &item, &main), 11);
    assert_eq!(exported_sum(&shop, &item, &lenient), -1);
}

#[test]
fn a_count_sets_the_level_through_one_movement() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5_000, 3_000, 10);
    let ctx = shop.ctx();
    assert_eq!(stock::count(&mut shop.store, &ctx, &item, 7).unwrap(), -3);
    assert_eq!(shop.level(&item), 7);
    assert_eq!(stock::count(&mut shop.store, &ctx, &item, 7).unwrap(), 0);
    assert_eq!(stock::count(&mut shop.store, &ctx, &item, 9).unwrap(), 2);
    assert_eq!(shop.level(&item), 9);
    let counts = shop
        .records("sonic_inventory_data")
        .into_iter()
        .filter(|m| m["reason"] == "count")
        .count();
    assert_eq!(counts, 2, "a count that matches adds no movement");
    assert_eq!(shop.activity("stock_count").len(), 3, "every count is logged");
    let err = shop.refused(|s| stock::count(s, &ctx, &item, -1));
    assert_eq!(err.code(), "Validation");
    assert_eq!(exported_sum(&shop, &item, &shop.main), 9);
}

#[test]
fn counting_an_unknown_item_is_refused() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let err = shop.refused(|s| stock::count(s, &ctx, "item-nope", 0));
    assert!(matches!(err, Error::NotFound { what: "item", .. }), "{err:?}");
}
