//! Customer debts: opened by a sale or a repair left partly unpaid, or by
//! hand; paid in either currency; settled when nothing is left. A customer's
//! balance is always the sum of their debts minus what was paid on them.

use super::{current_rate, find, insert, load, log, positive, save, OpCtx, Page, Params};
use crate::error::{Error, Param, Refusal, Result};
use crate::money;
use crate::sections::{Currency, Customer, Debt, DebtPayment, Extra, Rate, RecordId, Role, SectionKey, Table};
use crate::store::Store;
use rusqlite::{params, Connection};
use serde::Serialize;

/// What a customer owes, per currency (minor units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub iqd: i64,
    pub usd: i64,
}

impl Balance {
    /// `amount` in `currency`, nothing in the other.
    pub fn of(currency: Currency, amount: i64) -> Balance {
        let mut b = Balance::default();
        b.add(currency, amount);
        b
    }

    fn add(&mut self, currency: Currency, amount: i64) {
        match currency {
            Currency::Iqd => self.iqd += amount,
            Currency::Usd => self.usd += amount,
        }
    }

    /// The balance as IQD at `rate` (USD converted to the dinar, no step).
    pub fn in_iqd(self, rate: Option<Rate>) -> i64 {
        match rate {
            Some(r) => self.iqd + money::convert(self.usd, Currency::Usd, Currency::Iqd, r, 1).unwrap_or(i64::MAX / 4),
            None => self.iqd,
        }
    }
}

/// What is left to pay on a debt, in its currency.
pub fn remaining(debt: &Debt) -> i64 {
    debt.amount
        - debt
            .payments
            .iter()
            .map(|p| p.credited.unwrap_or(p.amount))
            .sum::<i64>()
}

pub(crate) fn debts_of(conn: &Connection, customer_id: &str) -> Result<Vec<Debt>> {
    let mut stmt = conn.prepare_cached("SELECT body FROM debts WHERE customer_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([customer_id], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for body in rows {
        out.push(super::parse(&body?, Table::Debts)?);
    }
    Ok(out)
}

pub(crate) fn balance_in(conn: &Connection, customer_id: &str) -> Result<Balance> {
    let mut b = Balance::default();
    for d in debts_of(conn, customer_id)? {
        b.add(d.currency, remaining(&d));
    }
    Ok(b)
}

/// What a customer owes now.
pub fn balance(store: &Store, customer_id: &str) -> Result<Balance> {
    balance_in(store.conn(), customer_id)
}

/// A customer's debts, oldest first.
pub fn customer_debts(store: &Store, customer_id: &str) -> Result<Vec<Debt>> {
    debts_of(store.conn(), customer_id)
}

/// Debts with something left to pay, newest first.
pub fn open_debts(store: &Store, page: Page) -> Result<Vec<Debt>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT body FROM debts WHERE coalesce(json_extract(body, '$.status'), 'open') = 'open'
         ORDER BY seq DESC LIMIT ?1 OFFSET ?2",
    )?;
    let rows = stmt.query_map(params![page.limit(), page.offset], |r| r.get::<_, String>(0))?;
    rows.map(|b| super::parse(&b?, Table::Debts)).collect()
}

/// **The credit-limit rule**, the one place it is stated and checked.
///
/// A customer's balance is what is left on all their debts, a USD debt
/// valued in IQD at the current `sonic_iqd_per_usd` rate. A change that
/// leaves the balance above the customer's `creditLimit` (IQD) is refused
/// if it raises the balance: a sale on credit, a repair delivered with
/// something unpaid, a debt opened by hand. A change that does not raise it
/// is always allowed, even over the limit, so a customer can always pay
/// down: a payment (in either currency, at whatever rate is current: it is
/// credited at that rate and never beyond what is left, so it lowers what is
/// owed in the debt's currency) and a return that reduces a debt. A rate
/// change can carry a USD balance over the limit; it is not refused (the
/// rate is the shop's), and the customer then gets no more credit until the
/// balance is back under the limit. Without a rate, a customer with a limit
/// who owes or would owe dollars cannot be valued, and more credit is
/// refused (`RateNotSet`).
///
/// `change` is what the operation adds to the balance per currency (negative
/// for what it takes off).
pub(crate) fn check_credit(conn: &Connection, customer: &Customer, change: Balance) -> Result<()> {
    let Some(limit) = customer.credit_limit else {
        return Ok(());
    };
    let before = balance_in(conn, &customer.id.key())?;
    let after = Balance {
        iqd: before.iqd + change.iqd,
        usd: before.usd + change.usd,
    };
    let rate = current_rate(conn, SectionKey::IqdPerUsd).ok();
    let raises = change.iqd > 0 || change.usd > 0;
    if rate.is_none() && raises && after.usd > 0 {
        return Err(Error::RateNotSet {
            key: SectionKey::IqdPerUsd,
        });
    }
    let (owed, would_owe) = (before.in_iqd(rate), after.in_iqd(rate));
    if would_owe > limit && would_owe > owed {
        return Err(Error::CreditLimit {
            customer: customer.name.clone(),
            limit,
            owed,
            would_owe,
        });
    }
    Ok(())
}

/// Opens a debt inside a caller's transaction (a sale, a repair, or by hand).
pub(crate) fn open_in(
    tx: &Connection,
    ctx: &OpCtx,
    customer: &Customer,
    currency: Currency,
    amount: i64,
    source: &str,
    source_id: Option<RecordId>,
) -> Result<Debt> {
    positive("debt amount", amount)?;
    check_credit(tx, customer, Balance::of(currency, amount))?;
    let debt = Debt {
        id: RecordId::Text(ctx.new_id("debt")),
        customer_id: customer.id.clone(),
        currency,
        amount,
        source: Some(source.to_string()),
        source_id,
        payments: Vec::new(),
        status: Some("open".into()),
        created_at: Some(ctx.timestamp()),
        extra: Extra::new(),
    };
    insert(tx, Table::Debts, &debt)?;
    log(
        tx,
        ctx,
        "debt_open",
        format!("{} owes {amount} {currency} ({source})", customer.name),
        Params::new()
            .text("customer", &customer.name)
            .money("amount", amount, currency)
            .text("source", source),
        Extra::new(),
    )?;
    Ok(debt)
}

/// Opens a debt by hand (manager).
pub fn open_debt(
    store: &mut Store,
    ctx: &OpCtx,
    customer_id: &str,
    currency: Currency,
    amount: i64,
    note: &str,
) -> Result<Debt> {
    ctx.actor.require(Role::Manager, "opening a debt by hand")?;
    store.write(|tx| {
        let customer: Customer = load(tx, Table::Customers, customer_id, "customer")?;
        let mut debt = open_in(tx, ctx, &customer, currency, amount, "manual", None)?;
        if !note.trim().is_empty() {
            debt.extra.insert("note".into(), note.trim().into());
            save(tx, Table::Debts, &debt)?;
        }
        Ok(debt)
    })
}

/// Records a payment on a debt, in either currency; a payment in the other
/// currency is credited at the current `sonic_iqd_per_usd` rate. More than
/// what is left is refused. Returns the debt as it is after.
pub fn pay(store: &mut Store, ctx: &OpCtx, debt_id: &str, currency: Currency, amount: i64) -> Result<Debt> {
    store.write(|tx| pay_in(tx, ctx, debt_id, currency, amount))
}

pub(crate) fn pay_in(tx: &Connection, ctx: &OpCtx, debt_id: &str, currency: Currency, amount: i64) -> Result<Debt> {
    positive("payment", amount)?;
    let mut debt: Debt = load(tx, Table::Debts, debt_id, "debt")?;
    let left = remaining(&debt);
    if left <= 0 {
        return Err(settled_already(tx, &debt));
    }
    let (credited, rate) = if currency == debt.currency {
        (amount, None)
    } else {
        let rate = current_rate(tx, SectionKey::IqdPerUsd)?;
        let c = money::convert(amount, currency, debt.currency, rate, 1)
            .ok_or_else(|| Refusal::invalid("amountTooLarge", "payment too large"))?;
        (c, Some(rate))
    };
    // A payment in the other currency can round to nothing (5 IQD on a USD
    // debt); taking the cash and crediting 0 would lose it.
    positive("amount credited", credited)?;
    if credited > left {
        return Err(Refusal::invalid(
            "debtOverpaid",
            format!(
                "the payment ({credited} {}) is more than what is left on the debt ({left} {}); take {left} {}",
                debt.currency, debt.currency, debt.currency
            ),
        )
        .money("paid", credited, debt.currency)
        .money("left", left, debt.currency)
        .into());
    }
    // The credit rule holds here too: a payment lowers what is owed in the
    // debt's currency, so it passes at any rate, even over the limit.
    if let Some(customer) = find::<Customer>(tx, Table::Customers, &debt.customer_id.key())? {
        check_credit(tx, &customer, Balance::of(debt.currency, -credited))?;
    }
    debt.payments.push(DebtPayment {
        amount,
        currency: Some(currency),
        rate,
        credited: Some(credited),
        at: Some(ctx.timestamp()),
        by: Some(ctx.actor.name.clone()),
        extra: Extra::new(),
    });
    if remaining(&debt) == 0 {
        debt.status = Some("settled".into());
    }
    save(tx, Table::Debts, &debt)?;
    // The log names who paid; the debt's id means nothing to a reader.
    let customer = load::<Customer>(tx, Table::Customers, &debt.customer_id.key(), "customer")
        .map(|c| c.name)
        .unwrap_or_default();
    log(
        tx,
        ctx,
        "debt_payment",
        format!("{amount} {currency} paid on debt {debt_id}"),
        Params::new()
            .text("customer", customer)
            .money("amount", amount, currency)
            .money("left", remaining(&debt), debt.currency),
        Extra::new(),
    )?;
    Ok(debt)
}

/// Pays what is left on a debt, in its own currency (manager or owner, as
/// the Debts screen offers it).
pub fn settle(store: &mut Store, ctx: &OpCtx, debt_id: &str) -> Result<Debt> {
    ctx.actor.require(Role::Manager, "settling a debt")?;
    store.write(|tx| {
        let debt: Debt = load(tx, Table::Debts, debt_id, "debt")?;
        let left = remaining(&debt);
        if left <= 0 {
            return Err(settled_already(tx, &debt));
        }
        pay_in(tx, ctx, debt_id, debt.currency, left)
    })
}

/// "Settled already", naming the customer and the day the debt was opened
/// (its id means nothing to a cashier).
fn settled_already(tx: &Connection, debt: &Debt) -> Error {
    let customer = find::<Customer>(tx, Table::Customers, &debt.customer_id.key())
        .ok()
        .flatten()
        .map(|c| c.name)
        .unwrap_or_default();
    let message = format!("{customer}'s debt {} is settled already", debt.id.key());
    match debt.created_at {
        Some(at) => Refusal::conflict("debtSettled", message)
            .text("customer", customer)
            .with("date", Param::Date(at.instant())),
        // Debts from the old POS may have no date.
        None => Refusal::conflict("debtSettledUndated", message).text("customer", customer),
    }
    .into()
}

/// A debt by id.
pub fn debt(store: &Store, id: &str) -> Result<Option<Debt>> {
    find(store.conn(), Table::Debts, id)
}
