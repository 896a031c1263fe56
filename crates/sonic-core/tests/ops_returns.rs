//! Returns: never more than was sold minus earlier returns, refunded at the
//! invoice's rate, stock back, numbered, and a manager's approval above the
//! threshold.

mod common;

use common::{actor, rate, Shop};
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::returns::{self, ReturnInput, ReturnLineInput};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::sections::{Currency, Invoice, Role};
use sonic_core::Error;

fn sell(shop: &mut Shop, lines: &[(&str, i64)], currency: Currency, discount: i64) -> Invoice {
    let ctx = shop.ctx();
    let input = SaleInput {
        lines: lines
            .iter()
            .map(|(id, qty)| SaleLineInput {
                item_id: id.to_string(),
                qty: *qty,
                discount: 0,
            })
            .collect(),
        currency,
        discount,
        customer_id: None,
        // Far more than any total here: change is given.
        payments: vec![TenderInput {
            currency,
            amount: 100_000_000,
        }],
        change_currency: None,
    };
    sale::sell(&mut shop.store, &ctx, &input)
        .expect("the sale goes through")
        .invoice
}

fn ret(invoice: &Invoice, lines: &[(&str, i64)]) -> ReturnInput {
    ReturnInput {
        invoice_id: invoice.id.key(),
        lines: lines
            .iter()
            .map(|(id, qty)| ReturnLineInput {
                item_id: id.to_string(),
                qty: *qty,
            })
            .collect(),
        reason: Some("faulty".into()),
    }
}

#[test]
fn a_return_refunds_at_the_invoice_rate_and_puts_the_stock_back() {
    let mut shop = Shop::new();
    // 2 × $12.34 at 1310 = 32,330.8 IQD → 32,250 at the 250 step.
    let item = shop.stocked("Charger", Currency::Usd, 1234, 0, 5);
    let inv = sell(&mut shop, &[(&item, 2)], Currency::Iqd, 0);
    assert_eq!(inv.total, 32_250);
    assert_eq!(shop.level(&item), 3);

    let ctx = shop.ctx();
    rates::set_rate(&mut shop.store, &ctx, RateKind::IqdPerUsd, rate("1500")).unwrap();
    let r = returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&item, 1)]), None).unwrap();
    assert_eq!(r.number, 1);
    assert_eq!(r.refund, 16_125, "half of what was paid, not the price at today's rate");
    assert_eq!(r.rate, Some(rate("1310")), "the invoice's rate");
    assert_eq!(r.currency, Currency::Iqd);
    assert_eq!(r.lines[0].amount, Some(16_125));
    assert_eq!(r.reason.as_deref(), Some("faulty"));
    assert_eq!(shop.level(&item), 4, "the unit is back in stock");
    let export = shop.export();
    assert_eq!(export["sonic_return_counter"], 1);
    let back: Vec<_> = common::records_of(&export, "sonic_inventory_data")
        .into_iter()
        .filter(|m| m["reason"] == "return")
        .collect();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["delta"], 1);
    assert_eq!(shop.activity("return").len(), 1);
}

#[test]
fn return_more_than_sold_is_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5_000, 0, 5);
    let inv = sell(&mut shop, &[(&item, 2)], Currency::Iqd, 0);
    let ctx = shop.ctx();
    let input = ret(&inv, &[(&item, 3)]);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    match err {
        Error::OverReturn {
            sold, returned, want, ..
        } => assert_eq!((sold, returned, want), (2, 0, 3)),
        other => panic!("expected OverReturn, got {other:?}"),
    }
    // Two lines of the same item add up.
    let input = ret(&inv, &[(&item, 2), (&item, 1)]);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    assert!(matches!(err, Error::OverReturn { want: 3, .. }), "{err:?}");
}

#[test]
fn return_more_than_is_left_after_an_earlier_partial_return_is_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5_000, 0, 5);
    let inv = sell(&mut shop, &[(&item, 3)], Currency::Iqd, 0);
    let ctx = shop.ctx();
    returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&item, 2)]), None).unwrap();
    let input = ret(&inv, &[(&item, 2)]);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    match err {
        Error::OverReturn {
            sold, returned, want, ..
        } => assert_eq!((sold, returned, want), (3, 2, 2)),
        other => panic!("expected OverReturn, got {other:?}"),
    }
    let last = returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&item, 1)]), None).unwrap();
    assert_eq!(last.number, 2, "the refused return used no number");
    let input = ret(&inv, &[(&item, 1)]);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    assert!(matches!(err, Error::OverReturn { returned: 3, .. }), "{err:?}");
}

#[test]
fn returning_in_parts_refunds_exactly_what_returning_at_once_would() {
    // 3 × 10,000 with 1,000 off the invoice: 29,000 paid. Returning a unit
    // at a time must still give back 29,000 in all, never more.
    let mut shop = Shop::new();
    let item = shop.stocked("Lamp", Currency::Iqd, 10_000, 0, 10);
    let inv = sell(&mut shop, &[(&item, 3)], Currency::Iqd, 1_000);
    assert_eq!(inv.total, 29_000);
    let ctx = shop.ctx();
    let mut refunds = Vec::new();
    for _ in 0..3 {
        let r = returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&item, 1)]), None).unwrap();
        refunds.push(r.refund);
    }
    assert_eq!(refunds.iter().sum::<i64>(), 29_000, "refunds {refunds:?}");
    assert!(refunds.iter().all(|r| (9_666..=9_667).contains(r)), "{refunds:?}");

    let whole = sell(&mut shop, &[(&item, 3)], Currency::Iqd, 1_000);
    let r = returns::return_sale(&mut shop.store, &ctx, &ret(&whole, &[(&item, 3)]), None).unwrap();
    assert_eq!(r.refund, 29_000);
}

#[test]
fn a_usd_invoice_is_refunded_in_cents() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 25_000, 0, 5);
    let inv = sell(&mut shop, &[(&item, 2)], Currency::Usd, 0);
    assert_eq!(inv.total, 3_817, "50,000 IQD at 1310 = $38.167…");
    let ctx = shop.ctx();
    let r = returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&item, 1)]), None).unwrap();
    assert_eq!(r.currency, Currency::Usd);
    assert_eq!(r.refund, 1_908, "half of 3,817 cents, rounded down");
    let r = returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&item, 1)]), None).unwrap();
    assert_eq!(r.refund, 1_909, "the rest of what was paid");
}

#[test]
fn a_return_above_the_threshold_needs_a_managers_approval() {
    let mut shop = Shop::new();
    let item = shop.stocked("Phone", Currency::Iqd, 150_000, 0, 5);
    let cheap = shop.stocked("Cable", Currency::Iqd, 5_000, 0, 5);
    let inv = sell(&mut shop, &[(&item, 1), (&cheap, 1)], Currency::Iqd, 0);
    let cashier = actor("Sara", Role::Cashier);
    let ctx = shop.ctx_as(&cashier, &shop.main.clone());

    // Below the default 100,000 IQD: the cashier alone may.
    let r = returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&cheap, 1)]), None).unwrap();
    assert_eq!(r.approved_by, None);

    let input = ret(&inv, &[(&item, 1)]);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    assert!(matches!(err, Error::ApprovalRequired { .. }), "{err:?}");
    let other_cashier = actor("Huda", Role::Cashier);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, Some(&other_cashier)));
    assert!(matches!(err, Error::Forbidden { has: Role::Cashier, .. }), "{err:?}");

    let manager = actor("Omar", Role::Manager);
    let r = returns::return_sale(&mut shop.store, &ctx, &input, Some(&manager)).unwrap();
    assert_eq!(r.approved_by.as_deref(), Some("Omar"));
    assert_eq!(r.cashier.as_deref(), Some("Sara"));
    assert_eq!(r.refund, 150_000);
}

#[test]
fn a_manager_returns_above_the_threshold_without_another_approval() {
    let mut shop = Shop::new();
    let item = shop.stocked("Phone", Currency::Iqd, 150_000, 0, 5);
    let inv = sell(&mut shop, &[(&item, 1)], Currency::Iqd, 0);
    let manager = actor("Omar", Role::Manager);
    let ctx = shop.ctx_as(&manager, &shop.main.clone());
    returns::return_sale(&mut shop.store, &ctx, &ret(&inv, &[(&item, 1)]), None).unwrap();
}

#[test]
fn a_return_of_an_item_not_on_the_invoice_or_of_an_unknown_invoice_or_of_nothing_is_refused() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 5_000, 0, 5);
    let other = shop.stocked("Lamp", Currency::Iqd, 5_000, 0, 5);
    let inv = sell(&mut shop, &[(&item, 1)], Currency::Iqd, 0);
    let ctx = shop.ctx();

    let input = ret(&inv, &[(&other, 1)]);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    let mut input = ret(&inv, &[(&item, 1)]);
    input.invoice_id = "inv-nope".into();
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    assert!(matches!(err, Error::NotFound { what: "invoice", .. }), "{err:?}");

    for qty in [0, -1] {
        let input = ret(&inv, &[(&item, qty)]);
        let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
        assert!(matches!(err, Error::NotPositive { .. }), "{err:?}");
    }
    let input = ret(&inv, &[]);
    let err = shop.refused(|s| returns::return_sale(s, &ctx, &input, None));
    assert_eq!(err.code(), "Validation");
}

#[test]
fn a_return_on_a_credit_sale_reduces_the_debt_before_paying_out_cash() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 10_000, 0, 10);
    let customer = shop.customer("Zainab", None);
    let ctx = shop.ctx();
    // 3 × 10,000 = 30,000 IQD, 12,000 paid: 18,000 owed.
    let input = SaleInput {
        lines: vec![SaleLineInput {
            item_id: item.clone(),
            qty: 3,
            discount: 0,
        }],
        currency: Currency::Iqd,
        discount: 0,
        customer_id: Some(customer.clone()),
        payments: vec![TenderInput {
            currency: Currency::Iqd,
            amount: 12_000,
        }],
        change_currency: None,
    };
    let receipt = sale::sell(&mut shop.store, &ctx, &input).unwrap();
    let debt_id = receipt.debt.expect("the unpaid part is a debt").id.key();
    let balance = |shop: &Shop| sonic_core::ops::debt::balance(&shop.store, &customer).unwrap().iqd;
    assert_eq!(balance(&shop), 18_000);

    // Returning 1 (10,000) only lowers what is owed: no cash goes out.
    let r = returns::return_sale(&mut shop.store, &ctx, &ret(&receipt.invoice, &[(&item, 1)]), None).unwrap();
    assert_eq!(r.refund, 10_000);
    assert_eq!(r.extra["debtReduced"], 10_000);
    assert_eq!(r.extra["cashRefund"], 0);
    assert_eq!(balance(&shop), 8_000);

    // Returning the other 2 (20,000) settles the 8,000 left and pays 12,000
    // back: exactly what the customer had paid.
    let r = returns::return_sale(&mut shop.store, &ctx, &ret(&receipt.invoice, &[(&item, 2)]), None).unwrap();
    assert_eq!(r.extra["debtReduced"], 8_000);
    assert_eq!(r.extra["cashRefund"], 12_000);
    assert_eq!(balance(&shop), 0);
    let debt = sonic_core::ops::debt::debt(&shop.store, &debt_id).unwrap().unwrap();
    assert_eq!(debt.status.as_deref(), Some("settled"));
    assert!(sonic_core::ops::audit::audit(&shop.store).unwrap().is_empty());
}
