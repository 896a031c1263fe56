//! Property tests over random sequences of operations on a real store:
//! whatever the till does, the numbers stay gapless, stock is the sum of its
//! movements, balances are debts minus payments, money adds up exactly, and
//! a refused operation changes nothing.

// The checks are test code: a panic (with the case proptest shrank to) is the report.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{actor, Shop};
use proptest::prelude::*;
use serde_json::Value;
use sonic_core::money;
use sonic_core::ops::returns::{self, ReturnInput, ReturnLineInput};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::ops::{debt, report, stock, Actor, OpCtx};
use sonic_core::sections::{Currency, Rate, Role};
use sonic_core::Error;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

#[derive(Debug, Clone)]
enum Op {
    Sell {
        lines: Vec<(usize, i64, bool)>,
        usd: bool,
        discount: bool,
        tenders: Vec<(bool, i64)>,
        customer: Option<usize>,
        store: usize,
        change_usd: bool,
    },
    Return {
        invoice: usize,
        line: usize,
        qty: i64,
    },
    Receive {
        item: usize,
        store: usize,
        qty: i64,
    },
    Adjust {
        item: usize,
        store: usize,
        delta: i64,
    },
    MoveStock {
        item: usize,
        from: usize,
        to: usize,
        qty: i64,
    },
    PayDebt {
        customer: usize,
        debt: usize,
        usd: bool,
        amount: i64,
    },
    Settle {
        customer: usize,
        debt: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            prop::collection::vec((0..4usize, 1..4i64, prop::bool::weighted(0.2)), 1..4),
            any::<bool>(),
            prop::bool::weighted(0.2),
            prop::collection::vec((any::<bool>(), 0..400i64), 0..3),
            prop::option::of(0..3usize),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(lines, usd, discount, tenders, customer, lenient, change_usd)| Op::Sell {
                lines,
                usd,
                discount,
                tenders,
                customer,
                store: usize::from(lenient),
                change_usd,
            }),
        2 => (0..64usize, 0..4usize, 1..3i64).prop_map(|(invoice, line, qty)| Op::Return { invoice, line, qty }),
        1 => (0..4usize, 0..2usize, 1..8i64).prop_map(|(item, store, qty)| Op::Receive { item, store, qty }),
        1 => (0..4usize, 0..2usize, -6..4i64).prop_map(|(item, store, delta)| Op::Adjust { item, store, delta }),
        1 => (0..4usize, 0..2usize, 0..2usize, 1..6i64)
            .prop_map(|(item, from, to, qty)| Op::MoveStock { item, from, to, qty }),
        2 => (0..3usize, 0..8usize, any::<bool>(), 1..300i64)
            .prop_map(|(customer, debt, usd, amount)| Op::PayDebt { customer, debt, usd, amount }),
        1 => (0..3usize, 0..8usize).prop_map(|(customer, debt)| Op::Settle { customer, debt }),
    ]
}

struct World {
    shop: Shop,
    items: Vec<String>,
    customers: Vec<String>,
    stores: Vec<String>,
    invoices: Vec<sonic_core::sections::Invoice>,
    cashier: Actor,
}

impl World {
    fn new() -> World {
        let mut shop = Shop::new();
        let items = vec![
            shop.stocked("Cable", Currency::Iqd, 7_500, 5_000, 10),
            shop.stocked("Cover", Currency::Iqd, 1_250, 500, 10),
            shop.stocked("Charger", Currency::Usd, 1_234, 900, 10),
            shop.stocked("Phone", Currency::Usd, 25_000, 20_000, 3),
        ];
        let customers = vec![
            shop.customer("Ali", None),
            shop.customer("Huda", Some(100_000)),
            shop.customer("Zaid", Some(0)),
        ];
        let stores = vec![shop.main.clone(), shop.lenient.clone()];
        World {
            shop,
            items,
            customers,
            stores,
            invoices: Vec::new(),
            cashier: actor("Sara", Role::Cashier),
        }
    }

    fn ctx(&self, step: usize, as_cashier: bool, store: usize) -> OpCtx {
        let who = if as_cashier { &self.cashier } else { &self.shop.owner };
        let mut ctx = self.shop.ctx_as(who, &self.stores[store]);
        ctx.at = self.shop.t0 + Duration::minutes(step as i64);
        ctx
    }

    fn run(&mut self, step: usize, as_cashier: bool, op: &Op) -> Result<(), Error> {
        let cur = |usd: bool| if usd { Currency::Usd } else { Currency::Iqd };
        match op {
            Op::Sell {
                lines,
                usd,
                discount,
                tenders,
                customer,
                store,
                change_usd,
            } => {
                let currency = cur(*usd);
                let input = SaleInput {
                    lines: lines
                        .iter()
                        .map(|(i, qty, disc)| SaleLineInput {
                            item_id: self.items[*i].clone(),
                            qty: *qty,
                            discount: if *disc { 250 } else { 0 },
                        })
                        .collect(),
                    currency,
                    discount: if *discount { 500 } else { 0 },
                    customer_id: customer.map(|c| self.customers[c].clone()),
                    payments: tenders
                        .iter()
                        .map(|(usd, n)| TenderInput {
                            currency: cur(*usd),
                            // Up to $40 or 100,000 IQD a tender, in 250s.
                            amount: if *usd { n * 10 } else { n * 250 },
                        })
                        .collect(),
                    change_currency: change_usd.then_some(Currency::Usd),
                };
                let ctx = self.ctx(step, as_cashier, *store);
                let r = sale::sell(&mut self.shop.store, &ctx, &input)?;
                self.invoices.push(r.invoice);
                Ok(())
            }
            Op::Return { invoice, line, qty } => {
                if self.invoices.is_empty() {
                    return Ok(());
                }
                let inv = &self.invoices[invoice % self.invoices.len()];
                let l = &inv.lines[line % inv.lines.len()];
                let input = ReturnInput {
                    invoice_id: inv.id.key(),
                    lines: vec![ReturnLineInput {
                        item_id: l.item_id.key(),
                        qty: *qty,
                    }],
                    reason: None,
                };
                let store = usize::from(inv.store_id.as_ref().map(|s| s.key()) == Some(self.stores[1].clone()));
                let ctx = self.ctx(step, as_cashier, store);
                returns::return_sale(&mut self.shop.store, &ctx, &input, None).map(|_| ())
            }
            Op::Receive { item, store, qty } => {
                let ctx = self.ctx(step, as_cashier, *store);
                stock::receive(&mut self.shop.store, &ctx, &self.items[*item], *qty, 100)
            }
            Op::Adjust { item, store, delta } => {
                let ctx = self.ctx(step, as_cashier, *store);
                stock::adjust(&mut self.shop.store, &ctx, &self.items[*item], *delta, "counted wrong")
            }
            Op::MoveStock { item, from, to, qty } => {
                let ctx = self.ctx(step, as_cashier, 0);
                stock::transfer(
                    &mut self.shop.store,
                    &ctx,
                    &self.items[*item],
                    &self.stores[*from],
                    &self.stores[*to],
                    *qty,
                )
            }
            Op::PayDebt {
                customer,
                debt: d,
                usd,
                amount,
            } => {
                let debts = debt::customer_debts(&self.shop.store, &self.customers[*customer]).unwrap();
                if debts.is_empty() {
                    return Ok(());
                }
                let id = debts[d % debts.len()].id.key();
                let amount = if *usd { amount * 10 } else { amount * 250 };
                let ctx = self.ctx(step, as_cashier, 0);
                debt::pay(&mut self.shop.store, &ctx, &id, cur(*usd), amount).map(|_| ())
            }
            Op::Settle { customer, debt: d } => {
                let debts = debt::customer_debts(&self.shop.store, &self.customers[*customer]).unwrap();
                if debts.is_empty() {
                    return Ok(());
                }
                let id = debts[d % debts.len()].id.key();
                let ctx = self.ctx(step, as_cashier, 0);
                debt::settle(&mut self.shop.store, &ctx, &id).map(|_| ())
            }
        }
    }
}

fn num(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("{v} is not a whole number"))
}

fn key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn currency(v: &Value) -> Currency {
    serde_json::from_value(v.clone()).expect("a currency")
}

fn check_numbers(export: &serde_json::Map<String, Value>, list: &str, counter: &str) -> Result<(), TestCaseError> {
    let numbers: Vec<i64> = common::records_of(export, list)
        .iter()
        .map(|r| num(&r["number"]))
        .collect();
    let set: BTreeSet<i64> = numbers.iter().copied().collect();
    let n = num(&export[counter]);
    prop_assert_eq!(set.len(), numbers.len(), "{} numbers are unique: {:?}", list, numbers);
    prop_assert_eq!(set, (1..=n).collect::<BTreeSet<_>>(), "{} numbers are 1..={}", list, n);
    Ok(())
}

fn check_world(w: &World) -> Result<(), TestCaseError> {
    let export = w.shop.export();
    check_numbers(&export, "sonic_invoices", "sonic_invoice_counter")?;
    check_numbers(&export, "sonic_returns", "sonic_return_counter")?;

    // Stock: the level is the sum of the exported movements.
    let mut sums: BTreeMap<(String, String), i64> = BTreeMap::new();
    for m in common::records_of(&export, "sonic_inventory_data") {
        *sums.entry((key(&m["itemId"]), key(&m["storeId"]))).or_default() += num(&m["delta"]);
    }
    for item in &w.items {
        for s in &w.stores {
            let level = stock::level(&w.shop.store, item, s).unwrap();
            let sum = sums.get(&(item.clone(), s.clone())).copied().unwrap_or(0);
            prop_assert_eq!(level, sum, "level of {} in {} is the sum of its movements", item, s);
        }
    }

    // Balances: debts minus what was credited on them.
    let debts = common::records_of(&export, "sonic_debts");
    for c in &w.customers {
        let mut owed: BTreeMap<&str, i64> = BTreeMap::new();
        for d in debts.iter().filter(|d| key(&d["customerId"]) == *c) {
            let paid: i64 = d["payments"]
                .as_array()
                .map(|ps| ps.iter().map(|p| num(&p["credited"])).sum())
                .unwrap_or(0);
            let left = num(&d["amount"]) - paid;
            prop_assert!(left >= 0, "a debt is never overpaid: {}", d);
            prop_assert_eq!(
                d["status"].as_str() == Some("settled"),
                left == 0,
                "settled exactly when nothing is left: {}",
                d
            );
            *owed.entry(d["currency"].as_str().unwrap()).or_default() += left;
        }
        let b = debt::balance(&w.shop.store, c).unwrap();
        prop_assert_eq!(b.iqd, owed.get("IQD").copied().unwrap_or(0), "IQD balance of {}", c);
        prop_assert_eq!(b.usd, owed.get("USD").copied().unwrap_or(0), "USD balance of {}", c);
    }

    // Money: every invoice adds up, with the rounding rule of money.rs.
    let invoices = common::records_of(&export, "sonic_invoices");
    let returns = common::records_of(&export, "sonic_returns");
    let mut sales = HashMap::<Currency, i64>::new();
    let mut refunds = HashMap::<Currency, i64>::new();
    for inv in &invoices {
        let cur = currency(&inv["currency"]);
        let rate = inv.get("rate").map(|r| Rate::from_str(r.as_str().unwrap()).unwrap());
        let mut subtotal = 0;
        for l in inv["lines"].as_array().unwrap() {
            let gross = num(&l["unitPrice"]) * num(&l["qty"]);
            let from = currency(&l["currency"]);
            let converted = if from == cur {
                gross
            } else {
                money::convert(gross, from, cur, rate.unwrap(), money::DEFAULT_IQD_STEP).unwrap()
            };
            let disc = l.get("discount").map(num).unwrap_or(0);
            prop_assert_eq!(num(&l["total"]), converted - disc, "line total of {}", inv);
            subtotal += num(&l["total"]);
        }
        let disc = inv.get("discount").map(num).unwrap_or(0);
        prop_assert_eq!(num(&inv["subtotal"]), subtotal);
        prop_assert_eq!(num(&inv["total"]), subtotal - disc, "total = lines - discount: {}", inv);
        prop_assert!(num(&inv["paid"]) <= num(&inv["total"]));
        *sales.entry(cur).or_default() += num(&inv["total"]);

        // A sale's debt is exactly what was not paid.
        let id = key(&inv["id"]);
        let from_sale: Vec<_> = debts
            .iter()
            .filter(|d| d.get("sourceId").map(key) == Some(id.clone()))
            .collect();
        let unpaid = num(&inv["total"]) - num(&inv["paid"]);
        if unpaid > 0 {
            prop_assert_eq!(from_sale.len(), 1, "one debt for the unpaid part of {}", id);
            prop_assert_eq!(num(&from_sale[0]["amount"]), unpaid);
        } else {
            prop_assert!(from_sale.is_empty());
        }

        // Returns on it: never more units than sold, never more money than the total.
        let rets: Vec<_> = returns.iter().filter(|r| key(&r["invoiceId"]) == id).collect();
        let refunded: i64 = rets.iter().map(|r| num(&r["refund"])).sum();
        prop_assert!(refunded <= num(&inv["total"]), "refunds {} exceed {}", refunded, inv);
        let mut sold = BTreeMap::<String, i64>::new();
        for l in inv["lines"].as_array().unwrap() {
            *sold.entry(key(&l["itemId"])).or_default() += num(&l["qty"]);
        }
        for r in &rets {
            prop_assert_eq!(&r["rate"], &inv["rate"], "refunded at the invoice's rate");
            let lines = r["lines"].as_array().unwrap();
            let sum: i64 = lines.iter().map(|l| num(&l["amount"])).sum();
            prop_assert_eq!(num(&r["refund"]), sum, "a refund is the sum of its lines");
            for l in lines {
                *sold.get_mut(&key(&l["itemId"])).expect("returned items were sold") -= num(&l["qty"]);
            }
        }
        prop_assert!(sold.values().all(|n| *n >= 0), "over-returned on {}: {:?}", id, sold);
    }
    for r in &returns {
        *refunds.entry(currency(&r["currency"])).or_default() += num(&r["refund"]);
    }

    // The report adds up the same invoices and returns.
    let t0 = w.shop.t0;
    let rep = report::report(&w.shop.store, t0 - Duration::days(1), t0 + Duration::days(1)).unwrap();
    prop_assert_eq!(rep.totals.invoices, invoices.len() as u64);
    prop_assert_eq!(rep.totals.returns, returns.len() as u64);
    prop_assert_eq!(rep.totals.sales_iqd, sales.get(&Currency::Iqd).copied().unwrap_or(0));
    prop_assert_eq!(rep.totals.sales_usd, sales.get(&Currency::Usd).copied().unwrap_or(0));
    prop_assert_eq!(
        rep.totals.refunds_iqd,
        refunds.get(&Currency::Iqd).copied().unwrap_or(0)
    );
    prop_assert_eq!(
        rep.totals.refunds_usd,
        refunds.get(&Currency::Usd).copied().unwrap_or(0)
    );
    let per_store: i64 = rep.by_store.values().map(|t| t.sales_iqd).sum();
    prop_assert_eq!(per_store, rep.totals.sales_iqd, "stores add up to the total");
    let per_cashier: u64 = rep.by_cashier.values().map(|t| t.invoices).sum();
    prop_assert_eq!(per_cashier, rep.totals.invoices, "cashiers add up to the total");
    let open: i64 = debts
        .iter()
        .filter(|d| d["currency"] == "IQD")
        .map(|d| debt::remaining(&serde_json::from_value(d.clone()).unwrap()))
        .sum();
    prop_assert_eq!(rep.open_debts.iqd, open);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_till_sessions_keep_every_invariant(
        ops in prop::collection::vec((op(), prop::bool::weighted(0.3)), 1..40)
    ) {
        let mut w = World::new();
        for (step, (op, as_cashier)) in ops.iter().enumerate() {
            let before = w.shop.digests();
            match w.run(step, *as_cashier, op) {
                Ok(()) => {}
                Err(err) => {
                    prop_assert!(
                        !matches!(err, Error::Sqlite(_)),
                        "step {}: {:?} failed inside: {:?}", step, op, err
                    );
                    prop_assert_eq!(
                        w.shop.digests(), before,
                        "step {}: the refused {:?} ({}) changed the store", step, op, err
                    );
                }
            }
            // The store that refuses negative stock never has any.
            for item in &w.items {
                let level = stock::level(&w.shop.store, item, &w.stores[0]).unwrap();
                prop_assert!(level >= 0, "step {}: {} is at {} in the main store after {:?}", step, item, level, op);
            }
        }
        check_world(&w)?;
    }
}
