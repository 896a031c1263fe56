//! Reports: totals for a day or a range, per currency, per store and per
//! cashier, with profit from the cost stored on each invoice line; open
//! debts; repairs by status; and the shift close (Z report), which records
//! its totals in the activity log.

use super::{log, transfer, OpCtx, Params};
use crate::error::{Error, Result};
use crate::money;
use crate::sections::{Currency, Debt, Extra, Invoice, ReturnSale, Table};
use crate::store::Store;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::BTreeMap;

/// Money totals per currency (minor units).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub invoices: u64,
    pub sales_iqd: i64,
    pub sales_usd: i64,
    pub returns: u64,
    pub refunds_iqd: i64,
    pub refunds_usd: i64,
    /// Sales minus the cost of what was sold, per invoice currency.
    pub profit_iqd: i64,
    pub profit_usd: i64,
}

impl Totals {
    fn add_invoice(&mut self, inv: &Invoice) {
        self.invoices += 1;
        let cost: i64 = inv
            .lines
            .iter()
            .map(|l| cost_of(inv, l.unit_cost.unwrap_or(0) * l.qty, l.currency))
            .sum();
        match inv.currency {
            Currency::Iqd => {
                self.sales_iqd += inv.total;
                self.profit_iqd += inv.total - cost;
            }
            Currency::Usd => {
                self.sales_usd += inv.total;
                self.profit_usd += inv.total - cost;
            }
        }
    }

    /// A return gives back its refund and takes back the cost of the goods
    /// (they are in stock again): profit falls by refund − cost.
    fn add_return(&mut self, r: &ReturnSale, returned_cost: i64) {
        self.returns += 1;
        match r.currency {
            Currency::Iqd => {
                self.refunds_iqd += r.refund;
                self.profit_iqd -= r.refund - returned_cost;
            }
            Currency::Usd => {
                self.refunds_usd += r.refund;
                self.profit_usd -= r.refund - returned_cost;
            }
        }
    }
}

/// A cost in `from` (the line's currency; the invoice's if absent) in the
/// invoice's currency, at the invoice's rate.
fn cost_of(inv: &Invoice, cost: i64, from: Option<Currency>) -> i64 {
    let from = from.unwrap_or(inv.currency);
    match inv.rate {
        Some(rate) => money::convert(cost, from, inv.currency, rate, 1).unwrap_or(0),
        None if from == inv.currency => cost,
        None => 0,
    }
}

/// What the goods of a return cost when they were sold, in the return's currency.
fn returned_cost(conn: &Connection, r: &ReturnSale) -> Result<i64> {
    let Some(inv) = super::find::<Invoice>(conn, Table::Invoices, &r.invoice_id.key())? else {
        return Ok(0);
    };
    Ok(r.lines
        .iter()
        .filter_map(|rl| {
            let line = inv.lines.iter().find(|l| l.item_id == rl.item_id)?;
            Some(cost_of(&inv, line.unit_cost.unwrap_or(0) * rl.qty, line.currency))
        })
        .sum())
}

/// A report over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub totals: Totals,
    pub by_store: BTreeMap<String, Totals>,
    pub by_cashier: BTreeMap<String, Totals>,
    pub transfers: transfer::TransferTotals,
    /// What all customers owe now, per currency.
    pub open_debts: super::debt::Balance,
    /// Repair tickets per status, now.
    pub services: BTreeMap<String, u64>,
}

/// Totals for `[from, to)`.
pub fn report(store: &Store, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Report> {
    let conn = store.conn();
    let tx = conn.unchecked_transaction()?;
    let r = report_in(&tx, store, from, to)?;
    tx.commit()?;
    Ok(r)
}

fn report_in(conn: &Connection, store: &Store, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Report> {
    if to <= from {
        return Err(Error::Invalid("a report's end must be after its start".into()));
    }
    let range = params![from.timestamp_millis(), to.timestamp_millis()];
    let mut totals = Totals::default();
    let mut by_store: BTreeMap<String, Totals> = BTreeMap::new();
    let mut by_cashier: BTreeMap<String, Totals> = BTreeMap::new();
    let mut stmt = conn.prepare_cached("SELECT body FROM invoices WHERE created_ms >= ?1 AND created_ms < ?2")?;
    for body in stmt.query_map(range, |r| r.get::<_, String>(0))? {
        let inv: Invoice = super::parse(&body?, Table::Invoices)?;
        totals.add_invoice(&inv);
        by_store
            .entry(inv.store_id.as_ref().map(|s| s.key()).unwrap_or_default())
            .or_default()
            .add_invoice(&inv);
        by_cashier
            .entry(inv.cashier.clone().unwrap_or_default())
            .or_default()
            .add_invoice(&inv);
    }
    let mut stmt = conn.prepare_cached("SELECT body FROM returns WHERE created_ms >= ?1 AND created_ms < ?2")?;
    for body in stmt.query_map(range, |r| r.get::<_, String>(0))? {
        let r: ReturnSale = super::parse(&body?, Table::Returns)?;
        let cost = returned_cost(conn, &r)?;
        totals.add_return(&r, cost);
        by_store
            .entry(r.store_id.as_ref().map(|s| s.key()).unwrap_or_default())
            .or_default()
            .add_return(&r, cost);
        by_cashier
            .entry(r.cashier.clone().unwrap_or_default())
            .or_default()
            .add_return(&r, cost);
    }
    let mut open_debts = super::debt::Balance::default();
    let mut stmt = conn.prepare_cached("SELECT body FROM debts")?;
    for body in stmt.query_map([], |r| r.get::<_, String>(0))? {
        let d: Debt = super::parse(&body?, Table::Debts)?;
        let left = super::debt::remaining(&d);
        match d.currency {
            Currency::Iqd => open_debts.iqd += left,
            Currency::Usd => open_debts.usd += left,
        }
    }
    let mut services = BTreeMap::new();
    let mut stmt = conn.prepare_cached("SELECT status, count(*) FROM services GROUP BY status")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)))? {
        let (status, n) = row?;
        services.insert(status.unwrap_or_default(), n as u64);
    }
    Ok(Report {
        from,
        to,
        totals,
        by_store,
        by_cashier,
        transfers: transfer::totals(store, from, to)?,
        open_debts,
        services,
    })
}

/// Closes a shift: the report since `since`, recorded in the activity log
/// (action `shift_close`, the totals in the entry).
pub fn shift_close(store: &mut Store, ctx: &OpCtx, since: DateTime<Utc>) -> Result<Report> {
    let r = report(store, since, ctx.at)?;
    let totals = serde_json::to_value(&r.totals).map_err(|e| Error::Invalid(e.to_string()))?;
    store.write(|tx| {
        let mut extra = Extra::new();
        extra.insert("from".into(), since.to_rfc3339().into());
        extra.insert("to".into(), ctx.at.to_rfc3339().into());
        extra.insert("totals".into(), totals);
        log(
            tx,
            ctx,
            "shift_close",
            format!(
                "shift closed: {} invoices, {} IQD, {} USD cents",
                r.totals.invoices, r.totals.sales_iqd, r.totals.sales_usd
            ),
            Params::new()
                .number("invoices", r.totals.invoices)
                .money("iqd", r.totals.sales_iqd, Currency::Iqd)
                .money("usd", r.totals.sales_usd, Currency::Usd),
            extra,
        )
    })?;
    Ok(r)
}

/// Sales of one local day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayTotals {
    /// The local date, `YYYY-MM-DD`.
    pub day: String,
    pub invoices: u64,
    pub sales_iqd: i64,
    pub sales_usd: i64,
}

/// Sales per local day for the `days` days ending with the day of `now`
/// (oldest first), where local time is UTC + `utc_offset_minutes`.
pub fn daily(store: &Store, now: DateTime<Utc>, days: u32, utc_offset_minutes: i32) -> Result<Vec<DayTotals>> {
    if !(1..=366).contains(&days) {
        return Err(Error::Invalid(format!(
            "a daily report covers 1 to 366 days, not {days}"
        )));
    }
    if utc_offset_minutes.abs() > 14 * 60 {
        return Err(Error::Invalid(format!(
            "{utc_offset_minutes} minutes is not a time zone offset"
        )));
    }
    let offset = chrono::Duration::minutes(i64::from(utc_offset_minutes));
    let today = (now + offset).date_naive();
    let first = today - chrono::Duration::days(i64::from(days) - 1);
    let from = first.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - offset).unwrap_or(now);
    let to = from + chrono::Duration::days(i64::from(days));
    let mut out: Vec<DayTotals> = (0..days)
        .map(|i| DayTotals {
            day: (first + chrono::Duration::days(i64::from(i)))
                .format("%Y-%m-%d")
                .to_string(),
            ..DayTotals::default()
        })
        .collect();
    let mut stmt = store.conn().prepare_cached(
        "SELECT created_ms, json_extract(body, '$.currency'), json_extract(body, '$.total')
         FROM invoices WHERE created_ms >= ?1 AND created_ms < ?2",
    )?;
    let rows = stmt.query_map(params![from.timestamp_millis(), to.timestamp_millis()], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<i64>>(2)?,
        ))
    })?;
    for row in rows {
        let (ms, currency, total) = row?;
        let index = (ms - from.timestamp_millis()) / 86_400_000;
        let Some(day) = usize::try_from(index).ok().and_then(|i| out.get_mut(i)) else {
            continue;
        };
        day.invoices += 1;
        match currency.as_deref() {
            Some("USD") => day.sales_usd += total.unwrap_or(0),
            _ => day.sales_iqd += total.unwrap_or(0),
        }
    }
    Ok(out)
}
