//! The credit-limit rule (`ops::debt::check_credit`) at every place a
//! customer's debt can change: a sale on credit, a repair delivered with
//! something unpaid, a debt opened by hand, a payment in the other currency
//! at a later rate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{rate, Shop};
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::sale::{self, SaleInput};
use sonic_core::ops::service::{self, TicketInput};
use sonic_core::ops::{debt, OpCtx};
use sonic_core::sections::{Currency, ServiceStatus};
use sonic_core::Error;

fn credit_sale(
    shop: &mut Shop,
    ctx: &OpCtx,
    customer: &str,
    item: &str,
    currency: Currency,
    paid: i64,
) -> Result<(), Error> {
    let mut input = SaleInput::cash(&[(item, 1)], currency, paid);
    input.customer_id = Some(customer.to_string());
    if paid == 0 {
        input.payments.clear();
    }
    sale::sell(&mut shop.store, ctx, &input).map(drop)
}

/// A ready ticket for `customer` in `currency` with this estimate.
fn ready_ticket(shop: &mut Shop, customer: &str, currency: Currency, estimate: i64) -> String {
    let ctx = shop.ctx();
    let t = service::open_ticket(
        &mut shop.store,
        &ctx,
        &TicketInput {
            customer_id: customer.into(),
            device: "Laptop".into(),
            fault: None,
            currency,
            estimate,
            deposit: 0,
        },
    )
    .unwrap();
    let id = t.id.key();
    for to in [ServiceStatus::Diagnosing, ServiceStatus::Ready] {
        service::advance(&mut shop.store, &ctx, &id, to).unwrap();
    }
    id
}

fn over_limit(err: &Error) -> (i64, i64, i64) {
    match err {
        Error::CreditLimit {
            limit, owed, would_owe, ..
        } => (*limit, *owed, *would_owe),
        other => panic!("expected CreditLimit, got {other:?}"),
    }
}

#[test]
fn a_sale_on_credit_is_refused_past_the_limit_at_todays_rate() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", Some(200_000));
    let adapter = shop.stocked("Adapter", Currency::Usd, 10_000, 0, 5);
    let ctx = shop.ctx();
    // $100 on credit = 131,000 IQD at 1310: under the limit.
    credit_sale(&mut shop, &ctx, &ali, &adapter, Currency::Usd, 0).unwrap();
    // At 1600 the $100 are 160,000; another $100 would make 320,000.
    rates::set_rate(&mut shop.store, &ctx, RateKind::IqdPerUsd, rate("1600")).unwrap();
    let err = shop.refused(|s| {
        let mut input = SaleInput::cash(&[(&adapter, 1)], Currency::Usd, 0);
        input.customer_id = Some(ali.clone());
        input.payments.clear();
        sale::sell(s, &ctx, &input)
    });
    assert_eq!(over_limit(&err), (200_000, 160_000, 320_000));
}

#[test]
fn a_repair_delivered_unpaid_is_refused_past_the_limit() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", Some(100_000));
    let id = ready_ticket(&mut shop, &ali, Currency::Iqd, 150_000);
    let ctx = shop.ctx();
    let err = shop.refused(|s| service::deliver(s, &ctx, &id, None, 0));
    assert_eq!(over_limit(&err), (100_000, 0, 150_000));
    // Paying what passes the limit now, the rest on credit, is fine.
    let d = service::deliver(&mut shop.store, &ctx, &id, None, 50_000).unwrap();
    assert_eq!(d.debt.map(|d| d.amount), Some(100_000));

    // A repair in dollars counts at the rate: $1 more is 1310 IQD over.
    let id = ready_ticket(&mut shop, &ali, Currency::Usd, 100);
    let err = shop.refused(|s| service::deliver(s, &ctx, &id, None, 0));
    assert_eq!(over_limit(&err), (100_000, 100_000, 101_310));
}

#[test]
fn a_debt_opened_by_hand_is_refused_past_the_limit() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", Some(10_000));
    let ctx = shop.ctx();
    let err = shop.refused(|s| debt::open_debt(s, &ctx, &ali, Currency::Iqd, 10_001, ""));
    assert_eq!(over_limit(&err), (10_000, 0, 10_001));
    debt::open_debt(&mut shop.store, &ctx, &ali, Currency::Iqd, 10_000, "").unwrap();
}

#[test]
fn a_payment_at_a_later_rate_never_raises_the_balance_and_is_taken_over_the_limit() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", Some(200_000));
    let ctx = shop.ctx();
    // $100 owed = 131,000 IQD at 1310.
    let d = debt::open_debt(&mut shop.store, &ctx, &ali, Currency::Usd, 10_000, "").unwrap();
    // The rate rises: the $100 are 250,000 IQD, over the limit.
    rates::set_rate(&mut shop.store, &ctx, RateKind::IqdPerUsd, rate("2500")).unwrap();
    let before = debt::balance(&shop.store, &ali).unwrap().in_iqd(Some(rate("2500")));
    assert_eq!(before, 250_000);
    // Paying 50,000 IQD at 2500 credits $20: accepted although over the
    // limit, and the balance goes down, in dollars and in dinars.
    let after = debt::pay(&mut shop.store, &ctx, &d.id.key(), Currency::Iqd, 50_000).unwrap();
    assert_eq!(debt::remaining(&after), 8_000);
    let now = debt::balance(&shop.store, &ali).unwrap();
    assert_eq!((now.usd, now.in_iqd(Some(rate("2500")))), (8_000, 200_000));
    // At the limit, any more credit is refused.
    let err = shop.refused(|s| debt::open_debt(s, &ctx, &ali, Currency::Iqd, 1, ""));
    assert_eq!(over_limit(&err), (200_000, 200_000, 200_001));
}

#[test]
fn without_a_rate_dollar_credit_for_a_customer_with_a_limit_is_refused() {
    let mut shop = Shop::without_rate();
    let ali = shop.customer("Ali", Some(1_000_000));
    let bob = shop.customer("Bob", None);
    let ctx = shop.ctx();
    let err = shop.refused(|s| debt::open_debt(s, &ctx, &ali, Currency::Usd, 100, ""));
    assert!(matches!(err, Error::RateNotSet { .. }), "{err:?}");
    // No limit, nothing to value against.
    debt::open_debt(&mut shop.store, &ctx, &bob, Currency::Usd, 100, "").unwrap();
    debt::open_debt(&mut shop.store, &ctx, &ali, Currency::Iqd, 100, "").unwrap();
}
