//! Debts, repair tickets, money transfers, stores and reports.

mod common;

use chrono::Duration;
use common::{actor, rate, Shop};
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::sale::{self, SaleInput};
use sonic_core::ops::service::{self, TicketInput};
use sonic_core::ops::stores::{self, StoreInput};
use sonic_core::ops::transfer::{self, TransferInput};
use sonic_core::ops::{debt, report, Page};
use sonic_core::sections::{Currency, Role, ServiceStatus, TransferDirection};
use sonic_core::Error;

// ---------------------------------------------------------------- debts

#[test]
fn a_debt_is_paid_in_the_other_currency_at_the_rate_and_settled() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let ctx = shop.ctx();
    let d = debt::open_debt(&mut shop.store, &ctx, &ali, Currency::Iqd, 50_000, "old tab").unwrap();
    assert_eq!(d.extra["note"], "old tab");
    // $20 at 1310 = 26,200 IQD credited.
    let d = debt::pay(&mut shop.store, &ctx, &d.id.key(), Currency::Usd, 2_000).unwrap();
    assert_eq!(d.payments[0].credited, Some(26_200));
    assert_eq!(d.payments[0].rate, Some(rate(common::RATE)));
    assert_eq!(debt::remaining(&d), 23_800);
    assert_eq!(debt::balance(&shop.store, &ali).unwrap().iqd, 23_800);

    let err = shop.refused(|s| debt::pay(s, &ctx, &d.id.key(), Currency::Iqd, 23_801));
    assert_eq!(err.code(), "Validation", "overpayment: {err}");
    let err = shop.refused(|s| debt::pay(s, &ctx, &d.id.key(), Currency::Usd, 1_900));
    assert_eq!(err.code(), "Validation", "$19 = 24,890 IQD is more than 23,800: {err}");
    for amount in [0, -5] {
        let err = shop.refused(|s| debt::pay(s, &ctx, &d.id.key(), Currency::Iqd, amount));
        assert!(matches!(err, Error::NotPositive { .. }), "{err:?}");
    }

    let d = debt::settle(&mut shop.store, &ctx, &d.id.key()).unwrap();
    assert_eq!(d.status.as_deref(), Some("settled"));
    assert_eq!(d.payments.last().unwrap().credited, Some(23_800));
    assert_eq!(debt::balance(&shop.store, &ali).unwrap(), debt::Balance::default());
    let err = shop.refused(|s| debt::pay(s, &ctx, &d.id.key(), Currency::Iqd, 1));
    assert_eq!(err.code(), "Conflict", "a settled debt takes no payment");
    let err = shop.refused(|s| debt::settle(s, &ctx, &d.id.key()));
    assert_eq!(err.code(), "Conflict", "settling twice says it is settled: {err}");
    assert!(debt::open_debts(&shop.store, Page::FIRST).unwrap().is_empty());
    assert_eq!(shop.activity("debt_payment").len(), 2);
}

#[test]
fn a_dollar_debt_paid_in_dinars_is_credited_to_the_cent() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let ctx = shop.ctx();
    let d = debt::open_debt(&mut shop.store, &ctx, &ali, Currency::Usd, 10_000, "").unwrap();
    // 25,000 IQD at 1310 = $19.0839… → 1,908 cents.
    let d = debt::pay(&mut shop.store, &ctx, &d.id.key(), Currency::Iqd, 25_000).unwrap();
    assert_eq!(d.payments[0].credited, Some(1_908));
    assert_eq!(d.payments[0].amount, 25_000);
    assert_eq!(d.payments[0].currency, Some(Currency::Iqd));
    let b = debt::balance(&shop.store, &ali).unwrap();
    assert_eq!((b.iqd, b.usd), (0, 8_092));
}

#[test]
fn a_payment_too_small_to_credit_anything_is_refused() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let ctx = shop.ctx();
    let d = debt::open_debt(&mut shop.store, &ctx, &ali, Currency::Usd, 100, "").unwrap();
    // 5 IQD = 0.38 cents → 0 credited: the cash would vanish.
    let err = shop.refused(|s| debt::pay(s, &ctx, &d.id.key(), Currency::Iqd, 5));
    assert!(matches!(err, Error::NotPositive { .. } | Error::Invalid(_)), "{err:?}");
}

#[test]
fn a_cashier_cannot_open_a_debt_by_hand_and_unknown_debts_and_customers_are_refused() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let cashier = actor("Sara", Role::Cashier);
    let ctx = shop.ctx_as(&cashier, &shop.main.clone());
    let err = shop.refused(|s| debt::open_debt(s, &ctx, &ali, Currency::Iqd, 1_000, ""));
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let ctx = shop.ctx();
    let err = shop.refused(|s| debt::open_debt(s, &ctx, "cust-nope", Currency::Iqd, 1_000, ""));
    assert!(matches!(err, Error::NotFound { what: "customer", .. }), "{err:?}");
    let err = shop.refused(|s| debt::open_debt(s, &ctx, &ali, Currency::Iqd, 0, ""));
    assert!(matches!(err, Error::NotPositive { .. }), "{err:?}");
    let err = shop.refused(|s| debt::pay(s, &ctx, "debt-nope", Currency::Iqd, 1_000));
    assert!(matches!(err, Error::NotFound { what: "debt", .. }), "{err:?}");
}

#[test]
fn a_debt_in_the_other_currency_needs_a_rate_to_be_paid() {
    let mut shop = Shop::without_rate();
    let ali = shop.customer("Ali", None);
    let ctx = shop.ctx();
    let d = debt::open_debt(&mut shop.store, &ctx, &ali, Currency::Iqd, 10_000, "").unwrap();
    let err = shop.refused(|s| debt::pay(s, &ctx, &d.id.key(), Currency::Usd, 100));
    assert!(matches!(err, Error::RateNotSet { .. }), "{err:?}");
}

// ---------------------------------------------------------------- services

fn ticket(shop: &mut Shop, customer: &str, estimate: i64, deposit: i64) -> String {
    let ctx = shop.ctx();
    service::open_ticket(
        &mut shop.store,
        &ctx,
        &TicketInput {
            customer_id: customer.into(),
            device: "iPhone 11".into(),
            fault: Some("screen".into()),
            currency: Currency::Iqd,
            estimate,
            deposit,
        },
    )
    .expect("a ticket opens")
    .id
    .key()
}

#[test]
fn a_ticket_moves_through_the_status_flow_with_who_and_when() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let id = ticket(&mut shop, &ali, 60_000, 10_000);
    let tech = actor("Tech", Role::Cashier);
    let mut ctx = shop.ctx_as(&tech, &shop.main.clone());
    for (minutes, to) in [
        (5, ServiceStatus::Diagnosing),
        (30, ServiceStatus::WaitingForParts),
        (90, ServiceStatus::Ready),
    ] {
        ctx.at = shop.t0 + Duration::minutes(minutes);
        let t = service::advance(&mut shop.store, &ctx, &id, to).unwrap();
        assert_eq!(t.status, to);
        let last = t.history.last().unwrap();
        assert_eq!((last.status, last.by.as_deref()), (to, Some("Tech")));
        assert_eq!(last.at.instant(), ctx.at);
    }
    let d = service::deliver(&mut shop.store, &ctx, &id, None, 50_000).unwrap();
    assert_eq!(d.due, 50_000, "the estimate minus the deposit");
    assert_eq!(d.debt, None);
    assert_eq!(d.ticket.status, ServiceStatus::Delivered);
    assert_eq!(d.ticket.history.len(), 5, "received, three changes, delivered");
    let delivered = service::tickets(&shop.store, ServiceStatus::Delivered, Page::FIRST).unwrap();
    assert_eq!(delivered.len(), 1);
}

#[test]
fn illegal_status_changes_are_refused() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let id = ticket(&mut shop, &ali, 60_000, 0);
    let ctx = shop.ctx();
    for to in [
        ServiceStatus::Ready,
        ServiceStatus::WaitingForParts,
        ServiceStatus::Received,
    ] {
        let err = shop.refused(|s| service::advance(s, &ctx, &id, to));
        assert_eq!(err.code(), "Conflict", "received → {to:?}");
    }
    let err = shop.refused(|s| service::advance(s, &ctx, &id, ServiceStatus::Delivered));
    assert_eq!(err.code(), "Validation", "delivery goes through deliver");
    let err = shop.refused(|s| service::deliver(s, &ctx, &id, None, 0));
    assert_eq!(err.code(), "Conflict", "not ready yet");

    service::advance(&mut shop.store, &ctx, &id, ServiceStatus::Cancelled).unwrap();
    for to in [
        ServiceStatus::Diagnosing,
        ServiceStatus::Ready,
        ServiceStatus::Cancelled,
    ] {
        let err = shop.refused(|s| service::advance(s, &ctx, &id, to));
        assert_eq!(err.code(), "Conflict", "cancelled → {to:?}");
    }
    let err = shop.refused(|s| service::advance(s, &ctx, "svc-nope", ServiceStatus::Diagnosing));
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[test]
fn parts_come_out_of_stock_and_not_beyond_it() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let screen = shop.stocked("Screen", Currency::Iqd, 40_000, 25_000, 2);
    let id = ticket(&mut shop, &ali, 60_000, 0);
    let ctx = shop.ctx();
    let t = service::use_part(&mut shop.store, &ctx, &id, &screen, 1).unwrap();
    assert_eq!(t.parts.len(), 1);
    assert_eq!(t.parts[0].unit_price, Some(40_000));
    assert_eq!(shop.level(&screen), 1);
    let moves: Vec<_> = shop
        .records("sonic_inventory_data")
        .into_iter()
        .filter(|m| m["reason"] == "service_part")
        .collect();
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0]["reference"], id);

    let err = shop.refused(|s| service::use_part(s, &ctx, &id, &screen, 2));
    assert!(
        matches!(err, Error::InsufficientStock { have: 1, want: 2, .. }),
        "{err:?}"
    );
    let err = shop.refused(|s| service::use_part(s, &ctx, &id, &screen, 0));
    assert!(matches!(err, Error::NotPositive { .. }), "{err:?}");
    // Cancelling gives the part back to the store it came from.
    let cancelled = service::advance(&mut shop.store, &ctx, &id, ServiceStatus::Cancelled).unwrap();
    assert_eq!(shop.level(&screen), 2, "the part is back in stock");
    assert!(cancelled.extra.get("depositReturned").is_none(), "no deposit was taken");
    let back: Vec<_> = shop
        .records("sonic_inventory_data")
        .into_iter()
        .filter(|m| m["reason"] == "service_part_return")
        .collect();
    assert_eq!((back.len(), back[0]["delta"].as_i64()), (1, Some(1)));
    let err = shop.refused(|s| service::use_part(s, &ctx, &id, &screen, 1));
    assert_eq!(err.code(), "Conflict", "a closed ticket takes no parts");
}

#[test]
fn a_deposit_is_never_kept_for_nothing() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    // Cancelled: the whole deposit goes back.
    let id = ticket(&mut shop, &ali, 60_000, 20_000);
    let ctx = shop.ctx();
    let t = service::advance(&mut shop.store, &ctx, &id, ServiceStatus::Cancelled).unwrap();
    assert_eq!(t.extra["depositReturned"], 20_000);
    // Delivered for less than the deposit: the rest goes back, nothing is owed.
    let id = ticket(&mut shop, &ali, 60_000, 30_000);
    ready(&mut shop, &id);
    let d = service::deliver(&mut shop.store, &ctx, &id, Some(25_000), 0).unwrap();
    assert_eq!((d.due, d.paid, d.refund), (0, 0, 5_000));
    assert!(d.debt.is_none());
    assert_eq!(d.ticket.extra["depositReturned"], 5_000);
    assert_eq!(debt::balance(&shop.store, &ali).unwrap().iqd, 0);
}

fn ready(shop: &mut Shop, id: &str) {
    let ctx = shop.ctx();
    service::advance(&mut shop.store, &ctx, id, ServiceStatus::Diagnosing).expect("received → diagnosing");
    service::advance(&mut shop.store, &ctx, id, ServiceStatus::Ready).expect("diagnosing → ready");
}

#[test]
fn delivery_opens_a_debt_for_what_is_not_paid() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let id = ticket(&mut shop, &ali, 60_000, 10_000);
    ready(&mut shop, &id);
    let ctx = shop.ctx();
    let err = shop.refused(|s| service::deliver(s, &ctx, &id, Some(75_000), 65_001));
    assert_eq!(err.code(), "Validation", "more than due: {err}");
    let err = shop.refused(|s| service::deliver(s, &ctx, &id, Some(-1), 0));
    assert_eq!(err.code(), "Validation");

    let d = service::deliver(&mut shop.store, &ctx, &id, Some(75_000), 40_000).unwrap();
    assert_eq!((d.due, d.paid, d.refund), (65_000, 40_000, 0));
    let debt = d.debt.expect("the rest is a debt");
    assert_eq!((debt.amount, debt.currency), (25_000, Currency::Iqd));
    assert_eq!(debt.source.as_deref(), Some("service"));
    assert_eq!(debt.source_id.as_ref(), Some(&d.ticket.id));
    assert_eq!(debt::balance(&shop.store, &ali).unwrap().iqd, 25_000);
    let err = shop.refused(|s| service::deliver(s, &ctx, &id, None, 0));
    assert_eq!(err.code(), "Conflict", "delivered once");
}

#[test]
fn a_ticket_in_dollars_keeps_its_amounts_and_its_debt_in_dollars() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let ctx = shop.ctx();
    let input = TicketInput {
        customer_id: ali.clone(),
        device: "iPad 9".into(),
        fault: None,
        currency: Currency::Usd,
        estimate: 12_050,
        deposit: 2_000,
    };
    let t = service::open_ticket(&mut shop.store, &ctx, &input).unwrap();
    assert_eq!(t.currency, Some(Currency::Usd));
    let id = t.id.key();
    ready(&mut shop, &id);
    // $120.50 − $20 deposit = $100.50 due; $60 paid leaves $40.50.
    let d = service::deliver(&mut shop.store, &ctx, &id, None, 6_000).unwrap();
    assert_eq!((d.due, d.paid), (10_050, 6_000));
    let debt = d.debt.expect("the rest is a debt");
    assert_eq!(
        (debt.amount, debt.currency),
        (4_050, Currency::Usd),
        "the debt is in dollars"
    );
    let balance = debt::balance(&shop.store, &ali).unwrap();
    assert_eq!((balance.iqd, balance.usd), (0, 4_050));
}

#[test]
fn a_ticket_input_without_a_currency_is_in_dinars() {
    let input: TicketInput =
        serde_json::from_value(serde_json::json!({ "customerId": "cust-1", "device": "Phone" })).unwrap();
    assert_eq!(input.currency, Currency::Iqd);
}

#[test]
fn a_ticket_for_an_unknown_customer_or_without_a_device_is_refused() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let ctx = shop.ctx();
    let mut input = TicketInput {
        customer_id: "cust-nope".into(),
        device: "Phone".into(),
        fault: None,
        currency: Currency::Iqd,
        estimate: 0,
        deposit: 0,
    };
    let err = shop.refused(|s| service::open_ticket(s, &ctx, &input));
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    input.customer_id = ali;
    input.device = " ".into();
    let err = shop.refused(|s| service::open_ticket(s, &ctx, &input));
    assert_eq!(err.code(), "Validation");
    input.device = "Phone".into();
    input.deposit = -1;
    let err = shop.refused(|s| service::open_ticket(s, &ctx, &input));
    assert_eq!(err.code(), "Validation");
}

// ---------------------------------------------------------------- transfers

fn transfer_input(direction: TransferDirection, currency: Currency, amount: i64, fee: i64) -> TransferInput {
    TransferInput {
        direction,
        currency,
        amount,
        fee,
        party: "Hassan".into(),
        phone: Some("0770".into()),
    }
}

#[test]
fn transfers_store_the_transfer_rate_and_add_up_per_day() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let input = transfer_input(TransferDirection::Send, Currency::Usd, 10_000, 200);
    let err = shop.refused(|s| transfer::record_transfer(s, &ctx, &input));
    assert!(
        matches!(err, Error::RateNotSet { .. }),
        "the transfer rate is its own: {err:?}"
    );
    rates::set_rate(&mut shop.store, &ctx, RateKind::Transfer, rate("1480")).unwrap();

    let t = transfer::record_transfer(&mut shop.store, &ctx, &input).unwrap();
    assert_eq!(t.rate, Some(rate("1480")));
    assert_eq!(t.number, Some(1));
    transfer::record_transfer(
        &mut shop.store,
        &ctx,
        &transfer_input(TransferDirection::Receive, Currency::Iqd, 500_000, 5_000),
    )
    .unwrap();
    let next_day = shop.ctx_later(24 * 60);
    transfer::record_transfer(
        &mut shop.store,
        &next_day,
        &transfer_input(TransferDirection::Send, Currency::Iqd, 100_000, 1_000),
    )
    .unwrap();

    let day = transfer::totals(&shop.store, shop.t0, shop.t0 + Duration::days(1)).unwrap();
    assert_eq!(day.count, 2);
    assert_eq!((day.sent_usd, day.received_iqd, day.sent_iqd), (10_000, 500_000, 0));
    assert_eq!((day.fees_usd, day.fees_iqd), (200, 5_000));
    let both = transfer::totals(&shop.store, shop.t0, shop.t0 + Duration::days(2)).unwrap();
    assert_eq!((both.count, both.sent_iqd, both.fees_iqd), (3, 100_000, 6_000));

    for bad in [
        transfer_input(TransferDirection::Send, Currency::Iqd, 0, 0),
        transfer_input(TransferDirection::Send, Currency::Iqd, 1_000, -1),
        TransferInput {
            party: " ".into(),
            ..transfer_input(TransferDirection::Send, Currency::Iqd, 1_000, 0)
        },
    ] {
        let err = shop.refused(|s| transfer::record_transfer(s, &ctx, &bad));
        assert!(
            matches!(err, Error::NotPositive { .. } | Error::Invalid(_) | Error::Refused(_)),
            "{bad:?}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------- stores

#[test]
fn stores_are_numbered_from_the_counter_and_only_the_owner_adds_them() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let input = StoreInput {
        name: "Branch".into(),
        address: Some("Karrada".into()),
        phone: None,
        allow_negative_stock: false,
    };
    let s = stores::create_store(&mut shop.store, &ctx, &input).unwrap();
    assert_eq!((s.number, s.id.key().as_str()), (Some(3), "store-3"));
    assert_eq!(shop.export()["sonic_store_counter"], 3);
    let manager = actor("Omar", Role::Manager);
    let mctx = shop.ctx_as(&manager, &shop.main.clone());
    let err = shop.refused(|st| stores::create_store(st, &mctx, &input));
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let err = shop.refused(|st| {
        stores::create_store(
            st,
            &ctx,
            &StoreInput {
                name: "".into(),
                ..input.clone()
            },
        )
    });
    assert_eq!(err.code(), "Validation");
    let edited = stores::edit_store(
        &mut shop.store,
        &ctx,
        "store-3",
        &StoreInput {
            allow_negative_stock: true,
            ..input.clone()
        },
    )
    .unwrap();
    assert!(edited.allow_negative_stock);
    assert_eq!(stores::stores(&shop.store).unwrap().len(), 3);
}

// ---------------------------------------------------------------- reports

#[test]
fn a_report_adds_up_invoices_returns_and_profit_per_store_and_cashier_and_a_shift_close_records_it() {
    let mut shop = Shop::new();
    let item = shop.stocked("Cable", Currency::Iqd, 10_000, 6_000, 20);
    let usd = shop.stocked("Charger", Currency::Usd, 1_500, 1_000, 20);
    let sara = actor("Sara", Role::Cashier);
    let main = shop.main.clone();
    let sell = |shop: &mut Shop, who: &sonic_core::ops::Actor, lines: Vec<(&str, i64)>, currency: Currency| {
        let ctx = shop.ctx_as(who, &main);
        sale::sell(&mut shop.store, &ctx, &SaleInput::cash(&lines, currency, 10_000_000))
            .unwrap()
            .invoice
    };
    let owner = shop.owner.clone();
    let a = sell(&mut shop, &owner, vec![(&item, 2)], Currency::Iqd);
    let b = sell(&mut shop, &sara, vec![(&item, 1), (&usd, 1)], Currency::Iqd);
    let c = sell(&mut shop, &sara, vec![(&usd, 2)], Currency::Usd);
    assert_eq!(a.total, 20_000);
    // $15 at 1310 = 19,650 → 19,750 at the 250 step.
    assert_eq!(b.total, 10_000 + 19_750);
    assert_eq!(c.total, 3_000);

    let r = report::report(&shop.store, shop.t0, shop.t0 + Duration::days(1)).unwrap();
    assert_eq!(r.totals.invoices, 3);
    assert_eq!(r.totals.sales_iqd, a.total + b.total);
    assert_eq!(r.totals.sales_usd, c.total);
    // Costs: a 12,000; b 6,000 + $10 (13,100 IQD at step 1); c $20.
    assert_eq!(r.totals.profit_iqd, (20_000 - 12_000) + (29_750 - 6_000 - 13_100));
    assert_eq!(r.totals.profit_usd, 3_000 - 2_000);
    assert_eq!(r.by_cashier["Sara"].invoices, 2);
    assert_eq!(r.by_cashier["Owner"].sales_iqd, 20_000);
    assert_eq!(r.by_store[&shop.main].invoices, 3);

    let empty = report::report(&shop.store, shop.t0 + Duration::days(1), shop.t0 + Duration::days(2)).unwrap();
    assert_eq!(empty.totals, report::Totals::default());
    assert!(
        report::report(&shop.store, shop.t0, shop.t0).is_err(),
        "an empty range is refused"
    );

    // Per local day: all three on t0's day, in Baghdad time (UTC+3); the
    // days before are empty, and the window ends with today.
    let days = report::daily(&shop.store, shop.t0 + Duration::hours(1), 3, 180).unwrap();
    assert_eq!(days.len(), 3);
    let local_day = (shop.t0 + Duration::minutes(180)).format("%Y-%m-%d").to_string();
    assert_eq!(days[2].day, local_day);
    assert_eq!(
        (days[2].invoices, days[2].sales_iqd, days[2].sales_usd),
        (3, a.total + b.total, c.total)
    );
    assert!(days[..2].iter().all(|d| d.invoices == 0));
    let next_day = report::daily(&shop.store, shop.t0 + Duration::days(1), 1, 180).unwrap();
    assert_eq!(next_day[0].invoices, 0, "the next local day has none");
    assert!(report::daily(&shop.store, shop.t0, 0, 0).is_err(), "0 days is refused");

    let close = shop.ctx_later(60);
    let z = report::shift_close(&mut shop.store, &close, shop.t0).unwrap();
    assert_eq!(z.totals, r.totals);
    let logged = shop.activity("shift_close");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["totals"]["salesIqd"], a.total + b.total);
}

#[test]
fn a_return_takes_its_refund_out_of_the_profit_and_puts_the_cost_back() {
    use sonic_core::ops::returns::{self, ReturnInput, ReturnLineInput};
    let mut shop = Shop::new();
    let cable = shop.stocked("Cable", Currency::Iqd, 10_000, 6_000, 20);
    let charger = shop.stocked("Charger", Currency::Usd, 1_500, 1_000, 20);
    let ctx = shop.ctx();
    let input = SaleInput::cash(&[(&cable, 3), (&charger, 1)], Currency::Iqd, 100_000);
    let inv = sale::sell(&mut shop.store, &ctx, &input).unwrap().invoice;
    let day = (shop.t0, shop.t0 + Duration::days(1));
    let before = report::report(&shop.store, day.0, day.1).unwrap().totals;
    // 3 × 10,000 + $15 (19,650 → 19,750 at the 250 step); cost 18,000 + $10 at 1310.
    assert_eq!(before.profit_iqd, 30_000 + 19_750 - 18_000 - 13_100);

    let back = returns::return_sale(
        &mut shop.store,
        &ctx,
        &ReturnInput {
            invoice_id: inv.id.key(),
            lines: vec![
                ReturnLineInput {
                    item_id: cable.clone(),
                    qty: 2,
                },
                ReturnLineInput {
                    item_id: charger.clone(),
                    qty: 1,
                },
            ],
            reason: None,
        },
        None,
    )
    .unwrap();
    let after = report::report(&shop.store, day.0, day.1).unwrap().totals;
    assert_eq!(after.returns, 1);
    assert_eq!(after.refunds_iqd, back.refund);
    // The goods are back in stock: their cost (2 × 6,000 + 13,100) comes off the cost of sales.
    assert_eq!(after.profit_iqd, before.profit_iqd - (back.refund - (12_000 + 13_100)));
    assert_eq!(
        after.sales_iqd, before.sales_iqd,
        "sales stay as sold; refunds are their own line"
    );
}

#[test]
fn only_a_manager_settles_a_debt_in_the_core() {
    let mut shop = Shop::new();
    let ali = shop.customer("Ali", None);
    let owner = shop.ctx();
    let d = debt::open_debt(&mut shop.store, &owner, &ali, Currency::Iqd, 10_000, "by hand").unwrap();
    let cashier = shop.ctx_as(&actor("Sara", Role::Cashier), &shop.main.clone());
    let err = shop.refused(|s| debt::settle(s, &cashier, &d.id.key()));
    assert_eq!(err.code(), "Forbidden", "{err}");
    let manager = shop.ctx_as(&actor("Mona", Role::Manager), &shop.main.clone());
    debt::settle(&mut shop.store, &manager, &d.id.key()).expect("a manager settles");
}
