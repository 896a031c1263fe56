//! Items and customers: unique barcodes, archiving, roles, and the search of
//! the sale screen (barcode, substring, prefix, paging, and index use).

mod common;

use common::{actor, Shop};
use sonic_core::ops::catalog::{self, CustomerInput, ItemInput};
use sonic_core::ops::Page;
use sonic_core::sections::{Currency, Role};
use sonic_core::Error;
use std::collections::BTreeSet;

fn input(name: &str, barcode: Option<&str>) -> ItemInput {
    ItemInput {
        name: name.into(),
        barcode: barcode.map(str::to_string),
        category: None,
        currency: Currency::Iqd,
        price: 1_000,
        cost: 500,
    }
}

fn names(items: &[sonic_core::sections::Item]) -> Vec<String> {
    items.iter().map(|i| i.name.clone()).collect()
}

#[test]
fn a_duplicate_barcode_is_refused_on_create_and_on_edit() {
    let mut shop = Shop::new();
    let a = shop.item_with("Cable", Some("6291041500213"), Currency::Iqd, 1_000, 0);
    let b = shop.item_with("Lamp", Some("111"), Currency::Iqd, 1_000, 0);
    let ctx = shop.ctx();
    let err = shop.refused(|s| catalog::create_item(s, &ctx, &input("Copy", Some(" 6291041500213 "))));
    match &err {
        Error::DuplicateBarcode { barcode, item } => {
            // The item by its name: its id means nothing to a cashier.
            assert_eq!((barcode.as_str(), item.as_str()), ("6291041500213", "Cable"))
        }
        other => panic!("expected DuplicateBarcode, got {other:?}"),
    }
    let err = shop.refused(|s| catalog::edit_item(s, &ctx, &b, &input("Lamp", Some("6291041500213"))));
    assert!(matches!(err, Error::DuplicateBarcode { .. }), "{err:?}");
    // Keeping its own barcode is not a duplicate.
    let edited = catalog::edit_item(&mut shop.store, &ctx, &a, &input("USB cable", Some("6291041500213"))).unwrap();
    assert_eq!(edited.name, "USB cable");
    assert_eq!(shop.activity("item_edit").len(), 1);
}

#[test]
fn a_cashier_cannot_add_edit_or_archive_items_but_can_add_a_customer_without_a_limit() {
    let mut shop = Shop::new();
    let a = shop.item_with("Cable", None, Currency::Iqd, 1_000, 0);
    let cashier = actor("Sara", Role::Cashier);
    let ctx = shop.ctx_as(&cashier, &shop.main.clone());
    let errs = [
        shop.refused(|s| catalog::create_item(s, &ctx, &input("X", None)).map(|_| ())),
        shop.refused(|s| catalog::edit_item(s, &ctx, &a, &input("X", None)).map(|_| ())),
        shop.refused(|s| catalog::archive_item(s, &ctx, &a)),
        shop.refused(|s| {
            catalog::create_customer(
                s,
                &ctx,
                &CustomerInput {
                    name: "Ali".into(),
                    phone: None,
                    credit_limit: Some(1),
                },
            )
            .map(|_| ())
        }),
    ];
    for err in errs {
        assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    }
    let c = catalog::create_customer(
        &mut shop.store,
        &ctx,
        &CustomerInput {
            name: " Ali ".into(),
            phone: Some("0770 123 4567".into()),
            credit_limit: None,
        },
    )
    .unwrap();
    assert_eq!(c.name, "Ali");
    let err = shop.refused(|s| {
        catalog::edit_customer(
            s,
            &ctx,
            &c.id.key(),
            &CustomerInput {
                name: "Ali".into(),
                phone: None,
                credit_limit: Some(50_000),
            },
        )
    });
    assert!(
        matches!(err, Error::Forbidden { .. }),
        "a credit limit needs a manager: {err:?}"
    );
}

#[test]
fn bad_item_input_is_refused() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let mut negative = input("Cable", None);
    negative.price = -1;
    for bad in [
        input("  ", None),
        negative,
        input("Cable", Some(" ")),
        input("Cable", Some("a\tb")),
    ] {
        let err = shop.refused(|s| catalog::create_item(s, &ctx, &bad));
        assert_eq!(err.code(), "Validation", "{bad:?}");
    }
}

#[test]
fn search_finds_by_exact_barcode_first_then_by_text_and_skips_archived_items() {
    let mut shop = Shop::new();
    let cable = shop.item_with("USB cable", Some("4006381333931"), Currency::Iqd, 1_000, 0);
    shop.item_with("Cable tester 4006381333931 kit", None, Currency::Iqd, 1_000, 0);
    let old = shop.item_with("Old cable", Some("999"), Currency::Iqd, 1_000, 0);
    shop.item_with("Samsung A15", None, Currency::Iqd, 1_000, 0);
    shop.item_with("شاحن سامسونج", None, Currency::Iqd, 1_000, 0);
    shop.item_with("سماعة", None, Currency::Iqd, 1_000, 0);
    let ctx = shop.ctx();
    catalog::archive_item(&mut shop.store, &ctx, &old).unwrap();

    let hits = catalog::search_items(&shop.store, "4006381333931", Page::FIRST).unwrap();
    assert_eq!(hits[0].id.key(), cable, "the exact barcode comes first");
    assert_eq!(names(&hits), vec!["USB cable", "Cable tester 4006381333931 kit"]);
    let page2 = catalog::search_items(&shop.store, "4006381333931", Page { offset: 1, limit: 1 }).unwrap();
    assert_eq!(
        names(&page2),
        vec!["Cable tester 4006381333931 kit"],
        "page 2 continues page 1"
    );

    let mut found = names(&catalog::search_items(&shop.store, "cable", Page::FIRST).unwrap());
    found.sort();
    assert_eq!(
        found,
        vec!["Cable tester 4006381333931 kit", "USB cable"],
        "substring, any case, no archived"
    );
    assert!(
        catalog::search_items(&shop.store, "999", Page::FIRST)
            .unwrap()
            .is_empty(),
        "an archived item's barcode finds nothing"
    );
    assert_eq!(
        names(&catalog::search_items(&shop.store, "sung", Page::FIRST).unwrap()),
        vec!["Samsung A15"]
    );
    assert_eq!(
        names(&catalog::search_items(&shop.store, "سامسو", Page::FIRST).unwrap()),
        vec!["شاحن سامسونج"],
        "an Arabic substring"
    );
    assert_eq!(
        names(&catalog::search_items(&shop.store, "Sa", Page::FIRST).unwrap()),
        vec!["Samsung A15"],
        "a two-letter prefix"
    );
    assert_eq!(
        names(&catalog::search_items(&shop.store, "س", Page::FIRST).unwrap()),
        vec!["سماعة"],
        "a one-letter Arabic prefix"
    );
    assert!(catalog::search_items(&shop.store, "zzz", Page::FIRST)
        .unwrap()
        .is_empty());
    // FTS syntax in the text is taken literally.
    assert!(catalog::search_items(&shop.store, "\"cable OR", Page::FIRST)
        .unwrap()
        .is_empty());
}

#[test]
fn search_pages_without_overlap_or_gaps() {
    let mut shop = Shop::new();
    for i in 0..23 {
        shop.item_with(&format!("Phone case {i:02}"), None, Currency::Iqd, 1_000, 0);
    }
    for text in ["case", "Ph", ""] {
        let mut seen = BTreeSet::new();
        let mut offset = 0;
        loop {
            let page = catalog::search_items(&shop.store, text, Page { offset, limit: 5 }).unwrap();
            assert!(page.len() <= 5);
            for item in &page {
                assert!(seen.insert(item.id.key()), "{text:?}: {} is on two pages", item.name);
            }
            if page.is_empty() {
                break;
            }
            offset += 5;
        }
        assert_eq!(seen.len(), 23, "{text:?}: every item on exactly one page");
    }
}

#[test]
fn search_uses_an_index_or_the_full_text_table_never_a_scan_of_items() {
    let mut shop = Shop::new();
    for i in 0..50 {
        shop.item_with(
            &format!("Item {i}"),
            Some(&format!("BC{i:04}")),
            Currency::Iqd,
            1_000,
            0,
        );
    }
    // ANALYZE-free plans, as on a fresh till.
    for text in ["BC0007", "tem 4", "It", "ب"] {
        let plan = catalog::search_plan(&shop.store, text, Page::FIRST).unwrap();
        let joined = plan.join(" | ");
        assert!(
            !plan
                .iter()
                .any(|l| l.starts_with("SCAN items") && !l.contains("VIRTUAL TABLE")),
            "{text:?} scans the items table: {joined}"
        );
        assert!(
            plan.iter().any(|l| l.contains("items_barcode")),
            "{text:?}: the exact barcode is looked up by index: {joined}"
        );
        if text.chars().count() >= 3 {
            assert!(
                plan.iter().any(|l| l.contains("items_fts")),
                "{text:?} uses the trigram table: {joined}"
            );
        } else {
            assert!(
                plan.iter().any(|l| l.contains("items_name")),
                "{text:?} uses the name index: {joined}"
            );
        }
    }
    // The same plans seen from outside, on the database file itself.
    let conn = rusqlite::Connection::open(shop.store.data_dir().database()).unwrap();
    let plan: Vec<String> = conn
        .prepare("EXPLAIN QUERY PLAN SELECT body FROM items WHERE barcode = ?1")
        .unwrap()
        .query_map(["BC0007"], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(plan.iter().any(|l| l.contains("USING INDEX items_barcode")), "{plan:?}");
}

#[test]
fn customers_are_found_by_name_or_phone() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    for (name, phone) in [("Ali Hassan", "07701234567"), ("علي حسين", "07809876543")] {
        catalog::create_customer(
            &mut shop.store,
            &ctx,
            &CustomerInput {
                name: name.into(),
                phone: Some(phone.into()),
                credit_limit: None,
            },
        )
        .unwrap();
    }
    let by_phone = catalog::search_customers(&shop.store, "98765", Page::FIRST).unwrap();
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].name, "علي حسين");
    let by_name = catalog::search_customers(&shop.store, "hass", Page::FIRST).unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].name, "Ali Hassan");
    assert_eq!(
        catalog::search_customers(&shop.store, "Al", Page::FIRST).unwrap().len(),
        1
    );
}

#[test]
fn a_short_prefix_finds_names_whatever_their_case() {
    let mut shop = Shop::new();
    for name in ["Samsung Galaxy A15", "samsung charger", "Sony earbuds", "سماعة"] {
        shop.item_with(name, None, Currency::Iqd, 1_000, 500);
    }
    let found = names(&catalog::search_items(&shop.store, "sa", Page::FIRST).unwrap());
    // In name order, case folded: "samsung c…" before "samsung g…".
    assert_eq!(
        found,
        vec!["samsung charger".to_string(), "Samsung Galaxy A15".to_string()]
    );
    assert_eq!(
        names(&catalog::search_items(&shop.store, "SO", Page::FIRST).unwrap()),
        vec!["Sony earbuds"]
    );
    assert_eq!(
        names(&catalog::search_items(&shop.store, "سم", Page::FIRST).unwrap()),
        vec!["سماعة"]
    );
}

#[test]
fn archived_customers_are_not_found() {
    let mut shop = Shop::new();
    let kept = shop.customer("Ali Hassan", None);
    let gone = shop.customer("Ali Kadhim", None);
    let ctx = shop.ctx();
    catalog::archive_customer(&mut shop.store, &ctx, &gone).unwrap();
    for text in ["Ali", "ali", "Ali Ka", "Kadhim"] {
        let ids: Vec<String> = catalog::search_customers(&shop.store, text, Page::FIRST)
            .unwrap()
            .into_iter()
            .map(|c| c.id.key())
            .collect();
        assert!(!ids.contains(&gone), "{text:?} must not find the archived customer");
        if text != "Kadhim" && text != "Ali Ka" {
            assert_eq!(ids, vec![kept.clone()], "{text:?}");
        }
    }
}
