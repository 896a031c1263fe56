//! Money transfers sent or received for customers, at `sonic_iqd_rate`, with
//! a fee, and their totals per day.

use super::{current_rate, insert, log, positive, OpCtx, Params};
use crate::error::{Refusal, Result};
use crate::sections::{Currency, Extra, RecordId, SectionKey, Table, Transfer, TransferDirection};
use crate::store::Store;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

/// A transfer as the till sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferInput {
    pub direction: TransferDirection,
    pub currency: Currency,
    /// Minor units of `currency`.
    pub amount: i64,
    /// Fee charged, minor units of `currency`.
    #[serde(default)]
    pub fee: i64,
    pub party: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Records a money transfer.
pub fn record_transfer(store: &mut Store, ctx: &OpCtx, input: &TransferInput) -> Result<Transfer> {
    store.write(|tx| record_transfer_in(tx, ctx, input))
}

pub(crate) fn record_transfer_in(tx: &Connection, ctx: &OpCtx, input: &TransferInput) -> Result<Transfer> {
    {
        positive("transfer amount", input.amount)?;
        if input.fee < 0 {
            return Err(Refusal::invalid(
                "negativeAmount",
                format!("a fee must not be negative, found {}", input.fee),
            )
            .into());
        }
        if input.party.trim().is_empty() {
            return Err(Refusal::invalid("needsName", "a transfer needs the other party's name").into());
        }
        super::stock::require_store(tx, &ctx.store_id)?;
        let rate = current_rate(tx, SectionKey::IqdRate)?;
        let number = super::counters::next(tx, super::counters::Counted::Transfers)?;
        let t = Transfer {
            id: RecordId::Text(ctx.new_id("tr")),
            number: Some(number),
            direction: input.direction,
            currency: input.currency,
            amount: input.amount,
            fee: Some(input.fee),
            rate: Some(rate),
            party: input.party.trim().to_string(),
            phone: input.phone.clone().filter(|p| !p.trim().is_empty()),
            store_id: Some(RecordId::Text(ctx.store_id.clone())),
            cashier: Some(ctx.actor.name.clone()),
            created_at: Some(ctx.timestamp()),
            extra: Extra::new(),
        };
        insert(tx, Table::Transfers, &t)?;
        let verb = match input.direction {
            TransferDirection::Send => "sent to",
            TransferDirection::Receive => "received from",
        };
        log(
            tx,
            ctx,
            "transfer",
            format!("{} {} {verb} {}", input.amount, input.currency, t.party),
            Params::new()
                .text(
                    "direction",
                    if input.direction == TransferDirection::Send {
                        "send"
                    } else {
                        "receive"
                    },
                )
                .money("amount", input.amount, input.currency)
                .text("party", &t.party),
            Extra::new(),
        )?;
        Ok(t)
    }
}

/// Transfer totals over a time range, per direction and currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferTotals {
    pub count: u64,
    pub sent_iqd: i64,
    pub sent_usd: i64,
    pub received_iqd: i64,
    pub received_usd: i64,
    pub fees_iqd: i64,
    pub fees_usd: i64,
}

/// Transfers, newest first, a page at a time.
pub fn transfers(store: &Store, page: super::Page) -> Result<Vec<Transfer>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT body FROM transfers ORDER BY seq DESC LIMIT ?1 OFFSET ?2")?;
    let rows = stmt.query_map(params![page.limit(), page.offset], |r| r.get::<_, String>(0))?;
    rows.map(|b| super::parse(&b?, Table::Transfers)).collect()
}

/// Totals of the transfers made in `[from, to)`.
pub fn totals(store: &Store, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<TransferTotals> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT body FROM transfers WHERE created_ms >= ?1 AND created_ms < ?2")?;
    let rows = stmt.query_map(params![from.timestamp_millis(), to.timestamp_millis()], |r| {
        r.get::<_, String>(0)
    })?;
    let mut t = TransferTotals::default();
    for body in rows {
        let tr: Transfer = super::parse(&body?, Table::Transfers)?;
        t.count += 1;
        let fee = tr.fee.unwrap_or(0);
        match (tr.direction, tr.currency) {
            (TransferDirection::Send, Currency::Iqd) => t.sent_iqd += tr.amount,
            (TransferDirection::Send, Currency::Usd) => t.sent_usd += tr.amount,
            (TransferDirection::Receive, Currency::Iqd) => t.received_iqd += tr.amount,
            (TransferDirection::Receive, Currency::Usd) => t.received_usd += tr.amount,
        }
        match tr.currency {
            Currency::Iqd => t.fees_iqd += fee,
            Currency::Usd => t.fees_usd += fee,
        }
    }
    Ok(t)
}
