//! Sales: exact money in both currencies, stock, numbering, debts, and every
//! refusal leaving the store exactly as it was.

mod common;

use common::{actor, rate, Shop};
use rust_decimal::Decimal;
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::ops::{catalog, debt, Page};
use sonic_core::sections::{Currency, Rate, Role};
use sonic_core::Error;
use std::str::FromStr;

fn line(item_id: &str, qty: i64) -> SaleLineInput {
    SaleLineInput {
        item_id: item_id.to_string(),
        qty,
        discount: 0,
    }
}

fn cash(currency: Currency, amount: i64) -> TenderInput {
    TenderInput { currency, amount }
}

fn sale(lines: Vec<SaleLineInput>, currency: Currency, payments: Vec<TenderInput>) -> SaleInput {
    SaleInput {
        lines,
        currency,
        discount: 0,
        customer_id: None,
        payments,
        change_currency: None,
    }
}

#[test]
fn iqd_sale_moves_stock_numbers_the_invoice_logs_and_gives_change() {
    let mut shop = Shop::new();
    let phone = shop.stocked("Phone case", Currency::Iqd, 25_000, 20_000, 10);
    let ctx = shop.ctx();
    let r = sale::sell(
        &mut shop.store,
        &ctx,
        &sale(vec![line(&phone, 2)], Currency::Iqd, vec![cash(Currency::Iqd, 60_000)]),
    )
    .unwrap();
    assert_eq!(r.invoice.number, 1, "the first invoice is number 1");
    assert_eq!(r.invoice.subtotal, Some(50_000));
    assert_eq!(r.invoice.total, 50_000);
    assert_eq!(r.invoice.paid, Some(50_000));
    assert_eq!(r.change, 10_000, "60,000 handed over for 50,000");
    assert_eq!(r.change_currency, Currency::Iqd);
    assert_eq!(r.debt, None, "a fully paid sale opens no debt");
    assert_eq!(
        r.invoice.rate,
        Some(rate(common::RATE)),
        "the current rate is stored on the invoice"
    );
    assert_eq!(
        r.invoice.lines[0].unit_cost,
        Some(20_000),
        "the cost at the time of sale is kept"
    );
    assert_eq!(shop.level(&phone), 8, "two of ten sold");

    let export = shop.export();
    assert_eq!(export["sonic_invoice_counter"], 1);
    let moves: Vec<_> = common::records_of(&export, "sonic_inventory_data")
        .into_iter()
        .filter(|m| m["reason"] == "sale")
        .collect();
    assert_eq!(moves.len(), 1, "one movement per line");
    assert_eq!(moves[0]["delta"], -2);
    assert_eq!(moves[0]["reference"], r.invoice.id.key());
    let sold: Vec<_> = common::records_of(&export, "sonic_items_data")
        .into_iter()
        .filter(|e| e["kind"] == "sold")
        .collect();
    assert_eq!(sold.len(), 1, "one per-item entry per line");
    assert_eq!(sold[0]["qty"], -2);
    assert_eq!(shop.activity("sale").len(), 1, "the sale is in the activity log");
    assert_eq!(
        sale::invoice_by_number(&shop.store, 1).unwrap().as_ref(),
        Some(&r.invoice),
        "the invoice reads back by number"
    );
}

#[test]
fn usd_price_on_an_iqd_invoice_is_rounded_to_the_iqd_step() {
    let mut shop = Shop::new();
    // $12.34 at 1310 = 16,165.4 IQD → nearest 250 = 16,250.
    let item = shop.stocked("Charger", Currency::Usd, 1234, 900, 5);
    let ctx = shop.ctx();
    let r = sale::sell(
        &mut shop.store,
        &ctx,
        &sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 16_250)]),
    )
    .unwrap();
    assert_eq!(r.invoice.lines[0].total, Some(16_250));
    assert_eq!(
        r.invoice.lines[0].unit_price, 1234,
        "the unit price stays in the item's currency"
    );
    assert_eq!(r.invoice.lines[0].currency, Some(Currency::Usd));
    assert_eq!(r.invoice.total, 16_250);
    assert_eq!(r.change, 0);
}

#[test]
fn iqd_price_on_a_usd_invoice_is_rounded_to_the_cent() {
    let mut shop = Shop::new();
    // 25,000 IQD at 1310 = $19.0839… → 1908 cents.
    let item = shop.stocked("Cable", Currency::Iqd, 25_000, 0, 5);
    let ctx = shop.ctx();
    let r = sale::sell(
        &mut shop.store,
        &ctx,
        &sale(vec![line(&item, 1)], Currency::Usd, vec![cash(Currency::Usd, 2000)]),
    )
    .unwrap();
    assert_eq!(r.invoice.total, 1908);
    assert_eq!(r.change, 92, "$20.00 for $19.08");
    assert_eq!(r.change_currency, Currency::Usd);
}

#[test]
fn line_and_invoice_discounts_come_off_the_total_exactly() {
    let mut shop = Shop::new();
    let a = shop.stocked("A", Currency::Iqd, 7_000, 0, 10);
    let b = shop.stocked("B", Currency::Iqd, 3_000, 0, 10);
    let ctx = shop.ctx();
    let input = SaleInput {
        lines: vec![
            SaleLineInput {
                item_id: a.clone(),
                qty: 3,
                discount: 1_000,
            },
            line(&b, 2),
        ],
        currency: Currency::Iqd,
        discount: 500,
        customer_id: None,
        payments: vec![cash(Currency::Iqd, 25_500)],
        change_currency: None,
    };
    let r = sale::sell(&mut shop.store, &ctx, &input).unwrap();
    let totals: Vec<_> = r.invoice.lines.iter().map(|l| l.total).collect();
    assert_eq!(totals, vec![Some(20_000), Some(6_000)]);
    assert_eq!(r.invoice.lines[0].discount, Some(1_000));
    assert_eq!(r.invoice.subtotal, Some(26_000));
    assert_eq!(r.invoice.discount, Some(500));
    assert_eq!(r.invoice.total, 25_500);
    assert_eq!(r.change, 0);
}

#[test]
fn dollars_handed_over_on_an_iqd_invoice_are_counted_to_the_dinar_and_change_given_in_either_currency() {
    let mut shop = Shop::new();
    let item = shop.stocked("Speaker", Currency::Iqd, 50_000, 0, 10);
    let ctx = shop.ctx();
    // $40 at 1310 = 52,400 IQD; 2,400 back.
    let r = sale::sell(
        &mut shop.store,
        &ctx,
        &sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Usd, 4_000)]),
    )
    .unwrap();
    assert_eq!(r.invoice.paid, Some(50_000));
    assert_eq!(r.change, 2_400);
    assert_eq!(r.change_currency, Currency::Iqd);

    // Same, change in dollars: 2,400 IQD = $1.832… → 183 cents.
    let mut input = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Usd, 4_000)]);
    input.change_currency = Some(Currency::Usd);
    let r = sale::sell(&mut shop.store, &ctx, &input).unwrap();
    assert_eq!(r.change, 183);
    assert_eq!(r.change_currency, Currency::Usd);
    assert_eq!(r.invoice.change_currency, Some(Currency::Usd));

    // Mixed tender: 30,000 IQD and $20 (26,200 IQD) = 56,200 for 50,000.
    let r = sale::sell(
        &mut shop.store,
        &ctx,
        &sale(
            vec![line(&item, 1)],
            Currency::Iqd,
            vec![cash(Currency::Iqd, 30_000), cash(Currency::Usd, 2_000)],
        ),
    )
    .unwrap();
    assert_eq!(r.change, 6_200);
    assert_eq!(r.invoice.payments.len(), 2, "each tender is kept");
}

#[test]
fn partial_payment_opens_a_debt_for_the_rest() {
    let mut shop = Shop::new();
    let item = shop.stocked("Tablet", Currency::Iqd, 50_000, 0, 3);
    let ali = shop.customer("Ali", None);
    let ctx = shop.ctx();
    let mut input = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 30_000)]);
    input.customer_id = Some(ali.clone());
    let r = sale::sell(&mut shop.store, &ctx, &input).unwrap();
    assert_eq!(r.invoice.paid, Some(30_000));
    assert_eq!(r.change, 0);
    let d = r.debt.expect("the unpaid part is a debt");
    assert_eq!(d.amount, 20_000);
    assert_eq!(d.currency, Currency::Iqd);
    assert_eq!(d.source.as_deref(), Some("sale"));
    assert_eq!(d.source_id.as_ref(), Some(&r.invoice.id));
    let b = debt::balance(&shop.store, &ali).unwrap();
    assert_eq!((b.iqd, b.usd), (20_000, 0));
}

#[test]
fn partial_payment_without_a_customer_is_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Tablet", Currency::Iqd, 50_000, 0, 3);
    let ctx = shop.ctx();
    let input = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 30_000)]);
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    assert_eq!(err.code(), "Validation", "{err}");
    assert_eq!(shop.level(&item), 3);
}

#[test]
fn selling_more_than_the_stock_is_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Earbuds", Currency::Iqd, 10_000, 0, 3);
    let other = shop.stocked("Cover", Currency::Iqd, 1_000, 0, 10);
    let ctx = shop.ctx();
    // The second line fails after the first was moved: all of it is undone.
    let input = sale(
        vec![line(&other, 1), line(&item, 4)],
        Currency::Iqd,
        vec![cash(Currency::Iqd, 41_000)],
    );
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    match err {
        Error::InsufficientStock { have, want, .. } => assert_eq!((have, want), (3, 4)),
        other => panic!("expected InsufficientStock, got {other:?}"),
    }
    assert_eq!(shop.level(&other), 10, "the first line's stock is back");
}

#[test]
fn the_same_item_on_two_lines_is_checked_against_the_stock_together() {
    let mut shop = Shop::new();
    let item = shop.stocked("Earbuds", Currency::Iqd, 10_000, 0, 3);
    let ctx = shop.ctx();
    let input = sale(
        vec![line(&item, 2), line(&item, 2)],
        Currency::Iqd,
        vec![cash(Currency::Iqd, 40_000)],
    );
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    assert!(matches!(err, Error::InsufficientStock { .. }), "{err:?}");
}

#[test]
fn selling_below_zero_is_allowed_where_the_store_allows_negative_stock() {
    let mut shop = Shop::new();
    let item = shop.item_with("Sim card", None, Currency::Iqd, 5_000, 0);
    let ctx = shop.ctx_as(&shop.owner.clone(), &shop.lenient.clone());
    sale::sell(
        &mut shop.store,
        &ctx,
        &sale(vec![line(&item, 2)], Currency::Iqd, vec![cash(Currency::Iqd, 10_000)]),
    )
    .unwrap();
    assert_eq!(
        sonic_core::ops::stock::level(&shop.store, &item, &shop.lenient).unwrap(),
        -2
    );
    // The main store still refuses.
    let ctx = shop.ctx();
    let input = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 5_000)]);
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    assert!(
        matches!(err, Error::InsufficientStock { have: 0, want: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn unknown_item_is_refused() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let input = sale(vec![line("item-nope", 1)], Currency::Iqd, vec![]);
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    assert!(matches!(err, Error::NotFound { what: "item", .. }), "{err:?}");
}

#[test]
fn zero_or_negative_quantity_is_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 1_000, 0, 5);
    let ctx = shop.ctx();
    for qty in [0, -1] {
        let input = sale(vec![line(&item, qty)], Currency::Iqd, vec![cash(Currency::Iqd, 1_000)]);
        let err = shop.refused(|s| sale::sell(s, &ctx, &input));
        assert!(
            matches!(err, Error::NotPositive { found, .. } if found == qty),
            "{err:?}"
        );
    }
    assert_eq!(shop.level(&item), 5);
}

#[test]
fn an_empty_sale_a_negative_discount_or_payment_and_a_discount_above_the_line_are_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 1_000, 0, 5);
    let ctx = shop.ctx();
    let mut inputs = vec![sale(vec![], Currency::Iqd, vec![])];
    let mut neg_line = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 1_000)]);
    neg_line.lines[0].discount = -1;
    inputs.push(neg_line);
    let mut big_line = sale(vec![line(&item, 1)], Currency::Iqd, vec![]);
    big_line.lines[0].discount = 1_001;
    inputs.push(big_line);
    let mut neg_inv = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 1_000)]);
    neg_inv.discount = -5;
    inputs.push(neg_inv);
    let mut big_inv = sale(vec![line(&item, 1)], Currency::Iqd, vec![]);
    big_inv.discount = 1_001;
    inputs.push(big_inv);
    inputs.push(sale(
        vec![line(&item, 1)],
        Currency::Iqd,
        vec![cash(Currency::Iqd, 2_000), cash(Currency::Iqd, -1_000)],
    ));
    for input in inputs {
        let err = shop.refused(|s| sale::sell(s, &ctx, &input));
        assert_eq!(err.code(), "Validation", "{input:?} → {err}");
    }
}

#[test]
fn archived_item_cannot_be_sold() {
    let mut shop = Shop::new();
    let item = shop.stocked("Old model", Currency::Iqd, 1_000, 0, 5);
    let ctx = shop.ctx();
    catalog::archive_item(&mut shop.store, &ctx, &item).unwrap();
    let input = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 1_000)]);
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    assert_eq!(err.code(), "Validation", "{err}");
}

#[test]
fn converting_without_a_rate_is_refused_and_same_currency_sales_need_none() {
    let mut shop = Shop::without_rate();
    let usd = shop.stocked("Charger", Currency::Usd, 1_000, 0, 5);
    let iqd = shop.stocked("Cable", Currency::Iqd, 1_000, 0, 5);
    let ctx = shop.ctx();
    let cases = [
        sale(vec![line(&usd, 1)], Currency::Iqd, vec![]),
        sale(vec![line(&iqd, 1)], Currency::Iqd, vec![cash(Currency::Usd, 100)]),
    ];
    for input in cases {
        let err = shop.refused(|s| sale::sell(s, &ctx, &input));
        assert!(matches!(err, Error::RateNotSet { .. }), "{err:?}");
    }
    let r = sale::sell(
        &mut shop.store,
        &ctx,
        &sale(vec![line(&usd, 1)], Currency::Usd, vec![cash(Currency::Usd, 1_000)]),
    )
    .unwrap();
    assert_eq!(r.invoice.rate, None, "no rate to store");
    assert_eq!(r.invoice.total, 1_000);
}

#[test]
fn a_rate_must_be_positive() {
    assert!(Rate::new(Decimal::ZERO).is_err(), "zero is not a rate");
    assert!(Rate::new(Decimal::from(-1310)).is_err(), "a negative is not a rate");
    assert!(Rate::from_str("abc").is_err());
    assert!(Rate::from_str("0").is_err());
    assert_eq!(
        Rate::new(Decimal::from_str("1310.50").unwrap()).unwrap().to_string(),
        "1310.5"
    );
}

#[test]
fn a_cashier_cannot_set_a_rate_and_a_change_is_in_the_history() {
    let mut shop = Shop::new();
    let cashier = actor("Sara", Role::Cashier);
    let ctx = shop.ctx_as(&cashier, &shop.main.clone());
    let err = shop.refused(|s| rates::set_rate(s, &ctx, RateKind::IqdPerUsd, rate("1500")));
    assert!(matches!(err, Error::Forbidden { has: Role::Cashier, .. }), "{err:?}");
    assert_eq!(
        rates::rate(&shop.store, RateKind::IqdPerUsd).unwrap(),
        Some(rate("1310"))
    );

    let manager = actor("Omar", Role::Manager);
    let ctx = shop.ctx_as(&manager, &shop.main.clone());
    rates::set_rate(&mut shop.store, &ctx, RateKind::IqdPerUsd, rate("1500")).unwrap();
    rates::set_rate(&mut shop.store, &ctx, RateKind::Transfer, rate("1480")).unwrap();
    assert_eq!(
        rates::rate(&shop.store, RateKind::IqdPerUsd).unwrap(),
        Some(rate("1500"))
    );
    let h = rates::rate_history(&shop.store, RateKind::IqdPerUsd, Page::FIRST).unwrap();
    assert_eq!(h.len(), 2, "the owner's first setting and the manager's change: {h:?}");
    assert_eq!(h[0].old.as_deref(), Some("1310"));
    assert_eq!(h[0].new, "1500");
    assert_eq!(h[0].by.as_deref(), Some("Omar"));
    assert_eq!(h[0].at, Some(shop.t0));
    assert_eq!(h[1].old, None, "the first rate had none before it");
    let t = rates::rate_history(&shop.store, RateKind::Transfer, Page::FIRST).unwrap();
    assert_eq!(t.len(), 1, "each rate has its own history");
    assert_eq!(shop.export()["sonic_iqd_per_usd"], "1500");
}

#[test]
fn credit_limit_refuses_a_sale_with_partial_payment_that_would_pass_it() {
    let mut shop = Shop::new();
    let item = shop.stocked("TV", Currency::Iqd, 50_000, 0, 5);
    let ali = shop.customer("Ali", Some(30_000));
    let ctx = shop.ctx();
    let mut input = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 10_000)]);
    input.customer_id = Some(ali.clone());
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    match err {
        Error::CreditLimit {
            limit, owed, would_owe, ..
        } => assert_eq!((limit, owed, would_owe), (30_000, 0, 40_000)),
        other => panic!("expected CreditLimit, got {other:?}"),
    }
    assert_eq!(shop.level(&item), 5);
    assert_eq!(shop.export()["sonic_invoice_counter"], 0, "no number was used");

    // Up to the limit is fine.
    input.payments = vec![cash(Currency::Iqd, 20_000)];
    sale::sell(&mut shop.store, &ctx, &input).unwrap();
    assert_eq!(debt::balance(&shop.store, &ali).unwrap().iqd, 30_000);

    // A dollar debt counts at the rate: $1 = 1310 IQD would pass 30,000.
    let usd = shop.stocked("Adapter", Currency::Usd, 100, 0, 5);
    let mut input = sale(vec![line(&usd, 1)], Currency::Usd, vec![]);
    input.customer_id = Some(ali.clone());
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    assert!(
        matches!(
            err,
            Error::CreditLimit {
                owed: 30_000,
                would_owe: 31_310,
                ..
            }
        ),
        "{err:?}"
    );
    // Paying in full needs no credit.
    input.payments = vec![cash(Currency::Usd, 100)];
    sale::sell(&mut shop.store, &ctx, &input).unwrap();
}

#[test]
fn invoice_numbers_follow_the_counter_and_a_refused_sale_uses_none() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 1_000, 0, 2);
    let ctx = shop.ctx();
    let one = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 1_000)]);
    assert_eq!(sale::sell(&mut shop.store, &ctx, &one).unwrap().invoice.number, 1);
    let too_many = sale(vec![line(&item, 5)], Currency::Iqd, vec![cash(Currency::Iqd, 5_000)]);
    shop.refused(|s| sale::sell(s, &ctx, &too_many));
    assert_eq!(sale::sell(&mut shop.store, &ctx, &one).unwrap().invoice.number, 2);
    let page = sale::invoices(&shop.store, Page { offset: 0, limit: 1 }).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].number, 2, "newest first");
    let page = sale::invoices(&shop.store, Page { offset: 1, limit: 10 }).unwrap();
    assert_eq!(page.iter().map(|i| i.number).collect::<Vec<_>>(), vec![1]);
}

#[test]
fn a_sale_in_an_unknown_store_is_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 1_000, 0, 2);
    let ctx = shop.ctx_as(&shop.owner.clone(), "store-99");
    let input = sale(vec![line(&item, 1)], Currency::Iqd, vec![cash(Currency::Iqd, 1_000)]);
    let err = shop.refused(|s| sale::sell(s, &ctx, &input));
    assert!(matches!(err, Error::NotFound { what: "store", .. }), "{err:?}");
}

#[test]
fn a_cashiers_discount_above_the_shops_share_needs_a_managers_approval() {
    let mut shop = Shop::new();
    let phone = shop.stocked("Phone case", Currency::Iqd, 100_000, 50_000, 10);
    let cashier = shop.ctx_as(&actor("Sara", Role::Cashier), &shop.main.clone());
    let discounted = |line_off: i64, invoice_off: i64| SaleInput {
        discount: invoice_off,
        ..sale(
            vec![SaleLineInput {
                discount: line_off,
                ..line(&phone, 1)
            }],
            Currency::Iqd,
            vec![cash(Currency::Iqd, 100_000)],
        )
    };
    // The default share is 20 %: 15 % + 10 % of a 100,000 sale is 25 %.
    let big = discounted(15_000, 10_000);
    let err = shop.refused(|s| sale::sell(s, &cashier, &big));
    assert!(matches!(err, Error::ApprovalRequired { .. }), "{err:?}");
    let other_cashier = actor("Ali", Role::Cashier);
    let err = shop.refused(|s| sale::sell_approved(s, &cashier, &big, Some(&other_cashier)));
    assert_eq!(err.code(), "Forbidden", "a cashier cannot approve: {err}");

    let manager = actor("Mona", Role::Manager);
    let sold = sale::sell_approved(&mut shop.store, &cashier, &big, Some(&manager)).unwrap();
    assert_eq!(sold.invoice.total, 75_000);
    assert_eq!(
        sold.invoice.extra.get("approvedBy").and_then(|v| v.as_str()),
        Some("Mona")
    );
    // Within the share, or sold by a manager: no approval.
    sale::sell(&mut shop.store, &cashier, &discounted(20_000, 0)).expect("exactly 20 % is allowed");
    let mgr_ctx = shop.ctx_as(&manager, &shop.main.clone());
    sale::sell(&mut shop.store, &mgr_ctx, &discounted(90_000, 0)).expect("a manager discounts alone");
}

/// Finding a sale to return: by customer (any time), by item within a
/// bounded range (the last 92 days unless a start is given), by time.
#[test]
fn sales_are_found_by_customer_item_and_time_with_item_searches_bounded() {
    use sonic_core::ops::sale::InvoiceFind;
    let mut shop = Shop::new();
    let cable = shop.stocked("USB cable", Currency::Iqd, 5_000, 1_000, 10);
    let lamp = shop.stocked("Desk lamp", Currency::Iqd, 7_000, 1_000, 10);
    let huda = shop.customer("Huda Ali", None);
    let ctx = shop.ctx();
    let sell = |shop: &mut Shop, item: &str, price: i64, customer: Option<&str>| {
        let mut input = SaleInput::cash(&[(item, 1)], Currency::Iqd, price);
        input.customer_id = customer.map(str::to_string);
        sale::sell(&mut shop.store, &ctx, &input).unwrap().invoice.number
    };
    let a = sell(&mut shop, &cable, 5_000, Some(&huda));
    let b = sell(&mut shop, &lamp, 7_000, None);
    let c = sell(&mut shop, &lamp, 7_000, Some(&huda));
    let at = shop.t0.timestamp_millis();
    let numbers = |shop: &Shop, find: &InvoiceFind, now: i64| -> Vec<u64> {
        sale::find_invoices(&shop.store, find, now, Page::FIRST)
            .unwrap()
            .iter()
            .map(|i| i.number)
            .collect()
    };
    let by = |customer: Option<&str>, item: Option<&str>, from_ms: Option<i64>| InvoiceFind {
        customer: customer.map(str::to_string),
        item: item.map(str::to_string),
        from_ms,
        to_ms: None,
    };
    assert_eq!(numbers(&shop, &by(Some("huda"), None, None), at), [c, a]);
    assert_eq!(numbers(&shop, &by(None, Some("lamp"), None), at), [c, b]);
    assert_eq!(numbers(&shop, &by(Some("huda"), Some("lamp"), None), at), [c]);
    assert!(numbers(&shop, &by(Some("nobody"), None, None), at).is_empty());
    // A year later an item alone looks back 92 days only; a start widens it.
    let later = at + 365 * 86_400_000;
    assert!(numbers(&shop, &by(None, Some("lamp"), None), later).is_empty());
    assert_eq!(numbers(&shop, &by(None, Some("lamp"), Some(at - 1)), later), [c, b]);
    assert_eq!(
        numbers(&shop, &by(Some("huda"), None, None), later),
        [c, a],
        "a customer's, at any time"
    );
    let window = InvoiceFind {
        from_ms: Some(at - 1),
        to_ms: Some(at + 1),
        ..InvoiceFind::default()
    };
    assert_eq!(numbers(&shop, &window, later).len(), 3);
}
