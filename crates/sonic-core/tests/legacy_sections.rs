//! Whole-section writes of the old HTML POS (`sonic_core::legacy`): each is
//! validated like an import of that one section, stored in one transaction,
//! and merged with what other paths stored since the page read the section.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, Shop};
use serde_json::{json, Value};
use sonic_core::legacy::{read_section, write_section};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::sections::Currency;
use sonic_core::SectionKey;

fn invoice(id: &str, number: u64, total: i64) -> Value {
    json!({"id": id, "number": number, "currency": "IQD", "rate": 1310, "lines": [{"itemId": "itm-old", "qty": 1, "currency": "IQD", "unitPrice": total, "total": total}], "total": total, "createdAt": 1_700_000_300_001_i64})
}

fn ids(shop: &Shop, key: &str) -> Vec<String> {
    shop.records(key)
        .iter()
        .map(|r| match &r["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn page_value(shop: &Shop, key: SectionKey) -> Vec<Value> {
    let (text, _) = read_section(&shop.store, key).unwrap();
    serde_json::from_str(&text.unwrap()).unwrap()
}

#[test]
fn a_section_the_page_rewrites_is_stored_and_read_back_as_the_page_keeps_it() {
    let mut shop = Shop::new();
    let (text, seen) = read_section(&shop.store, SectionKey::Invoices).unwrap();
    assert_eq!(text.as_deref(), Some("[]"));
    let mine = json!([invoice("old-1", 1, 5000)]).to_string();
    let w = write_section(&mut shop.store, SectionKey::Invoices, Some(&mine), &seen).unwrap();
    assert_eq!((w.added, w.updated, w.removed), (1, 0, 0));
    assert_eq!(ids(&shop, "sonic_invoices"), ["old-1"]);
    assert_eq!(
        shop.export()["sonic_invoice_counter"],
        1,
        "the counter rises to the number the page issued, even before the page writes it"
    );
    let w2 = write_section(&mut shop.store, SectionKey::InvoiceCounter, Some("1"), &w.seen).unwrap();
    assert_eq!(w2.added, 0);
    // Counters and rates as the old page kept them.
    let (counter, _) = read_section(&shop.store, SectionKey::InvoiceCounter).unwrap();
    assert_eq!(counter.as_deref(), Some("1"));
    let (rate, _) = read_section(&shop.store, SectionKey::IqdPerUsd).unwrap();
    assert_eq!(
        rate.as_deref(),
        Some(common::RATE),
        "a bare number, as parseFloat wants it"
    );
    write_section(
        &mut shop.store,
        SectionKey::IqdPerUsd,
        Some("1320.5"),
        &Default::default(),
    )
    .unwrap();
    let (rate, _) = read_section(&shop.store, SectionKey::IqdPerUsd).unwrap();
    assert_eq!(rate.as_deref(), Some("1320.5"));
}

#[test]
fn a_malformed_value_is_refused_naming_the_problem_and_nothing_is_stored() {
    let mut shop = Shop::new();
    let (_, seen) = read_section(&shop.store, SectionKey::Invoices).unwrap();
    let before = shop.digests();
    for (value, expected) in [
        ("[{\"id\": \"x\", \"number\": 1", "not valid JSON"),
        ("{\"id\": \"x\"}", "must be a list"),
        (&*json!([invoice("x", 0, 1)]).to_string(), "number"),
        (
            &*json!([invoice("a", 1, 1), invoice("a", 2, 1)]).to_string(),
            "duplicate",
        ),
    ] {
        let err = write_section(&mut shop.store, SectionKey::Invoices, Some(value), &seen).unwrap_err();
        assert_eq!(code(&err), "Rejected", "{value}: {err}");
        assert!(err.to_string().contains(expected), "{value}: {err}");
        assert_eq!(shop.digests(), before, "{value}: nothing stored");
    }
    let err = write_section(&mut shop.store, SectionKey::InvoiceCounter, Some("-3"), &seen).unwrap_err();
    assert!(err.to_string().contains("counter"), "{err}");
    assert_eq!(shop.digests(), before);
}

#[test]
fn a_stale_write_keeps_a_native_sale_and_removes_only_what_the_page_had_seen() {
    let mut shop = Shop::new();
    let phone = shop.stocked("Phone case", Currency::Iqd, 25_000, 20_000, 10);
    // The page loads the (empty) invoices and sells twice from its copy.
    let (_, seen) = read_section(&shop.store, SectionKey::Invoices).unwrap();
    let page = vec![invoice("old-1", 1, 5000), invoice("old-2", 2, 7000)];
    let w = write_section(
        &mut shop.store,
        SectionKey::Invoices,
        Some(&Value::Array(page.clone()).to_string()),
        &seen,
    )
    .unwrap();
    let mut seen = w.seen;

    // Meanwhile the native Sale screen sells (invoice 3).
    let ctx = shop.ctx();
    let receipt = sale::sell(
        &mut shop.store,
        &ctx,
        &SaleInput {
            lines: vec![SaleLineInput {
                item_id: phone.clone(),
                qty: 1,
                discount: 0,
            }],
            currency: Currency::Iqd,
            discount: 0,
            customer_id: None,
            payments: vec![TenderInput {
                currency: Currency::Iqd,
                amount: 25_000,
            }],
            change_currency: None,
        },
    )
    .unwrap();
    assert_eq!(receipt.invoice.number, 3, "the native sale follows the page's numbers");
    let native_id = receipt.invoice.id.key();

    // The page, from its stale copy, deletes old-1 and changes old-2.
    let mut changed = invoice("old-2", 2, 7500);
    changed["note"] = json!("corrected");
    let w = write_section(
        &mut shop.store,
        SectionKey::Invoices,
        Some(&json!([changed]).to_string()),
        &seen,
    )
    .unwrap();
    assert_eq!((w.added, w.updated, w.removed), (0, 1, 1));
    seen = w.seen;
    assert_eq!(
        ids(&shop, "sonic_invoices"),
        ["old-2".to_string(), native_id.clone()],
        "old-1 (seen, left out) removed; the native sale (never seen) kept"
    );
    assert_eq!(
        shop.records("sonic_invoices")[0]["total"],
        7500,
        "the page's change stored"
    );

    // A page reload sees the native sale; writing it back unchanged keeps it.
    let reloaded = page_value(&shop, SectionKey::Invoices);
    assert!(reloaded.iter().any(|r| r["id"] == json!(native_id)));

    // A stale page selling number 3 again (it never saw the native one) is
    // refused: a number is never issued twice.
    let err = write_section(
        &mut shop.store,
        SectionKey::Invoices,
        Some(&json!([invoice("old-2", 2, 7500), invoice("old-3", 3, 100)]).to_string()),
        &seen,
    )
    .unwrap_err();
    assert_eq!(code(&err), "Rejected");
    assert!(err.to_string().contains("invoice number 3 twice"), "{err}");
    assert_eq!(ids(&shop, "sonic_invoices").len(), 2, "nothing stored");
}

#[test]
fn an_unchanged_record_keeps_a_newer_stored_body_and_a_removed_one_stays_removed() {
    let mut shop = Shop::new();
    let (_, seen) = read_section(&shop.store, SectionKey::Transfers).unwrap();
    let t = |id: &str, amount: i64| json!({"id": id, "direction": "send", "currency": "USD", "amount": amount, "fee": 0, "rate": 1310, "party": "Ali", "createdAt": 1});
    let page = json!([t("t1", 100), t("t2", 200)]);
    let w = write_section(&mut shop.store, SectionKey::Transfers, Some(&page.to_string()), &seen).unwrap();
    // Another window (it read the section after the first write) changes t1
    // and removes t2.
    let (_, other_seen) = read_section(&shop.store, SectionKey::Transfers).unwrap();
    write_section(
        &mut shop.store,
        SectionKey::Transfers,
        Some(&json!([t("t1", 150)]).to_string()),
        &other_seen,
    )
    .unwrap();
    // The first page writes its stale copy again plus a new transfer.
    let w2 = write_section(
        &mut shop.store,
        SectionKey::Transfers,
        Some(&json!([t("t1", 100), t("t2", 200), t("t3", 300)]).to_string()),
        &w.seen,
    )
    .unwrap();
    assert_eq!((w2.added, w2.updated, w2.removed), (1, 0, 0));
    let stored = shop.records("sonic_transfers");
    let amounts: Vec<_> = stored.iter().map(|r| (r["id"].clone(), r["amount"].clone())).collect();
    assert_eq!(
        amounts,
        [(json!("t1"), json!(150)), (json!("t3"), json!(300))],
        "the newer t1 kept, t2 not brought back, t3 added"
    );
}

#[test]
fn log_entries_without_an_id_are_merged_by_count_and_a_counter_never_goes_down() {
    let mut shop = Shop::new();
    let entry = |n: i64| json!({"action": "sale", "user": "admin", "at": n});
    let (_, seen) = read_section(&shop.store, SectionKey::ActivityData).unwrap();
    let before = shop.records("sonic_activity_data").len();
    let page: Vec<Value> = page_value(&shop, SectionKey::ActivityData)
        .into_iter()
        .chain([entry(1), entry(1)])
        .collect();
    let w = write_section(
        &mut shop.store,
        SectionKey::ActivityData,
        Some(&Value::Array(page.clone()).to_string()),
        &seen,
    )
    .unwrap();
    assert_eq!(w.added, 2, "two identical entries are two entries");
    // Another path logs one more; the page then drops one of its two.
    let (_, other) = read_section(&shop.store, SectionKey::ActivityData).unwrap();
    let mut more = page.clone();
    more.push(entry(2));
    write_section(
        &mut shop.store,
        SectionKey::ActivityData,
        Some(&Value::Array(more).to_string()),
        &other,
    )
    .unwrap();
    let mut fewer = page.clone();
    fewer.pop();
    let w = write_section(
        &mut shop.store,
        SectionKey::ActivityData,
        Some(&Value::Array(fewer).to_string()),
        &w.seen,
    )
    .unwrap();
    assert_eq!((w.added, w.removed), (0, 1));
    let stored = shop.records("sonic_activity_data");
    assert_eq!(stored.len(), before + 2, "one of the page's two, and the other path's");
    assert_eq!(stored.iter().filter(|r| r["at"] == 2).count(), 1);

    write_section(
        &mut shop.store,
        SectionKey::StoreCounter,
        Some("9"),
        &Default::default(),
    )
    .unwrap();
    write_section(
        &mut shop.store,
        SectionKey::StoreCounter,
        Some("4"),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        shop.export()["sonic_store_counter"],
        9,
        "a stale counter does not lower it"
    );
}

#[test]
fn shop_data_lists_and_settings_merge_by_the_same_rule() {
    let mut shop = Shop::new();
    let (text, seen) = read_section(&shop.store, SectionKey::ShopData).unwrap();
    let mut value: Value = serde_json::from_str(&text.unwrap()).unwrap();
    let items_before = value["items"].as_array().unwrap().len();
    value["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "itm-old", "name": "كفر ايفون 13", "price": 5000, "currency": "IQD"}));
    value["lastOpenedTab"] = json!("sale");
    let w = write_section(&mut shop.store, SectionKey::ShopData, Some(&value.to_string()), &seen).unwrap();
    assert_eq!(w.added, 1);
    let export = shop.export();
    let stored = &export["sonic_shop_data"];
    assert_eq!(stored["items"].as_array().unwrap().len(), items_before + 1);
    assert_eq!(stored["lastOpenedTab"], "sale", "a member that is not a list is kept");
    // Removing the key (removeItem) empties only what the page had seen.
    let catalog_item = shop.stocked("Charger", Currency::Iqd, 15_000, 11_000, 1);
    write_section(&mut shop.store, SectionKey::ShopData, None, &w.seen).unwrap();
    let export = shop.export();
    let items: Vec<_> = export["sonic_shop_data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(
        items,
        [json!(catalog_item)],
        "only the item added after the page's copy is left"
    );
    assert!(export["sonic_shop_data"].get("lastOpenedTab").is_none());
}
