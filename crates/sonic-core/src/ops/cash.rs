//! Cash in or out of the drawer that is not a sale: expenses, deposits,
//! owner draws (`sonic_shop_data.transactions`).

use super::{insert, log, OpCtx, Params};
use crate::error::{Refusal, Result};
use crate::sections::{Currency, Extra, RecordId, Role, ShopTransaction, Table};
use crate::store::Store;
use rusqlite::Connection;

/// Records cash moved in (`amount` > 0) or out (`amount` < 0) of the drawer.
pub fn record_cash(
    store: &mut Store,
    ctx: &OpCtx,
    kind: &str,
    currency: Currency,
    amount: i64,
    note: &str,
) -> Result<ShopTransaction> {
    ctx.actor.require(Role::Manager, "recording cash in or out")?;
    store.write(|tx| record_cash_in(tx, ctx, kind, currency, amount, note))
}

/// Logs that a manager opened the cash drawer outside a sale (the till's
/// "Open drawer"): who and when are in the activity entry. Nothing else is
/// written; the drawer itself is the printer's business.
pub fn drawer_opened(store: &mut Store, ctx: &OpCtx) -> Result<()> {
    ctx.actor.require(Role::Manager, "opening the cash drawer")?;
    store.write(|tx| {
        log(
            tx,
            ctx,
            "drawer_open",
            "opened the cash drawer".into(),
            Params::new(),
            Extra::new(),
        )
    })
}

pub(crate) fn record_cash_in(
    tx: &Connection,
    ctx: &OpCtx,
    kind: &str,
    currency: Currency,
    amount: i64,
    note: &str,
) -> Result<ShopTransaction> {
    if amount == 0 {
        return Err(Refusal::invalid("cashZero", "a cash movement of 0 changes nothing").into());
    }
    let t = ShopTransaction {
        id: RecordId::Text(ctx.new_id("txn")),
        kind: Some(kind.to_string()),
        currency,
        amount,
        note: Some(note.to_string()).filter(|n| !n.trim().is_empty()),
        store_id: ctx.store_ref(),
        created_at: Some(ctx.timestamp()),
        extra: Extra::new(),
    };
    insert(tx, Table::ShopTransactions, &t)?;
    log(
        tx,
        ctx,
        "cash",
        format!("{kind}: {amount} {currency}"),
        Params::new().text("kind", kind).money("amount", amount, currency),
        Extra::new(),
    )?;
    Ok(t)
}
