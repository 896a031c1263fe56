//! Items and customers: create, edit, archive (never delete: invoices point
//! to them), and search by name, barcode or phone, indexed and paginated.

use super::{find, insert, load, log, save, OpCtx, Page, Params};
use crate::error::{Error, Refusal, Result};
use crate::sections::{Currency, Customer, Extra, Item, RecordId, Role, Table};
use crate::store::Store;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// What the user fills in for an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemInput {
    pub name: String,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    pub currency: Currency,
    /// Selling price in minor units of `currency`.
    pub price: i64,
    /// Cost in minor units of `currency`.
    #[serde(default)]
    pub cost: i64,
}

impl ItemInput {
    fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Refusal::invalid("needsName", "an item needs a name").into());
        }
        if self.price < 0 || self.cost < 0 {
            return Err(Refusal::invalid(
                "negativeAmount",
                format!(
                    "price and cost must not be negative (price {}, cost {})",
                    self.price, self.cost
                ),
            )
            .into());
        }
        if let Some(b) = &self.barcode {
            if b.trim().is_empty() || b.chars().any(char::is_control) {
                return Err(Refusal::invalid("barcodeUnusable", format!("barcode {b:?} is not usable")).into());
            }
        }
        Ok(())
    }
}

/// The id and name of the item with this barcode.
fn barcode_owner(conn: &Connection, barcode: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .prepare_cached("SELECT id, coalesce(name, '') FROM items WHERE barcode = ?1")?
        .query_row([barcode], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Adds an item (manager or owner: it sets a price).
pub fn create_item(store: &mut Store, ctx: &OpCtx, input: &ItemInput) -> Result<Item> {
    ctx.actor.require(Role::Manager, "adding items")?;
    store.write(|tx| create_item_in(tx, ctx, input))
}

pub(crate) fn create_item_in(tx: &Connection, ctx: &OpCtx, input: &ItemInput) -> Result<Item> {
    input.check()?;
    let barcode = input.barcode.as_ref().map(|b| b.trim().to_string());
    if let Some(b) = &barcode {
        if let Some((_, item)) = barcode_owner(tx, b)? {
            return Err(Error::DuplicateBarcode {
                barcode: b.clone(),
                item,
            });
        }
    }
    let item = Item {
        id: RecordId::Text(ctx.new_id("item")),
        name: input.name.trim().to_string(),
        barcode,
        category: input.category.clone(),
        currency: Some(input.currency),
        price: Some(input.price),
        cost: Some(input.cost),
        archived: false,
        created_at: Some(ctx.timestamp()),
        extra: Extra::new(),
    };
    insert(tx, Table::Items, &item)?;
    log(
        tx,
        ctx,
        "item_create",
        format!("item {} added", item.name),
        Params::new().text("item", &item.name),
        Extra::new(),
    )?;
    Ok(item)
}

/// Changes an item (manager or owner: price changes need one).
pub fn edit_item(store: &mut Store, ctx: &OpCtx, id: &str, input: &ItemInput) -> Result<Item> {
    ctx.actor.require(Role::Manager, "editing items")?;
    input.check()?;
    store.write(|tx| {
        let mut item: Item = load(tx, Table::Items, id, "item")?;
        let barcode = input.barcode.as_ref().map(|b| b.trim().to_string());
        if let Some(b) = &barcode {
            if let Some((_, owner)) = barcode_owner(tx, b)?.filter(|(owner, _)| owner != id) {
                return Err(Error::DuplicateBarcode {
                    barcode: b.clone(),
                    item: owner,
                });
            }
        }
        let old_price = item.price;
        item.name = input.name.trim().to_string();
        item.barcode = barcode;
        item.category = input.category.clone();
        item.currency = Some(input.currency);
        item.price = Some(input.price);
        item.cost = Some(input.cost);
        save(tx, Table::Items, &item)?;
        let mut extra = Extra::new();
        if old_price != item.price {
            extra.insert("oldPrice".into(), old_price.into());
            extra.insert("newPrice".into(), input.price.into());
        }
        log(
            tx,
            ctx,
            "item_edit",
            format!("item {} changed", item.name),
            Params::new().text("item", &item.name),
            extra,
        )?;
        Ok(item)
    })
}

/// Archives an item: it disappears from sale search but stays for invoices.
pub fn archive_item(store: &mut Store, ctx: &OpCtx, id: &str) -> Result<()> {
    ctx.actor.require(Role::Manager, "archiving items")?;
    store.write(|tx| {
        let mut item: Item = load(tx, Table::Items, id, "item")?;
        item.archived = true;
        save(tx, Table::Items, &item)?;
        log(
            tx,
            ctx,
            "item_archive",
            format!("item {} archived", item.name),
            Params::new().text("item", &item.name),
            Extra::new(),
        )
    })
}

/// An item by id.
pub fn item(store: &Store, id: &str) -> Result<Option<Item>> {
    find(store.conn(), Table::Items, id)
}

/// Finds items for the sale screen: an item whose barcode is exactly the
/// text first, then items whose name or barcode contains the text (3+
/// characters, trigram index) or whose name starts with it (shorter text).
/// Archived items are left out. Pages never overlap: the exact barcode is
/// row 0 of the same ordered list the later pages continue. Never a full scan.
pub fn search_items(store: &Store, text: &str, page: Page) -> Result<Vec<Item>> {
    let (sql, params) = item_search_query(text, page);
    let mut stmt = store.conn().prepare_cached(sql)?;
    let bodies = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bodies.iter().map(|b| super::parse(b, Table::Items)).collect()
}

/// The `EXPLAIN QUERY PLAN` lines of the query [`search_items`] runs for
/// `text`, so a test can check that the search never scans the items table.
#[doc(hidden)]
pub fn search_plan(store: &Store, text: &str, page: Page) -> Result<Vec<String>> {
    let (sql, params) = item_search_query(text, page);
    let mut stmt = store.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn item_search_query(text: &str, page: Page) -> (&'static str, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let text = text.trim();
    let (limit, offset) = (Value::Integer(page.limit()), Value::Integer(i64::from(page.offset)));
    if text.is_empty() {
        // Streams rows in `seq` order and stops at the limit.
        return (
            "SELECT body FROM items WHERE archived = 0 ORDER BY seq LIMIT ?1 OFFSET ?2",
            vec![limit, offset],
        );
    }
    let t = Value::Text(text.to_string());
    if text.chars().count() >= 3 {
        (
            "SELECT body FROM (
                 SELECT body, 0 AS grp, 0.0 AS score, seq FROM items WHERE barcode = ?1 AND archived = 0
                 UNION ALL
                 SELECT items.body, 1, items_fts.rank, items.seq FROM items_fts JOIN items ON items.seq = items_fts.rowid
                 WHERE items_fts MATCH ?2 AND items.archived = 0 AND items.barcode IS NOT ?1
             ) ORDER BY grp, score, seq LIMIT ?3 OFFSET ?4",
            vec![t, Value::Text(fts_phrase(text)), limit, offset],
        )
    } else {
        (
            "SELECT body FROM (
                 SELECT body, 0 AS grp, '' AS k, seq FROM items WHERE barcode = ?1 AND archived = 0
                 UNION ALL
                 SELECT body, 1, name_fold, seq FROM items
                 WHERE name_fold >= lower(?1) AND name_fold < lower(?1) || char(1114111)
                   AND archived = 0 AND barcode IS NOT ?1
             ) ORDER BY grp, k, seq LIMIT ?2 OFFSET ?3",
            vec![t, limit, offset],
        )
    }
}

/// The text as one FTS5 phrase (quotes doubled), so user input is never syntax.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// What the user fills in for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInput {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// Most the customer may owe, in IQD; none for no limit.
    #[serde(default)]
    pub credit_limit: Option<i64>,
}

/// Adds a customer (any user: cashiers quick-add at the till).
pub fn create_customer(store: &mut Store, ctx: &OpCtx, input: &CustomerInput) -> Result<Customer> {
    store.write(|tx| create_customer_in(tx, ctx, input))
}

pub(crate) fn create_customer_in(tx: &Connection, ctx: &OpCtx, input: &CustomerInput) -> Result<Customer> {
    if input.name.trim().is_empty() {
        return Err(Refusal::invalid("needsName", "a customer needs a name").into());
    }
    if input.credit_limit.is_some_and(|l| l < 0) {
        return Err(Refusal::invalid("negativeAmount", "a credit limit must not be negative").into());
    }
    if input.credit_limit.is_some() {
        ctx.actor.require(Role::Manager, "setting a credit limit")?;
    }
    let customer = Customer {
        id: RecordId::Text(ctx.new_id("cust")),
        name: input.name.trim().to_string(),
        phone: input
            .phone
            .as_ref()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty()),
        credit_limit: input.credit_limit,
        archived: false,
        created_at: Some(ctx.timestamp()),
        extra: Extra::new(),
    };
    insert(tx, Table::Customers, &customer)?;
    log(
        tx,
        ctx,
        "customer_create",
        format!("customer {} added", customer.name),
        Params::new().text("customer", &customer.name),
        Extra::new(),
    )?;
    Ok(customer)
}

/// Changes a customer; a credit limit change needs a manager.
pub fn edit_customer(store: &mut Store, ctx: &OpCtx, id: &str, input: &CustomerInput) -> Result<Customer> {
    store.write(|tx| {
        let mut c: Customer = load(tx, Table::Customers, id, "customer")?;
        if c.credit_limit != input.credit_limit {
            ctx.actor.require(Role::Manager, "changing a credit limit")?;
        }
        if input.name.trim().is_empty() {
            return Err(Refusal::invalid("needsName", "a customer needs a name").into());
        }
        c.name = input.name.trim().to_string();
        c.phone = input.phone.clone();
        c.credit_limit = input.credit_limit;
        save(tx, Table::Customers, &c)?;
        log(
            tx,
            ctx,
            "customer_edit",
            format!("customer {} changed", c.name),
            Params::new().text("customer", &c.name),
            Extra::new(),
        )?;
        Ok(c)
    })
}

/// Archives a customer (kept for their invoices and debts).
pub fn archive_customer(store: &mut Store, ctx: &OpCtx, id: &str) -> Result<()> {
    ctx.actor.require(Role::Manager, "archiving customers")?;
    store.write(|tx| {
        let mut c: Customer = load(tx, Table::Customers, id, "customer")?;
        c.archived = true;
        save(tx, Table::Customers, &c)?;
        log(
            tx,
            ctx,
            "customer_archive",
            format!("customer {} archived", c.name),
            Params::new().text("customer", &c.name),
            Extra::new(),
        )
    })
}

/// Finds customers by name or phone (contains, 3+ characters; else the name
/// starts with it, whatever its case). Archived customers are left out.
pub fn search_customers(store: &Store, text: &str, page: Page) -> Result<Vec<Customer>> {
    let text = text.trim();
    let conn = store.conn();
    let mut bodies: Vec<String> = Vec::new();
    if text.chars().count() >= 3 {
        let mut stmt = conn.prepare_cached(
            "SELECT customers.body FROM customers_fts JOIN customers ON customers.seq = customers_fts.rowid
             WHERE customers_fts MATCH ?1 AND customers.archived = 0 ORDER BY rank LIMIT ?2 OFFSET ?3",
        )?;
        for b in stmt.query_map(params![fts_phrase(text), page.limit(), page.offset], |r| r.get(0))? {
            bodies.push(b?);
        }
    } else {
        let mut stmt = conn.prepare_cached(
            "SELECT body FROM customers WHERE name_fold >= lower(?1) AND name_fold < lower(?1) || char(1114111)
             AND archived = 0 ORDER BY name_fold LIMIT ?2 OFFSET ?3",
        )?;
        for b in stmt.query_map(params![text, page.limit(), page.offset], |r| r.get(0))? {
            bodies.push(b?);
        }
    }
    bodies.iter().map(|b| super::parse(b, Table::Customers)).collect()
}

/// A customer by id.
pub fn customer(store: &Store, id: &str) -> Result<Option<Customer>> {
    find(store.conn(), Table::Customers, id)
}
