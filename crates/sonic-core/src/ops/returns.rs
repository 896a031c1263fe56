//! Returns against an invoice: some or all lines, never more than was sold
//! minus what was returned before, refunded at the rate stored on the
//! invoice, stock put back, numbered from `sonic_return_counter`. A refund
//! above the shop's threshold needs a manager's approval.

use super::{debt, insert, load, log, next_number, positive, save, stock, Actor, OpCtx, Params};
use crate::error::{Error, Result};
use crate::money;
use crate::sections::{
    Currency, DebtPayment, Extra, Invoice, RecordId, ReturnLine, ReturnSale, Role, SectionKey, Table,
};
use crate::store::Store;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One item to take back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnLineInput {
    pub item_id: String,
    pub qty: i64,
}

/// A return as the till sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnInput {
    pub invoice_id: String,
    pub lines: Vec<ReturnLineInput>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Credits up to `refund` against the open debt the invoice left, as a
/// payment of kind `return`, and says how much was credited.
fn reduce_invoice_debt(
    tx: &Connection,
    ctx: &OpCtx,
    invoice: &Invoice,
    return_id: &RecordId,
    refund: i64,
) -> Result<i64> {
    let Some(customer) = &invoice.customer_id else {
        return Ok(0);
    };
    let mut reduced = 0;
    for mut d in debt::debts_of(tx, &customer.key())? {
        let from_invoice = d.source_id.as_ref().map(RecordId::key) == Some(invoice.id.key());
        let take = debt::remaining(&d).min(refund - reduced);
        if !from_invoice || d.currency != invoice.currency || take <= 0 {
            continue;
        }
        let mut extra = Extra::new();
        extra.insert("kind".into(), "return".into());
        extra.insert("returnId".into(), return_id.key().into());
        d.payments.push(DebtPayment {
            amount: take,
            currency: Some(d.currency),
            rate: None,
            credited: Some(take),
            at: Some(ctx.timestamp()),
            by: Some(ctx.actor.name.clone()),
            extra,
        });
        if debt::remaining(&d) == 0 {
            d.status = Some("settled".into());
        }
        save(tx, Table::Debts, &d)?;
        reduced += take;
    }
    Ok(reduced)
}

/// How many of each item the returns against an invoice took back, by item id.
pub fn returned(store: &Store, invoice_id: &str) -> Result<BTreeMap<String, i64>> {
    returned_so_far(store.conn(), invoice_id)
}

/// How many of each item an invoice's earlier returns took back.
pub(crate) fn returned_so_far(conn: &Connection, invoice_id: &str) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare_cached("SELECT body FROM returns WHERE invoice_id = ?1")?;
    let rows = stmt.query_map([invoice_id], |r| r.get::<_, String>(0))?;
    let mut out = BTreeMap::new();
    for body in rows {
        let r: ReturnSale = super::parse(&body?, Table::Returns)?;
        for l in r.lines {
            *out.entry(l.item_id.key()).or_default() += l.qty;
        }
    }
    Ok(out)
}

/// Takes items back. `approval` is a manager who entered their PIN (see
/// [`super::security::approve`]); it is needed when the refund is above the
/// shop's threshold and the cashier is not a manager.
pub fn return_sale(
    store: &mut Store,
    ctx: &OpCtx,
    input: &ReturnInput,
    approval: Option<&Actor>,
) -> Result<ReturnSale> {
    store.write(|tx| return_in(tx, ctx, input, approval))
}

pub(crate) fn return_in(
    tx: &Connection,
    ctx: &OpCtx,
    input: &ReturnInput,
    approval: Option<&Actor>,
) -> Result<ReturnSale> {
    if input.lines.is_empty() {
        return Err(Error::Invalid("a return needs at least one line".into()));
    }
    let settings = super::settings::load(tx)?;
    let invoice: Invoice = load(tx, Table::Invoices, &input.invoice_id, "invoice")?;
    let before = returned_so_far(tx, &input.invoice_id)?;
    let mut asked: BTreeMap<String, i64> = BTreeMap::new();
    for l in &input.lines {
        positive("quantity returned", l.qty)?;
        *asked.entry(l.item_id.clone()).or_default() += l.qty;
    }
    let mut lines = Vec::new();
    let mut refund = 0i64;
    for (item_id, want) in &asked {
        let sold_lines: Vec<_> = invoice.lines.iter().filter(|l| l.item_id.key() == *item_id).collect();
        let sold: i64 = sold_lines.iter().map(|l| l.qty).sum();
        if sold == 0 {
            return Err(Error::NotFound {
                what: "item on this invoice",
                id: item_id.clone(),
            });
        }
        let returned = before.get(item_id).copied().unwrap_or(0);
        if returned + want > sold {
            let name = sold_lines[0].name.clone().unwrap_or_else(|| item_id.clone());
            return Err(Error::OverReturn {
                item: name,
                sold,
                returned,
                want: *want,
            });
        }
        // What was paid for the first `n` units of this item, after the
        // invoice discount, rounded down once. A return refunds the share of
        // the units it takes back (`returned..returned + want`), so returns
        // in parts add up to exactly what one return of all would refund,
        // and never to more than was paid.
        let paid_for_item: i128 = sold_lines
            .iter()
            .map(|l| i128::from(l.total.unwrap_or(l.unit_price * l.qty)))
            .sum();
        let subtotal = i128::from(invoice.subtotal.unwrap_or(invoice.total).max(1));
        let paid_for =
            |units: i64| paid_for_item * i128::from(units) * i128::from(invoice.total) / (i128::from(sold) * subtotal);
        let amount = paid_for(returned + want) - paid_for(returned);
        let amount = i64::try_from(amount).map_err(|_| Error::Invalid("refund too large".into()))?;
        refund += amount;
        lines.push(ReturnLine {
            item_id: sold_lines[0].item_id.clone(),
            qty: *want,
            amount: Some(amount),
            extra: Extra::new(),
        });
    }
    let refund_iqd = match (invoice.currency, invoice.rate) {
        (Currency::Iqd, _) => refund,
        (Currency::Usd, Some(rate)) => {
            money::convert(refund, Currency::Usd, Currency::Iqd, rate, 1).unwrap_or(i64::MAX)
        }
        (Currency::Usd, None) => i64::MAX,
    };
    let approver = if refund_iqd > settings.return_approval_above_iqd && ctx.actor.role < Role::Manager {
        let a = approval.ok_or(Error::ApprovalRequired {
            action: "a return of this size",
        })?;
        a.require(Role::Manager, "approving a return")?;
        Some(a.name.clone())
    } else {
        approval.map(|a| a.name.clone())
    };
    let number = next_number(tx, SectionKey::ReturnCounter)?;
    let return_id = RecordId::Text(ctx.new_id("ret"));
    // What the customer still owes on this invoice is settled first: only the
    // part of the refund beyond that is paid out in cash.
    let debt_reduced = reduce_invoice_debt(tx, ctx, &invoice, &return_id, refund)?;
    let mut extra = Extra::new();
    if debt_reduced > 0 {
        extra.insert("debtReduced".into(), debt_reduced.into());
        extra.insert("cashRefund".into(), (refund - debt_reduced).into());
    }
    let ret = ReturnSale {
        id: return_id,
        number,
        invoice_id: invoice.id.clone(),
        currency: invoice.currency,
        rate: invoice.rate,
        lines,
        refund,
        reason: input.reason.clone().filter(|r| !r.trim().is_empty()),
        store_id: Some(RecordId::Text(ctx.store_id.clone())),
        cashier: Some(ctx.actor.name.clone()),
        approved_by: approver,
        created_at: Some(ctx.timestamp()),
        extra,
    };
    for line in &ret.lines {
        stock::apply(
            tx,
            ctx,
            stock::Movement {
                item_id: &line.item_id.key(),
                store_id: &ctx.store_id,
                delta: line.qty,
                reason: "return",
                unit_cost: None,
                reference: Some(ret.id.key()),
            },
        )?;
    }
    insert(tx, Table::Returns, &ret)?;
    log(
        tx,
        ctx,
        "return",
        format!(
            "return #{number} on invoice #{}: refund {refund} {}",
            invoice.number, invoice.currency
        ),
        Params::new()
            .number("number", number)
            .number("invoice", invoice.number)
            .money("refund", refund, invoice.currency),
        Extra::new(),
    )?;
    Ok(ret)
}
