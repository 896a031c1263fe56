//! A sale: one invoice, in one transaction. It takes the invoice number from
//! `sonic_invoice_counter`, stores the current `sonic_iqd_per_usd` rate,
//! converts each line to the invoice currency with the rounding rule of
//! [`crate::money`], moves the stock, logs the activity and the per-item
//! entries, computes the change, and opens a debt for what is left unpaid.

use super::{current_rate, debt, load, log, next_number, positive, stock, OpCtx, Page, Params};
use crate::error::{Error, Refusal, Result};
use crate::money;
use crate::sections::{
    Currency, Customer, Debt, Extra, Invoice, InvoiceLine, Item, Rate, RecordId, Role, SectionKey, Table, Tender,
};
use crate::store::Store;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

/// One line the cashier rang up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleLineInput {
    pub item_id: String,
    pub qty: i64,
    /// Discount on the line, in minor units of the invoice currency.
    #[serde(default)]
    pub discount: i64,
}

/// Cash handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenderInput {
    pub currency: Currency,
    pub amount: i64,
}

/// A sale as the till sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleInput {
    pub lines: Vec<SaleLineInput>,
    /// Currency of the invoice totals.
    pub currency: Currency,
    /// Discount on the whole invoice, minor units of `currency`.
    #[serde(default)]
    pub discount: i64,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub payments: Vec<TenderInput>,
    /// Currency the change is given in (the invoice's if absent).
    #[serde(default)]
    pub change_currency: Option<Currency>,
}

impl SaleInput {
    /// A plain cash sale: `lines` as (item id, quantity), no discounts and no
    /// customer, with `paid` handed over in the invoice's `currency`.
    pub fn cash(lines: &[(&str, i64)], currency: Currency, paid: i64) -> SaleInput {
        SaleInput {
            lines: lines
                .iter()
                .map(|(item_id, qty)| SaleLineInput {
                    item_id: (*item_id).to_string(),
                    qty: *qty,
                    discount: 0,
                })
                .collect(),
            currency,
            discount: 0,
            customer_id: None,
            payments: vec![TenderInput { currency, amount: paid }],
            change_currency: None,
        }
    }
}

/// What the till shows after a sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleReceipt {
    pub invoice: Invoice,
    /// Change to hand back, in `change_currency`.
    pub change: i64,
    pub change_currency: Currency,
    /// The debt opened for what was not paid, if any.
    pub debt: Option<Debt>,
}

/// Rings up a sale.
pub fn sell(store: &mut Store, ctx: &OpCtx, input: &SaleInput) -> Result<SaleReceipt> {
    sell_approved(store, ctx, input, None)
}

/// [`sell`] with a manager's approval (see [`super::security::approve`]):
/// needed when a cashier gives discounts above the shop's
/// `discountApprovalAbovePercent` of the sale.
pub fn sell_approved(
    store: &mut Store,
    ctx: &OpCtx,
    input: &SaleInput,
    approval: Option<&super::Actor>,
) -> Result<SaleReceipt> {
    store.write(|tx| sell_in(tx, ctx, input, approval))
}

/// Who approves the discounts of a sale: nobody when they are within the
/// shop's share (or the seller is a manager), else `approval`, a manager.
fn discount_approver(
    ctx: &OpCtx,
    quote: &Quote,
    above_percent: i64,
    approval: Option<&super::Actor>,
) -> Result<Option<String>> {
    let line_discounts: i64 = quote.lines.iter().filter_map(|l| l.discount).sum();
    let discounts = line_discounts.saturating_add(quote.discount);
    let gross = quote.subtotal.saturating_add(line_discounts);
    // discounts / gross > above / 100, in integers (amounts are bounded by
    // the quote's checks; i128 so no product can overflow).
    let above = gross > 0 && i128::from(discounts) * 100 > i128::from(above_percent) * i128::from(gross);
    if !above || ctx.actor.role >= Role::Manager {
        return Ok(None);
    }
    let approver = approval.ok_or(Error::ApprovalRequired {
        action: "a discount of this size",
    })?;
    approver.require(Role::Manager, "approving a discount")?;
    Ok(Some(approver.name.clone()))
}

fn conversion_rate(tx: &Connection, needed: bool) -> Result<Option<Rate>> {
    match current_rate(tx, SectionKey::IqdPerUsd) {
        Ok(r) => Ok(Some(r)),
        Err(e @ Error::RateNotSet { .. }) if needed => Err(e),
        Err(Error::RateNotSet { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A priced cart: what the sale would be, before any payment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub lines: Vec<InvoiceLine>,
    pub subtotal: i64,
    pub discount: i64,
    /// In the invoice currency.
    pub total: i64,
    /// The total in the other currency at the current rate (IQD rounded to the step).
    pub other_total: Option<(Currency, i64)>,
    pub rate: Option<Rate>,
}

/// Prices a cart without writing anything (the till shows it as the cashier
/// rings items up).
pub fn quote(store: &Store, input: &SaleInput) -> Result<Quote> {
    quote_in(store.conn(), input)
}

pub(crate) fn quote_in(tx: &Connection, input: &SaleInput) -> Result<Quote> {
    if input.lines.is_empty() {
        return Err(Refusal::invalid("saleEmpty", "a sale needs at least one line").into());
    }
    let settings = super::settings::load(tx)?;
    let mut items = Vec::with_capacity(input.lines.len());
    for line in &input.lines {
        positive("quantity", line.qty)?;
        if line.discount < 0 {
            return Err(Refusal::invalid(
                "negativeAmount",
                format!("a discount must not be negative, found {}", line.discount),
            )
            .into());
        }
        let item: Item = load(tx, Table::Items, &line.item_id, "item")?;
        if item.archived {
            return Err(Refusal::invalid(
                "itemArchived",
                format!("item {} is archived and cannot be sold", item.name),
            )
            .text("item", item.name)
            .into());
        }
        items.push(item);
    }
    let needs_rate = items
        .iter()
        .any(|i| i.currency.unwrap_or(Currency::Iqd) != input.currency)
        || input.payments.iter().any(|p| p.currency != input.currency)
        || input.change_currency.is_some_and(|c| c != input.currency);
    let rate = conversion_rate(tx, needs_rate)?;
    let convert = |amount: i64, from: Currency, to: Currency| convert_at(rate, settings.iqd_step, amount, from, to);

    let mut lines = Vec::with_capacity(items.len());
    let mut subtotal = 0i64;
    for (line, item) in input.lines.iter().zip(&items) {
        let item_currency = item.currency.unwrap_or(Currency::Iqd);
        let unit_price = item.price.unwrap_or(0);
        let gross = unit_price
            .checked_mul(line.qty)
            .ok_or_else(|| Refusal::invalid("amountTooLarge", "quantity too large"))?;
        let converted = convert(gross, item_currency, input.currency)?;
        if line.discount > converted {
            return Err(Refusal::invalid(
                "discountOverLine",
                format!(
                    "the discount on {} ({}) is more than the line ({converted})",
                    item.name, line.discount
                ),
            )
            .text("item", item.name.clone())
            .money("discount", line.discount, input.currency)
            .money("line", converted, input.currency)
            .into());
        }
        let total = converted - line.discount;
        subtotal += total;
        lines.push(InvoiceLine {
            item_id: item.id.clone(),
            name: Some(item.name.clone()),
            qty: line.qty,
            currency: Some(item_currency),
            unit_price,
            discount: (line.discount > 0).then_some(line.discount),
            total: Some(total),
            unit_cost: item.cost,
            extra: Extra::new(),
        });
    }
    if input.discount < 0 || input.discount > subtotal {
        return Err(Refusal::invalid(
            "invoiceDiscount",
            format!(
                "the invoice discount must be between 0 and the subtotal {subtotal}, found {}",
                input.discount
            ),
        )
        .money("subtotal", subtotal, input.currency)
        .into());
    }
    let total = subtotal - input.discount;
    let other_total = rate.and_then(|r| money::in_other_currency(total, input.currency, r, settings.iqd_step));
    Ok(Quote {
        lines,
        subtotal,
        discount: input.discount,
        total,
        other_total,
        rate,
    })
}

pub(crate) fn sell_in(
    tx: &Connection,
    ctx: &OpCtx,
    input: &SaleInput,
    approval: Option<&super::Actor>,
) -> Result<SaleReceipt> {
    stock::require_store(tx, &ctx.store_id)?;
    let quote = quote_in(tx, input)?;
    let settings = super::settings::load(tx)?;
    let approved_by = discount_approver(ctx, &quote, settings.discount_approval_above_percent, approval)?;
    let Quote {
        lines,
        subtotal,
        total,
        rate,
        ..
    } = quote;
    let convert = |amount: i64, from: Currency, to: Currency| convert_at(rate, settings.iqd_step, amount, from, to);

    let mut tendered = 0i64;
    for p in &input.payments {
        if p.amount < 0 {
            return Err(Refusal::invalid(
                "negativeAmount",
                format!("a payment must not be negative, found {}", p.amount),
            )
            .into());
        }
        tendered += convert_at(rate, 1, p.amount, p.currency, input.currency)?;
    }
    let paid = tendered.min(total);
    let change_currency = input.change_currency.unwrap_or(input.currency);
    let change = convert(tendered - paid, input.currency, change_currency)?;

    let customer: Option<Customer> = input
        .customer_id
        .as_deref()
        .map(|id| load(tx, Table::Customers, id, "customer"))
        .transpose()?;
    let number = next_number(tx, SectionKey::InvoiceCounter)?;
    let invoice = Invoice {
        id: RecordId::Text(ctx.new_id("inv")),
        number,
        currency: input.currency,
        rate,
        lines,
        subtotal: Some(subtotal),
        discount: (input.discount > 0).then_some(input.discount),
        total,
        paid: Some(paid),
        change: Some(change),
        change_currency: (change_currency != input.currency).then_some(change_currency),
        payments: input
            .payments
            .iter()
            .map(|p| Tender {
                currency: p.currency,
                amount: p.amount,
                extra: Extra::new(),
            })
            .collect(),
        customer_id: customer.as_ref().map(|c| c.id.clone()),
        store_id: Some(RecordId::Text(ctx.store_id.clone())),
        cashier: Some(ctx.actor.name.clone()),
        created_at: Some(ctx.timestamp()),
        extra: approved_by
            .map(|name| Extra::from_iter([("approvedBy".to_string(), serde_json::Value::String(name))]))
            .unwrap_or_default(),
    };
    let invoice_id = invoice.id.key();
    for line in &invoice.lines {
        stock::apply(
            tx,
            ctx,
            stock::Movement {
                item_id: &line.item_id.key(),
                store_id: &ctx.store_id,
                delta: -line.qty,
                reason: "sale",
                unit_cost: None,
                reference: Some(invoice_id.clone()),
            },
        )?;
    }
    super::insert(tx, Table::Invoices, &invoice)?;
    let debt = if paid < total {
        let customer = customer.as_ref().ok_or_else(|| {
            Error::from(
                Refusal::invalid(
                    "unpaidNeedsCustomer",
                    format!(
                        "{} of {total} {} is unpaid: choose a customer to open a debt, or take the full amount",
                        total - paid,
                        input.currency
                    ),
                )
                .money("unpaid", total - paid, input.currency),
            )
        })?;
        Some(debt::open_in(
            tx,
            ctx,
            customer,
            input.currency,
            total - paid,
            "sale",
            Some(invoice.id.clone()),
        )?)
    } else {
        None
    };
    log(
        tx,
        ctx,
        "sale",
        format!("invoice #{number}: {total} {}", input.currency),
        Params::new()
            .number("number", number)
            .money("total", total, input.currency),
        Extra::new(),
    )?;
    Ok(SaleReceipt {
        invoice,
        change,
        change_currency,
        debt,
    })
}

/// Converts at `rate` (needed only when the currencies differ), rounding
/// IQD to `iqd_step`. Payments are converted with step 1: the step is for
/// prices, not for cash counted.
fn convert_at(rate: Option<Rate>, iqd_step: i64, amount: i64, from: Currency, to: Currency) -> Result<i64> {
    if from == to {
        return Ok(amount);
    }
    let rate = rate.ok_or(Error::RateNotSet {
        key: SectionKey::IqdPerUsd,
    })?;
    money::convert(amount, from, to, rate, iqd_step).ok_or_else(|| Error::Invalid("amount too large".into()))
}

/// An invoice by id.
pub fn invoice(store: &Store, id: &str) -> Result<Option<Invoice>> {
    super::find(store.conn(), Table::Invoices, id)
}

/// An invoice by its number.
pub fn invoice_by_number(store: &Store, number: u64) -> Result<Option<Invoice>> {
    let body: Option<String> = rusqlite::OptionalExtension::optional(
        store
            .conn()
            .prepare_cached("SELECT body FROM invoices WHERE number = ?1")?
            .query_row([number as i64], |r| r.get(0)),
    )?;
    body.map(|b| super::parse(&b, Table::Invoices)).transpose()
}

/// A customer's invoices, newest first, a page at a time.
pub fn invoices_of_customer(store: &Store, customer_id: &str, page: Page) -> Result<Vec<Invoice>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT body FROM invoices WHERE customer_id = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3")?;
    let rows = stmt.query_map(params![customer_id, page.limit(), page.offset], |r| {
        r.get::<_, String>(0)
    })?;
    rows.map(|b| super::parse(&b?, Table::Invoices)).collect()
}

/// What to find a sale by on the Return Sale screen, besides its number:
/// a customer (name or phone), an item (name or barcode), a time range.
/// Any left out does not narrow the search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceFind {
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub item: Option<String>,
    /// From this time (ms since 1970, UTC), included.
    #[serde(default)]
    pub from_ms: Option<i64>,
    /// Up to this time (ms since 1970, UTC), excluded.
    #[serde(default)]
    pub to_ms: Option<i64>,
}

/// How far back a search by item looks when no start is given: an item's
/// sales are found by reading the lines of the invoices in the range (the
/// range comes from the time index), so it is bounded.
pub const ITEM_SEARCH_DAYS: i64 = 92;

/// At most this many customers or items a name matches are searched for.
const NAME_MATCHES: u32 = 20;

/// Invoices matching `find`, newest first, a page at a time. Each part
/// uses an index: the customers and items a text names (the search
/// indexes, at most 20 of each), then the invoices by customer or by time;
/// a search by item reads the lines of the invoices within its time range
/// only (the last [`ITEM_SEARCH_DAYS`] days before `now_ms` unless a start
/// is given). Never a whole section.
pub fn find_invoices(store: &Store, find: &InvoiceFind, now_ms: i64, page: Page) -> Result<Vec<Invoice>> {
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let names = Page {
        offset: 0,
        limit: NAME_MATCHES,
    };
    let mut clauses: Vec<&str> = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(customer) = text(&find.customer) {
        let ids: Vec<String> = super::catalog::search_customers(store, &customer, names)?
            .into_iter()
            .map(|c| c.id.key())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        clauses.push("customer_id IN (SELECT value FROM json_each(?))");
        values.push(serde_json::to_string(&ids).unwrap_or_default().into());
    }
    let mut from = find.from_ms;
    if let Some(item) = text(&find.item) {
        let ids: Vec<String> = super::catalog::search_items(store, &item, names)?
            .into_iter()
            .map(|i| i.id.key())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        clauses.push(
            "EXISTS (SELECT 1 FROM json_each(invoices.body, '$.lines') AS l \
             WHERE CAST(json_extract(l.value, '$.itemId') AS TEXT) IN (SELECT value FROM json_each(?)))",
        );
        values.push(serde_json::to_string(&ids).unwrap_or_default().into());
        from = Some(from.unwrap_or(now_ms - ITEM_SEARCH_DAYS * 86_400_000));
    }
    if let Some(from) = from {
        clauses.push("created_ms >= ?");
        values.push(from.into());
    }
    if let Some(to) = find.to_ms {
        clauses.push("created_ms < ?");
        values.push(to.into());
    }
    if clauses.is_empty() {
        return invoices(store, page);
    }
    let sql = format!(
        "SELECT body FROM invoices WHERE {} ORDER BY created_ms DESC, seq DESC LIMIT ? OFFSET ?",
        clauses.join(" AND ")
    );
    values.push(page.limit().into());
    values.push(i64::from(page.offset).into());
    let mut stmt = store.conn().prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(0))?;
    rows.map(|b| super::parse(&b?, Table::Invoices)).collect()
}

/// Invoices, newest first, a page at a time.
pub fn invoices(store: &Store, page: Page) -> Result<Vec<Invoice>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT body FROM invoices ORDER BY seq DESC LIMIT ?1 OFFSET ?2")?;
    let rows = stmt.query_map(params![page.limit(), page.offset], |r| r.get::<_, String>(0))?;
    rows.map(|b| super::parse(&b?, Table::Invoices)).collect()
}
