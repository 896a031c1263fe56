//! Fuzzing of what the webview can send: every command's input, as the
//! shell receives it (JSON deserialized into the same serde types the
//! commands take, and typed scalars), run against a real shop.
//!
//! For every case: no panic; a refused input (by serde or by the operation)
//! changes nothing, checked by the digests of all 16 sections; an accepted
//! one leaves a shop that passes the full audit (checked every 25 cases and
//! at the end). `SONIC_FUZZ_CASES` runs it longer (default 300):
//! `SONIC_FUZZ_CASES=20000 cargo test -p sonic-core --test input_fuzz`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Shop;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use sonic_core::ops::activity::{self, ActivityFilter};
use sonic_core::ops::catalog::{self, CustomerInput, ItemInput};
use sonic_core::ops::returns::{self, ReturnInput};
use sonic_core::ops::sale::{self, SaleInput};
use sonic_core::ops::service::{self, TicketInput};
use sonic_core::ops::settings::{self, ShopSettings};
use sonic_core::ops::stores::{self, StoreInput};
use sonic_core::ops::transfer::{self, TransferInput};
use sonic_core::ops::{audit, debt, rates, security, stock, Page};
use sonic_core::sections::{Currency, Rate, ServiceStatus};
use std::cell::{Cell, RefCell};

fn fuzz_cases() -> u32 {
    std::env::var("SONIC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Values a webview could put in any field: edge numbers, ids that exist
/// and ids that do not, currencies right and wrong, nulls, nested things.
fn field_value(ids: Vec<String>) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec![
            0i64,
            1,
            -1,
            2,
            250,
            1000,
            25_000,
            i64::MAX,
            i64::MIN,
            i64::MAX / 2,
            -25_000
        ])
        .prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![0.5f64, -0.0, 1e300, 1310.5]).prop_map(Value::from),
        prop::sample::select(vec![
            "IQD", "USD", "EUR", "iqd", "", "send", "receive", "ready", "1310", "-5", "٣"
        ])
        .prop_map(Value::from),
        "[a-zA-Z0-9 _%\\-\\u{0600}-\\u{06FF}]{0,20}".prop_map(Value::from),
        prop::sample::select(ids).prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A value of the right kind for a field most of the time, anything at all
/// otherwise: the fuzzing must reach the operations, not only serde.
fn typed(field: &'static str, ids: Vec<String>) -> BoxedStrategy<Value> {
    let right: BoxedStrategy<Value> = match field {
        "itemId" | "invoiceId" | "customerId" => prop::sample::select(ids.clone()).prop_map(Value::from).boxed(),
        "qty" => prop::sample::select(vec![1i64, 1, 2, 3, 0, -1, 1_000_000_001])
            .prop_map(Value::from)
            .boxed(),
        "currency" | "changeCurrency" => prop::sample::select(vec!["IQD", "USD", "IQD", "EUR"])
            .prop_map(Value::from)
            .boxed(),
        "direction" => prop::sample::select(vec!["send", "receive", "sideways"])
            .prop_map(Value::from)
            .boxed(),
        "price"
        | "cost"
        | "amount"
        | "fee"
        | "estimate"
        | "deposit"
        | "discount"
        | "creditLimit"
        | "iqdStep"
        | "returnApprovalAboveIqd" => {
            prop::sample::select(vec![0i64, 250, 1_000, 5_000, 25_000, 100_000, -250, i64::MAX])
                .prop_map(Value::from)
                .boxed()
        }
        // The lockout's bounds (1 to 10 attempts, 1 to 1440 minutes) and
        // either side of them, and what once turned the lockout off.
        "lockMinutes" | "maxPinAttempts" | "discountApprovalAbovePercent" => prop::sample::select(vec![
            20,
            100,
            101,
            0i64,
            1,
            5,
            10,
            11,
            1_440,
            1_441,
            i64::from(u32::MAX),
            i64::MAX,
            -1,
        ])
        .prop_map(Value::from)
        .boxed(),
        "allowNegativeStock" => any::<bool>().prop_map(Value::Bool).boxed(),
        _ => "[a-zA-Z0-9 \u{0600}-\u{06FF}]{0,16}".prop_map(Value::from).boxed(),
    };
    prop_oneof![8 => right, 2 => field_value(ids)].boxed()
}

/// An object with a command input's fields (each present most of the time)
/// and now and then a field it does not know.
fn shaped(fields: &'static [&'static str], ids: Vec<String>) -> BoxedStrategy<Value> {
    let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .iter()
        .map(|f| prop::option::weighted(0.85, typed(f, ids.clone()).prop_map(move |v| (f.to_string(), v))).boxed())
        .collect();
    (parts, prop::option::weighted(0.1, ("[a-z]{1,6}", field_value(ids))))
        .prop_map(|(parts, stray)| Value::Object(parts.into_iter().flatten().chain(stray).collect()))
        .boxed()
}

/// A sale line list in roughly the right shape.
fn lines(ids: Vec<String>) -> impl Strategy<Value = Value> {
    prop::collection::vec(shaped(&["itemId", "qty", "discount"], ids), 0..4).prop_map(Value::Array)
}

#[derive(Debug, Clone)]
enum Command {
    Quote(Value),
    Sell(Value),
    Return(Value),
    CreateItem(Value),
    EditItem(String, Value),
    CreateCustomer(Value),
    RecordTransfer(Value),
    OpenTicket(Value),
    Advance(String, Value),
    UsePart(String, String, i64),
    Deliver(String, Option<i64>, i64),
    CreateStore(Value),
    Settings(Value),
    Activity(Value, u32, u32),
    PayDebt(String, Value, i64),
    Receive(String, i64, i64),
    Adjust(String, i64, String),
    MoveStock(String, String, String, i64),
    Count(String, i64),
    SetRate(String),
    Search(String, u32, u32),
}

fn commands(ids: Vec<String>) -> impl Strategy<Value = Command> {
    let id = prop::sample::select(ids.clone());
    let qty = prop::sample::select(vec![0i64, 1, 2, -1, 3, 1_000_000, i64::MAX, i64::MIN]);
    let sale = (
        lines(ids.clone()),
        shaped(
            &["currency", "discount", "customerId", "payments", "changeCurrency"],
            ids.clone(),
        ),
    )
        .prop_map(|(lines, mut rest)| {
            rest["lines"] = lines;
            rest
        });
    let payments = prop::collection::vec(shaped(&["currency", "amount"], ids.clone()), 0..3).prop_map(Value::Array);
    let customer = prop::option::weighted(0.3, prop::sample::select(ids.clone()));
    let sale = (sale, payments, customer)
        .prop_map(|(mut s, p, c)| {
            s["payments"] = p;
            if let Some(c) = c {
                s["customerId"] = Value::from(c);
            }
            s
        })
        .boxed();
    let any_field = field_value(ids.clone());
    prop_oneof![
        sale.clone().prop_map(Command::Quote),
        sale.prop_map(Command::Sell),
        (shaped(&["invoiceId", "reason"], ids.clone()), lines(ids.clone())).prop_map(|(mut r, l)| {
            r["lines"] = l;
            Command::Return(r)
        }),
        shaped(
            &["name", "barcode", "category", "currency", "price", "cost"],
            ids.clone()
        )
        .prop_map(Command::CreateItem),
        (
            id.clone(),
            shaped(
                &["name", "barcode", "category", "currency", "price", "cost"],
                ids.clone()
            )
        )
            .prop_map(|(i, v)| Command::EditItem(i, v)),
        shaped(&["name", "phone", "creditLimit"], ids.clone()).prop_map(Command::CreateCustomer),
        shaped(
            &["direction", "currency", "amount", "fee", "party", "phone"],
            ids.clone()
        )
        .prop_map(Command::RecordTransfer),
        shaped(
            &["customerId", "device", "fault", "currency", "estimate", "deposit"],
            ids.clone()
        )
        .prop_map(Command::OpenTicket),
        (id.clone(), any_field.clone()).prop_map(|(i, to)| Command::Advance(i, to)),
        (id.clone(), id.clone(), qty.clone()).prop_map(|(t, i, q)| Command::UsePart(t, i, q)),
        (id.clone(), prop::option::of(qty.clone()), qty.clone()).prop_map(|(t, c, p)| Command::Deliver(t, c, p)),
        shaped(&["name", "address", "phone", "allowNegativeStock"], ids.clone()).prop_map(Command::CreateStore),
        shaped(
            &[
                "shopName",
                "receiptHeader",
                "iqdStep",
                "returnApprovalAboveIqd",
                "maxPinAttempts",
                "lockMinutes",
                "discountApprovalAbovePercent"
            ],
            ids.clone()
        )
        .prop_map(Command::Settings),
        (shaped(&["action", "text"], ids.clone()), any::<u32>(), any::<u32>())
            .prop_map(|(f, o, l)| Command::Activity(f, o, l)),
        (id.clone(), any_field.clone(), qty.clone()).prop_map(|(d, c, a)| Command::PayDebt(d, c, a)),
        (id.clone(), qty.clone(), qty.clone()).prop_map(|(i, q, c)| Command::Receive(i, q, c)),
        (id.clone(), qty.clone(), "[a-z ]{0,10}").prop_map(|(i, q, r)| Command::Adjust(i, q, r)),
        (id.clone(), id.clone(), id.clone(), qty.clone()).prop_map(|(i, f, t, q)| Command::MoveStock(i, f, t, q)),
        (id.clone(), qty).prop_map(|(i, c)| Command::Count(i, c)),
        prop::sample::select(vec![
            "1310",
            "0",
            "-1",
            "1e3",
            "abc",
            "",
            "1310.123456789",
            "99999999999999999999"
        ])
        .prop_map(|r| Command::SetRate(r.to_string())),
        (prop_oneof![id, "[a-zA-Z0-9\"*%_ ]{0,12}"], any::<u32>(), any::<u32>())
            .prop_map(|(t, o, l)| Command::Search(t, o, l)),
    ]
}

/// Deserializes like the shell does; a serde refusal is a refused input.
fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| e.to_string())
}

/// Runs one command as the owner in the main store. `Ok(true)` when it
/// was accepted, `Ok(false)` when refused, `Err` never (a panic fails the test).
fn run(shop: &mut Shop, command: &Command) -> bool {
    let ctx = shop.ctx();
    let store = &mut shop.store;
    let core = |r: Result<(), sonic_core::Error>| r.is_ok();
    match command {
        Command::Quote(v) => {
            // Read-only: accepted or not, nothing may change.
            let _ = parse::<SaleInput>(v).map(|i| sale::quote(store, &i));
            false
        }
        Command::Sell(v) => parse::<SaleInput>(v).is_ok_and(|i| core(sale::sell(store, &ctx, &i).map(drop))),
        Command::Return(v) => {
            parse::<ReturnInput>(v).is_ok_and(|i| core(returns::return_sale(store, &ctx, &i, None).map(drop)))
        }
        Command::CreateItem(v) => {
            parse::<ItemInput>(v).is_ok_and(|i| core(catalog::create_item(store, &ctx, &i).map(drop)))
        }
        Command::EditItem(id, v) => {
            parse::<ItemInput>(v).is_ok_and(|i| core(catalog::edit_item(store, &ctx, id, &i).map(drop)))
        }
        Command::CreateCustomer(v) => {
            parse::<CustomerInput>(v).is_ok_and(|i| core(catalog::create_customer(store, &ctx, &i).map(drop)))
        }
        Command::RecordTransfer(v) => {
            parse::<TransferInput>(v).is_ok_and(|i| core(transfer::record_transfer(store, &ctx, &i).map(drop)))
        }
        Command::OpenTicket(v) => {
            parse::<TicketInput>(v).is_ok_and(|i| core(service::open_ticket(store, &ctx, &i).map(drop)))
        }
        Command::Advance(id, to) => {
            parse::<ServiceStatus>(to).is_ok_and(|to| core(service::advance(store, &ctx, id, to).map(drop)))
        }
        Command::UsePart(t, i, q) => core(service::use_part(store, &ctx, t, i, *q).map(drop)),
        Command::Deliver(t, c, p) => core(service::deliver(store, &ctx, t, *c, *p).map(drop)),
        Command::CreateStore(v) => {
            parse::<StoreInput>(v).is_ok_and(|i| core(stores::create_store(store, &ctx, &i).map(drop)))
        }
        Command::Settings(v) => {
            let accepted = parse::<ShopSettings>(v).is_ok_and(|s| core(settings::set_shop_settings(store, &ctx, &s)));
            if accepted {
                // What was accepted is within the bounds, and a wrong PIN
                // under it counts or locks without a panic (a huge
                // lockMinutes once panicked in chrono before the lock was saved).
                let saved = settings::shop_settings(store).unwrap();
                assert!(saved.check().is_ok(), "accepted settings out of bounds: {saved:?}");
                let err = security::sign_in(store, "Owner", "000000", chrono::Utc::now()).unwrap_err();
                assert!(matches!(err.code(), "WrongPin" | "Locked"), "{err}");
            }
            accepted
        }
        Command::Activity(f, offset, limit) => {
            let page = Page {
                offset: *offset,
                limit: *limit,
            };
            let _ = parse::<ActivityFilter>(f).map(|f| activity::list(store, &f, page));
            false
        }
        Command::PayDebt(d, c, a) => {
            parse::<Currency>(c).is_ok_and(|c| core(debt::pay(store, &ctx, d, c, *a).map(drop)))
        }
        Command::Receive(i, q, c) => core(stock::receive(store, &ctx, i, *q, *c)),
        Command::Adjust(i, q, r) => core(stock::adjust(store, &ctx, i, *q, r)),
        Command::MoveStock(i, f, t, q) => core(stock::transfer(store, &ctx, i, f, t, *q)),
        Command::Count(i, c) => core(stock::count(store, &ctx, i, *c).map(drop)),
        Command::SetRate(r) => r
            .parse::<Rate>()
            .is_ok_and(|r| core(rates::set_rate(store, &ctx, rates::RateKind::IqdPerUsd, r))),
        Command::Search(t, offset, limit) => {
            let page = Page {
                offset: *offset,
                limit: *limit,
            };
            let _ = catalog::search_items(store, t, page);
            let _ = catalog::search_customers(store, t, page);
            false
        }
    }
}

#[test]
fn fuzz_every_command_input_from_the_webview() {
    let mut shop = Shop::new();
    let phone = shop.stocked("Phone", Currency::Usd, 25_000, 20_000, 50);
    let cable = shop.stocked("Cable", Currency::Iqd, 5_000, 2_000, 200);
    // Priced so that a few of them overflow any sum in minor units.
    let gold = shop.stocked("Gold bar", Currency::Usd, i64::MAX / 2, 0, 10);
    let customer = shop.customer("Ali", Some(1_000_000));
    let ctx = shop.ctx();
    let invoice = sale::sell(
        &mut shop.store,
        &ctx,
        &parse::<SaleInput>(&json!({
            "lines": [{ "itemId": cable, "qty": 2 }], "currency": "IQD", "customerId": customer,
            "payments": [{ "currency": "IQD", "amount": 2_000 }]
        }))
        .unwrap(),
    )
    .unwrap();
    let ticket = service::open_ticket(
        &mut shop.store,
        &ctx,
        &parse::<TicketInput>(&json!({ "customerId": customer, "device": "A15", "estimate": 10_000 })).unwrap(),
    )
    .unwrap();
    let debt_id = invoice.debt.expect("the sale left a debt").id.key();
    let ids = vec![
        gold,
        phone,
        cable,
        customer,
        invoice.invoice.id.key(),
        ticket.id.key(),
        debt_id,
        shop.main.clone(),
        shop.lenient.clone(),
        "nope".to_string(),
    ];

    let cases = fuzz_cases();
    eprintln!("fuzz: {cases} cases of webview command input (SONIC_FUZZ_CASES)");
    let shop = RefCell::new(shop);
    let (accepted, refused) = (Cell::new(0u32), Cell::new(0u32));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&commands(ids), |command| {
            let mut shop = shop.borrow_mut();
            let before = shop.digests();
            if run(&mut shop, &command) {
                accepted.set(accepted.get() + 1);
                if accepted.get() % 25 == 0 {
                    let problems = audit::audit(&shop.store).unwrap();
                    prop_assert!(problems.is_empty(), "after {command:?}: {problems:?}");
                }
            } else {
                refused.set(refused.get() + 1);
                prop_assert_eq!(
                    before,
                    shop.digests(),
                    "a refused or read-only {:?} changed the store",
                    command
                );
            }
            Ok(())
        })
        .unwrap();
    let problems = audit::audit(&shop.borrow().store).unwrap();
    assert!(
        problems.is_empty(),
        "the shop breaks a rule after the fuzzing: {problems:?}"
    );
    eprintln!(
        "fuzz: webview input: {} accepted, {} refused or read-only, 0 panics, 0 partial writes",
        accepted.get(),
        refused.get()
    );
    assert!(
        accepted.get() > 0,
        "the fuzzing reached the operations (some inputs were accepted)"
    );
}

/// Found while writing the fuzzer: amounts that overflow i64 must be a
/// clear refusal, never a panic (debug) or a wrapped total (release).
#[test]
fn sums_beyond_i64_are_refused_not_wrapped() {
    let mut shop = Shop::new();
    let gold = shop.stocked("Gold bar", Currency::Usd, i64::MAX / 2, 0, 10);
    let before = shop.digests();
    let ctx = shop.ctx();
    for currency in ["USD", "IQD"] {
        let input = parse::<SaleInput>(&json!({
            "lines": [{ "itemId": gold, "qty": 3 }], "currency": currency,
            "payments": [{ "currency": currency, "amount": i64::MAX }]
        }))
        .unwrap();
        let err = sale::quote(&shop.store, &input).expect_err("the total overflows");
        assert!(err.to_string().contains("too large"), "{currency}: {err}");
        assert!(sale::sell(&mut shop.store, &ctx, &input).is_err());
    }
    let err = stock::adjust(&mut shop.store, &ctx, &gold, i64::MIN, "typo").unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
    assert!(stock::count(&mut shop.store, &ctx, &gold, i64::MAX).is_err());
    assert_eq!(before, shop.digests(), "nothing was written");
}
