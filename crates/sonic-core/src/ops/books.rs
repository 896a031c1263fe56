//! Corrections of books that earlier versions wrote wrong. A correction is
//! always new records (stock movements and an activity entry), never an
//! edit of an old one, so the history stays as it was and the fix is on
//! record. The same function runs when a database is migrated
//! ([`crate::store`]) and when a backup is imported or restored
//! ([`crate::restore`]); `check` ([`super::audit`]) reports what it would
//! correct.
//!
//! Today there is one: before schema 6 a cancelled repair put its parts back
//! into the ticket's store instead of the store each part came from, so one
//! store gained units it never had and another stayed short.

use super::{insert, log, Actor, OpCtx, Params};
use crate::error::Result;
use crate::sections::{Extra, InventoryRecord, ItemActivity, RecordId, Role, Table};
use rusqlite::Connection;
use std::collections::BTreeMap;

/// The stock movement reason of a correction.
pub const CORRECTION_REASON: &str = "service_part_correction";

/// Where the stock movements of a cancelled ticket do not come back to zero
/// in one store: `net` units of `item_id` (positive: created there, negative:
/// still missing there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartsOff {
    pub ticket_id: String,
    pub ticket_number: Option<u64>,
    pub item_id: String,
    pub store_id: String,
    pub net: i64,
}

/// The cancelled tickets whose parts' movements do not net to zero per item
/// and store. Only tickets whose parts were taken by movements count (the
/// old POS recorded parts without them).
pub fn cancelled_parts_off(conn: &Connection) -> Result<Vec<PartsOff>> {
    let mut stmt = conn.prepare(
        "SELECT s.id, json_extract(s.body, '$.number'), i.item_id, i.store_id, sum(i.delta),
                sum(json_extract(i.body, '$.reason') = 'service_part')
         FROM inventory i JOIN services s ON s.id = json_extract(i.body, '$.reference')
         WHERE s.status = 'cancelled' AND i.delta IS NOT NULL
           AND i.item_id IS NOT NULL AND i.store_id IS NOT NULL
         GROUP BY s.id, i.item_id, i.store_id
         ORDER BY min(s.seq), min(i.seq)",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            PartsOff {
                ticket_id: r.get(0)?,
                ticket_number: r.get::<_, Option<i64>>(1)?.and_then(|n| u64::try_from(n).ok()),
                item_id: r.get(2)?,
                store_id: r.get(3)?,
                net: r.get(4)?,
            },
            r.get::<_, i64>(5)? > 0,
        ))
    })?;
    let mut taken_by_movement: BTreeMap<String, bool> = BTreeMap::new();
    let mut all = Vec::new();
    for row in rows {
        let (off, taken) = row?;
        *taken_by_movement.entry(off.ticket_id.clone()).or_default() |= taken;
        all.push(off);
    }
    Ok(all
        .into_iter()
        .filter(|o| o.net != 0 && taken_by_movement.get(&o.ticket_id).copied().unwrap_or(false))
        .collect())
}

/// Adds the movements that bring every cancelled ticket's parts back to
/// zero in each store, and one activity entry naming what was corrected and
/// `why` (the occasion: a migration, an import). Returns the number of
/// movements added (none: nothing is written).
pub(crate) fn correct(conn: &Connection, why: &str) -> Result<usize> {
    let off = cancelled_parts_off(conn)?;
    if off.is_empty() {
        return Ok(0);
    }
    let ctx = OpCtx::now(
        Actor {
            user_id: "system".into(),
            name: "Sonic POS".into(),
            role: Role::Owner,
        },
        "",
    );
    let mut tickets: Vec<String> = Vec::new();
    for o in &off {
        let movement = InventoryRecord {
            id: Some(RecordId::Text(ctx.new_id("mv"))),
            item_id: RecordId::Text(o.item_id.clone()),
            store_id: RecordId::Text(o.store_id.clone()),
            delta: Some(-o.net),
            quantity: None,
            reason: Some(CORRECTION_REASON.into()),
            unit_cost: None,
            reference: Some(o.ticket_id.clone()),
            at: Some(ctx.timestamp()),
            extra: Extra::new(),
        };
        insert(conn, Table::Inventory, &movement)?;
        let entry = ItemActivity {
            id: Some(RecordId::Text(ctx.new_id("ia"))),
            item_id: RecordId::Text(o.item_id.clone()),
            kind: "correction".into(),
            qty: Some(-o.net),
            reference: Some(o.ticket_id.clone()),
            store_id: Some(RecordId::Text(o.store_id.clone())),
            at: Some(ctx.timestamp()),
            extra: Extra::new(),
        };
        insert(conn, Table::ItemActivity, &entry)?;
        let name = o.ticket_number.map_or_else(|| o.ticket_id.clone(), |n| format!("#{n}"));
        if !tickets.contains(&name) {
            tickets.push(name);
        }
    }
    log(
        conn,
        &ctx,
        "stock_correction",
        format!(
            "{why}: {} stock movement(s) added so that the parts of cancelled repair ticket(s) {} are back in the store they came from, not the ticket's",
            off.len(),
            tickets.join(", ")
        ),
        Params::new()
            .number("movements", off.len() as u64)
            .text("tickets", tickets.join(", ")),
        Extra::new(),
    )?;
    tracing::info!(movements = off.len(), why, "cancelled repair parts corrected");
    Ok(off.len())
}
