//! Stock: every change is a movement in `sonic_inventory_data`, and the level
//! of an item in a store is always the sum of its movements (an indexed sum,
//! never a stored number that could drift). Each movement also writes a
//! per-item entry in `sonic_items_data`. A level record from the old POS
//! (`quantity`, no `delta`) is the level at that point: the level is the
//! newest such record plus the movements after it.

use super::{insert, load, log, positive, OpCtx, Params};
use crate::error::{Error, Param, Refusal, Result};
use crate::sections::{Extra, InventoryRecord, Item, ItemActivity, RecordId, Role, StoreLocation, Table};
use crate::store::Store;
use rusqlite::{params, Connection};

/// The stock of an item in a store.
pub fn level(store: &Store, item_id: &str, store_id: &str) -> Result<i64> {
    level_in(store.conn(), item_id, store_id)
}

/// The level of item ?1 in store ?2. Both parts are index lookups: the
/// partial index of level records and the (item, store, delta) index.
const LEVEL_SQL: &str = "WITH last AS (
        SELECT seq, quantity FROM inventory
        WHERE item_id = ?1 AND store_id = ?2 AND quantity IS NOT NULL
        ORDER BY seq DESC LIMIT 1
    )
    SELECT coalesce((SELECT quantity FROM last), 0)
         + coalesce((SELECT sum(delta) FROM inventory
                     WHERE item_id = ?1 AND store_id = ?2
                       AND seq > coalesce((SELECT seq FROM last), 0)), 0)";

pub(crate) fn level_in(conn: &Connection, item_id: &str, store_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(LEVEL_SQL)?
        .query_row(params![item_id, store_id], |r| r.get(0))?)
}

/// The stock of an item in every store that has had any.
pub fn levels(store: &Store, item_id: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT DISTINCT store_id FROM inventory WHERE item_id = ?1 AND store_id IS NOT NULL ORDER BY store_id",
    )?;
    let stores = stmt
        .query_map([item_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    stores
        .into_iter()
        .map(|s| {
            let level = level_in(store.conn(), item_id, &s)?;
            Ok((s, level))
        })
        .collect()
}

/// One stock movement, with its per-item entry. Refuses to take stock below
/// zero unless the store allows it.
pub(crate) struct Movement<'a> {
    pub item_id: &'a str,
    pub store_id: &'a str,
    pub delta: i64,
    pub reason: &'a str,
    pub unit_cost: Option<i64>,
    pub reference: Option<String>,
}

/// The most units one stock movement (or a count) may move: far beyond any
/// shop, and small enough that no sum of movements can overflow.
pub const MAX_QTY: i64 = 1_000_000_000;

/// Refuses a quantity outside ±[`MAX_QTY`] (a typo or a bad scanner read).
pub(crate) fn in_range(what: &str, qty: i64) -> Result<()> {
    if (-MAX_QTY..=MAX_QTY).contains(&qty) {
        Ok(())
    } else {
        Err(Refusal::invalid(
            "qtyOutOfRange",
            format!("{what} {qty} is out of range: at most {MAX_QTY} units at a time"),
        )
        .with("max", Param::Count(MAX_QTY))
        .into())
    }
}

/// Writes the movement and its per-item entry; returns the item (for log texts).
pub(crate) fn apply(tx: &Connection, ctx: &OpCtx, m: Movement<'_>) -> Result<Item> {
    in_range("a stock movement of", m.delta)?;
    let item: Item = load(tx, Table::Items, m.item_id, "item")?;
    let location: StoreLocation = load(tx, Table::Stores, m.store_id, "store")?;
    if m.delta < 0 && !location.allow_negative_stock {
        let have = level_in(tx, m.item_id, m.store_id)?;
        if have + m.delta < 0 {
            return Err(Error::InsufficientStock {
                item: item.name,
                store: location.name,
                have,
                want: -m.delta,
            });
        }
    }
    let movement = InventoryRecord {
        id: Some(RecordId::Text(ctx.new_id("mv"))),
        item_id: item.id.clone(),
        store_id: location.id.clone(),
        delta: Some(m.delta),
        quantity: None,
        reason: Some(m.reason.to_string()),
        unit_cost: m.unit_cost,
        reference: m.reference.clone(),
        at: Some(ctx.timestamp()),
        extra: Extra::new(),
    };
    insert(tx, Table::Inventory, &movement)?;
    let kind = match m.reason {
        "sale" | "service_part" => "sold",
        "return" | "service_part_return" => "returned",
        "receive" => "restocked",
        other => other,
    };
    let entry = ItemActivity {
        id: Some(RecordId::Text(ctx.new_id("ia"))),
        item_id: item.id.clone(),
        kind: kind.to_string(),
        qty: Some(m.delta),
        reference: m.reference,
        store_id: Some(location.id),
        at: Some(ctx.timestamp()),
        extra: Extra::new(),
    };
    insert(tx, Table::ItemActivity, &entry)?;
    Ok(item)
}

/// Receives stock into the till's store, at a unit cost (IQD dinars or the
/// item's currency's minor units).
pub fn receive(store: &mut Store, ctx: &OpCtx, item_id: &str, qty: i64, unit_cost: i64) -> Result<()> {
    ctx.actor.require(Role::Manager, "receiving stock")?;
    store.write(|tx| receive_in(tx, ctx, item_id, &ctx.store_id, qty, unit_cost))
}

pub(crate) fn receive_in(
    tx: &Connection,
    ctx: &OpCtx,
    item_id: &str,
    store_id: &str,
    qty: i64,
    unit_cost: i64,
) -> Result<()> {
    positive("quantity received", qty)?;
    if unit_cost < 0 {
        return Err(Refusal::invalid(
            "negativeAmount",
            format!("a unit cost must not be negative, found {unit_cost}"),
        )
        .into());
    }
    let item = apply(
        tx,
        ctx,
        Movement {
            item_id,
            store_id,
            delta: qty,
            reason: "receive",
            unit_cost: Some(unit_cost),
            reference: None,
        },
    )?;
    log(
        tx,
        ctx,
        "stock_receive",
        format!("received {qty} of {}", item.name),
        Params::new().number("qty", qty).text("item", &item.name),
        Extra::new(),
    )
}

/// Adjusts stock by `delta` (not zero) with a reason (manager).
pub fn adjust(store: &mut Store, ctx: &OpCtx, item_id: &str, delta: i64, reason: &str) -> Result<()> {
    ctx.actor.require(Role::Manager, "adjusting stock")?;
    if delta == 0 {
        return Err(Refusal::invalid("adjustmentZero", "an adjustment must change the stock (delta 0)").into());
    }
    if reason.trim().is_empty() {
        return Err(Refusal::invalid("adjustmentReason", "an adjustment needs a reason").into());
    }
    store.write(|tx| {
        let item = apply(
            tx,
            ctx,
            Movement {
                item_id,
                store_id: &ctx.store_id,
                delta,
                reason: "adjust",
                unit_cost: None,
                reference: Some(reason.trim().to_string()),
            },
        )?;
        log(
            tx,
            ctx,
            "stock_adjust",
            format!("{} adjusted by {delta}: {}", item.name, reason.trim()),
            Params::new()
                .text("item", &item.name)
                .number("delta", delta)
                .text("reason", reason.trim()),
            Extra::new(),
        )
    })
}

/// Moves stock from one store to another: two movements, one transaction.
pub fn transfer(store: &mut Store, ctx: &OpCtx, item_id: &str, from: &str, to: &str, qty: i64) -> Result<()> {
    ctx.actor.require(Role::Manager, "moving stock between stores")?;
    positive("quantity moved", qty)?;
    if from == to {
        return Err(Refusal::invalid("sameStore", "a stock transfer needs two different stores").into());
    }
    store.write(|tx| {
        let reference = Some(ctx.new_id("st"));
        let out = Movement {
            item_id,
            store_id: from,
            delta: -qty,
            reason: "transfer_out",
            unit_cost: None,
            reference: reference.clone(),
        };
        let item = apply(tx, ctx, out)?;
        apply(
            tx,
            ctx,
            Movement {
                item_id,
                store_id: to,
                delta: qty,
                reason: "transfer_in",
                unit_cost: None,
                reference,
            },
        )?;
        log(
            tx,
            ctx,
            "stock_transfer",
            format!(
                "{qty} of {} moved from {} to {}",
                item.name,
                store_name(tx, from)?,
                store_name(tx, to)?
            ),
            Params::new()
                .number("qty", qty)
                .text("item", &item.name)
                .text("from", store_name(tx, from)?)
                .text("to", store_name(tx, to)?),
            Extra::new(),
        )
    })
}

/// Records a stock count: the level becomes `counted` through one
/// adjusting movement (none if it already matches). Returns the difference.
pub fn count(store: &mut Store, ctx: &OpCtx, item_id: &str, counted: i64) -> Result<i64> {
    ctx.actor.require(Role::Manager, "counting stock")?;
    if counted < 0 {
        return Err(Refusal::invalid(
            "negativeAmount",
            format!("a counted quantity must not be negative, found {counted}"),
        )
        .into());
    }
    in_range("a counted quantity of", counted)?;
    store.write(|tx| {
        // A count of an item that does not exist would log a count of nothing.
        let item: Item = load(tx, Table::Items, item_id, "item")?;
        let have = level_in(tx, item_id, &ctx.store_id)?;
        let delta = counted.checked_sub(have).ok_or_else(|| {
            Error::Invalid(format!(
                "the level {have} of {item_id} is out of range; adjust it first"
            ))
        })?;
        if delta != 0 {
            let m = Movement {
                item_id,
                store_id: &ctx.store_id,
                delta,
                reason: "count",
                unit_cost: None,
                reference: None,
            };
            apply(tx, ctx, m)?;
        }
        log(
            tx,
            ctx,
            "stock_count",
            format!("{}: counted {counted}, had {have}", item.name),
            Params::new()
                .text("item", &item.name)
                .number("counted", counted)
                .number("had", have),
            Extra::new(),
        )?;
        Ok(delta)
    })
}

fn store_name(tx: &Connection, id: &str) -> Result<String> {
    Ok(load::<StoreLocation>(tx, Table::Stores, id, "store")?.name)
}

/// A store location's id must exist.
pub(crate) fn require_store(tx: &Connection, store_id: &str) -> Result<StoreLocation> {
    load(tx, Table::Stores, store_id, "store")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataDir;

    /// The level is index lookups only, however many movements there are.
    #[test]
    fn the_level_query_never_scans_the_movements() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(tmp.path())).unwrap();
        let mut stmt = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {LEVEL_SQL}"))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(params!["i", "s"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(plan.iter().all(|l| !l.starts_with("SCAN inventory")), "{plan:?}");
        assert!(plan.iter().any(|l| l.contains("inventory_levels")), "{plan:?}");
        assert!(
            plan.iter()
                .any(|l| l.contains("USING INDEX inventory_item_store (item_id=? AND store_id=?)")),
            "{plan:?}"
        );
    }
}
