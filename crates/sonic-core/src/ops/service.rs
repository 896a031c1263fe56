//! Repair tickets. The status flow is received → diagnosing → waiting for
//! parts → ready → delivered; any open ticket can be cancelled. Each change is
//! timestamped with who made it. Parts come out of stock; delivery settles
//! the balance and can leave the rest as a debt.

use super::{debt, insert, load, log, positive, save, stock, OpCtx, Page, Params};
use crate::error::{Error, Param, Refusal, Result};
use crate::sections::{
    Currency, Customer, Extra, Item, RecordId, ServicePart, ServiceStatus, ServiceStatusChange, ServiceTicket, Table,
};
use crate::store::Store;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

/// A new ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketInput {
    pub customer_id: String,
    pub device: String,
    #[serde(default)]
    pub fault: Option<String>,
    /// The currency of the estimate, the deposit, the final charge and any
    /// debt left at delivery (IQD when not given).
    #[serde(default = "dinars")]
    pub currency: Currency,
    /// Estimate in minor units of `currency`.
    #[serde(default)]
    pub estimate: i64,
    /// Deposit taken now, minor units of `currency`.
    #[serde(default)]
    pub deposit: i64,
}

fn dinars() -> Currency {
    Currency::Iqd
}

/// Whether a ticket may go from `from` to `to`.
pub fn allowed(from: ServiceStatus, to: ServiceStatus) -> bool {
    use ServiceStatus::*;
    matches!(
        (from, to),
        (Received, Diagnosing)
            | (Diagnosing, WaitingForParts)
            | (Diagnosing, Ready)
            | (WaitingForParts, Ready)
            | (Ready, Delivered)
            | (Received | Diagnosing | WaitingForParts | Ready, Cancelled)
    )
}

/// Opens a ticket.
pub fn open_ticket(store: &mut Store, ctx: &OpCtx, input: &TicketInput) -> Result<ServiceTicket> {
    store.write(|tx| open_ticket_in(tx, ctx, input))
}

pub(crate) fn open_ticket_in(tx: &Connection, ctx: &OpCtx, input: &TicketInput) -> Result<ServiceTicket> {
    {
        let customer: Customer = load(tx, Table::Customers, &input.customer_id, "customer")?;
        if input.device.trim().is_empty() {
            return Err(Refusal::invalid("ticketNeedsDevice", "a ticket needs the device").into());
        }
        if input.estimate < 0 || input.deposit < 0 {
            return Err(Refusal::invalid("negativeAmount", "estimate and deposit must not be negative").into());
        }
        let number = super::counters::next(tx, super::counters::Counted::Services)?;
        let t = ServiceTicket {
            id: RecordId::Text(ctx.new_id("svc")),
            number: Some(number),
            customer_id: Some(customer.id.clone()),
            device: input.device.trim().to_string(),
            fault: input.fault.clone(),
            status: ServiceStatus::Received,
            currency: Some(input.currency),
            estimate: Some(input.estimate),
            deposit: Some(input.deposit),
            history: vec![change(ctx, ServiceStatus::Received)],
            parts: Vec::new(),
            store_id: ctx.store_ref(),
            created_at: Some(ctx.timestamp()),
            extra: Extra::new(),
        };
        insert(tx, Table::Services, &t)?;
        log(
            tx,
            ctx,
            "service_open",
            format!("ticket #{number}: {} for {}", t.device, customer.name),
            Params::new()
                .number("number", number)
                .text("device", &t.device)
                .text("customer", &customer.name),
            Extra::new(),
        )?;
        Ok(t)
    }
}

/// A ticket as the activity log names it: its number and device, not its id.
fn ticket_params(t: &ServiceTicket) -> Params {
    let p = Params::new().text("device", &t.device);
    match t.number {
        Some(n) => p.number("number", n),
        None => p,
    }
}

/// A status as its wire code (`waiting_for_parts`), which the UI words.
fn status_code(status: ServiceStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn change(ctx: &OpCtx, status: ServiceStatus) -> ServiceStatusChange {
    ServiceStatusChange {
        status,
        at: ctx.timestamp(),
        by: Some(ctx.actor.name.clone()),
        extra: Extra::new(),
    }
}

/// Moves a ticket to the next status (not to delivered: see [`deliver`]).
pub fn advance(store: &mut Store, ctx: &OpCtx, ticket_id: &str, to: ServiceStatus) -> Result<ServiceTicket> {
    store.write(|tx| advance_in(tx, ctx, ticket_id, to))
}

/// A refusal about a ticket, naming it by its number and status (never by
/// its id or the enum's Rust name).
fn ticket_refusal(reason: &'static str, t: &ServiceTicket, message: String) -> Refusal {
    let number = t.number.and_then(|n| i64::try_from(n).ok()).unwrap_or(0);
    Refusal::conflict(reason, message)
        .with("ticket", Param::Count(number))
        .with("status", Param::Status(t.status))
}

pub(crate) fn advance_in(tx: &Connection, ctx: &OpCtx, ticket_id: &str, to: ServiceStatus) -> Result<ServiceTicket> {
    if to == ServiceStatus::Delivered {
        return Err(Refusal::invalid("useDeliver", "delivery settles the bill: use deliver").into());
    }
    {
        let mut t: ServiceTicket = load(tx, Table::Services, ticket_id, "repair ticket")?;
        if !allowed(t.status, to) {
            return Err(ticket_refusal(
                "statusChange",
                &t,
                format!("a ticket that is {:?} cannot become {to:?}", t.status),
            )
            .with("to", Param::Status(to))
            .into());
        }
        t.status = to;
        t.history.push(change(ctx, to));
        if to == ServiceStatus::Cancelled {
            cancel_in(tx, ctx, &mut t)?;
        }
        save(tx, Table::Services, &t)?;
        log(
            tx,
            ctx,
            "service_status",
            format!("ticket {ticket_id} is now {to:?}"),
            ticket_params(&t).text("status", status_code(to)),
            Extra::new(),
        )?;
        Ok(t)
    }
}

/// A cancelled repair gives back what it took: each part goes back into the
/// stock of the store it came from (told by the ticket's own stock
/// movements, so parts recorded before `storeId` existed go back right too),
/// and the deposit is recorded as handed back (`depositReturned` on the
/// ticket).
fn cancel_in(tx: &Connection, ctx: &OpCtx, t: &mut ServiceTicket) -> Result<()> {
    let ticket_id = t.id.key();
    let mut items: Vec<String> = Vec::new();
    for part in &t.parts {
        let item = part.item_id.key();
        if !items.contains(&item) {
            items.push(item);
        }
    }
    for item_id in &items {
        let held = held_by_ticket(tx, &ticket_id, item_id)?;
        if held.is_empty() {
            // Parts written without a stock movement (the old POS): back to
            // the store the part names, else the ticket's.
            for part in t.parts.iter().filter(|p| &p.item_id.key() == item_id) {
                let store_id = part
                    .store_id
                    .as_ref()
                    .or(t.store_id.as_ref())
                    .map(RecordId::key)
                    .unwrap_or_else(|| ctx.store_id.clone());
                give_back(tx, ctx, item_id, &store_id, part.qty, &ticket_id)?;
            }
        }
        for (store_id, units) in held {
            if units > 0 {
                give_back(tx, ctx, item_id, &store_id, units, &ticket_id)?;
            }
        }
    }
    let deposit = t.deposit.unwrap_or(0);
    if deposit > 0 {
        t.extra.insert("depositReturned".into(), deposit.into());
    }
    Ok(())
}

fn give_back(tx: &Connection, ctx: &OpCtx, item_id: &str, store_id: &str, qty: i64, ticket_id: &str) -> Result<()> {
    stock::apply(
        tx,
        ctx,
        stock::Movement {
            item_id,
            store_id,
            delta: qty,
            reason: "service_part_return",
            unit_cost: None,
            reference: Some(ticket_id.to_string()),
        },
    )?;
    Ok(())
}

/// The units of `item_id` the stock movements of a ticket still hold out of
/// each store (taken minus given back), in the order the stores were first
/// touched.
fn held_by_ticket(tx: &Connection, ticket_id: &str, item_id: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT store_id, -sum(delta) FROM inventory
         WHERE item_id = ?1 AND delta IS NOT NULL AND store_id IS NOT NULL
           AND json_extract(body, '$.reference') = ?2
         GROUP BY store_id ORDER BY min(seq)",
    )?;
    let rows = stmt.query_map(params![item_id, ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Takes a part out of stock for a ticket and records it, with its price,
/// on the ticket (the charge given at delivery is the whole bill).
pub fn use_part(store: &mut Store, ctx: &OpCtx, ticket_id: &str, item_id: &str, qty: i64) -> Result<ServiceTicket> {
    positive("part quantity", qty)?;
    store.write(|tx| use_part_in(tx, ctx, ticket_id, item_id, qty))
}

pub(crate) fn use_part_in(
    tx: &Connection,
    ctx: &OpCtx,
    ticket_id: &str,
    item_id: &str,
    qty: i64,
) -> Result<ServiceTicket> {
    positive("part quantity", qty)?;
    {
        let mut t: ServiceTicket = load(tx, Table::Services, ticket_id, "repair ticket")?;
        if matches!(t.status, ServiceStatus::Delivered | ServiceStatus::Cancelled) {
            return Err(ticket_refusal("ticketClosed", &t, format!("ticket {ticket_id} is closed")).into());
        }
        let item: Item = load(tx, Table::Items, item_id, "item")?;
        let m = stock::Movement {
            item_id,
            store_id: &ctx.store_id,
            delta: -qty,
            reason: "service_part",
            unit_cost: None,
            reference: Some(ticket_id.to_string()),
        };
        stock::apply(tx, ctx, m)?;
        t.parts.push(ServicePart {
            item_id: item.id,
            qty,
            unit_price: item.price,
            store_id: Some(RecordId::Text(ctx.store_id.clone())),
            extra: Extra::new(),
        });
        save(tx, Table::Services, &t)?;
        log(
            tx,
            ctx,
            "service_part",
            format!("{qty} of {} used on ticket {ticket_id}", item.name),
            ticket_params(&t).number("qty", qty).text("item", &item.name),
            Extra::new(),
        )?;
        Ok(t)
    }
}

/// What delivering a ticket did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub ticket: ServiceTicket,
    /// What was due at delivery: the charge minus the deposit, in the ticket's currency.
    pub due: i64,
    pub paid: i64,
    /// The part of the deposit beyond the charge, handed back to the customer.
    pub refund: i64,
    pub debt: Option<crate::sections::Debt>,
}

/// Hands the device back: the bill is `charge` (the estimate if none) minus
/// the deposit, in the ticket's currency; what is not paid now becomes a
/// debt in that currency.
pub fn deliver(store: &mut Store, ctx: &OpCtx, ticket_id: &str, charge: Option<i64>, paid: i64) -> Result<Delivery> {
    store.write(|tx| deliver_in(tx, ctx, ticket_id, charge, paid))
}

pub(crate) fn deliver_in(
    tx: &Connection,
    ctx: &OpCtx,
    ticket_id: &str,
    charge: Option<i64>,
    paid: i64,
) -> Result<Delivery> {
    {
        let mut t: ServiceTicket = load(tx, Table::Services, ticket_id, "repair ticket")?;
        if !allowed(t.status, ServiceStatus::Delivered) {
            return Err(ticket_refusal(
                "deliverNotReady",
                &t,
                format!(
                    "a ticket that is {:?} cannot be delivered; mark it ready first",
                    t.status
                ),
            )
            .into());
        }
        let charge = charge.or(t.estimate).unwrap_or(0);
        if charge < 0 || paid < 0 {
            return Err(Refusal::invalid("negativeAmount", "charge and payment must not be negative").into());
        }
        // Tickets from before the currency was chosen are in dinars.
        let currency = t.currency.unwrap_or(Currency::Iqd);
        let deposit = t.deposit.unwrap_or(0);
        let due = (charge - deposit).max(0);
        // A deposit above the final charge is the customer's money.
        let refund = (deposit - charge).max(0);
        if paid > due {
            return Err(Refusal::invalid(
                "deliveryOverpaid",
                format!("{paid} {currency} is more than what is due ({due} {currency})"),
            )
            .money("paid", paid, currency)
            .money("due", due, currency)
            .into());
        }
        t.status = ServiceStatus::Delivered;
        t.history.push(change(ctx, ServiceStatus::Delivered));
        t.extra.insert("charge".into(), charge.into());
        t.extra.insert("paidAtDelivery".into(), paid.into());
        if refund > 0 {
            t.extra.insert("depositReturned".into(), refund.into());
        }
        save(tx, Table::Services, &t)?;
        let debt = if paid < due {
            let customer_id = t.customer_id.as_ref().map(RecordId::key).unwrap_or_default();
            let customer: Customer = load(tx, Table::Customers, &customer_id, "customer")?;
            Some(debt::open_in(
                tx,
                ctx,
                &customer,
                currency,
                due - paid,
                "service",
                Some(t.id.clone()),
            )?)
        } else {
            None
        };
        log(
            tx,
            ctx,
            "service_delivered",
            if refund > 0 {
                format!("ticket {ticket_id} delivered, {refund} {currency} of the deposit handed back")
            } else {
                format!("ticket {ticket_id} delivered, {paid} of {due} {currency} paid")
            },
            ticket_params(&t)
                .money("paid", paid, currency)
                .money("due", due, currency)
                .money("returned", refund, currency),
            Extra::new(),
        )?;
        Ok(Delivery {
            ticket: t,
            due,
            paid,
            refund,
            debt,
        })
    }
}

/// Tickets with a status, newest first.
pub fn tickets(store: &Store, status: ServiceStatus, page: Page) -> Result<Vec<ServiceTicket>> {
    let status = serde_json::to_value(status).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT body FROM services WHERE status = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3")?;
    let rows = stmt.query_map(params![status.as_str(), page.limit(), page.offset], |r| {
        r.get::<_, String>(0)
    })?;
    rows.map(|b| super::parse(&b?, Table::Services)).collect()
}
