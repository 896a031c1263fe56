//! Store locations, numbered from `sonic_store_counter`.

use super::{insert, load, log, next_number, save, OpCtx, Params};
use crate::error::{Refusal, Result};
use crate::sections::{Extra, RecordId, Role, SectionKey, StoreLocation, Table};
use crate::store::{self, Store};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// What the owner fills in for a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreInput {
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub allow_negative_stock: bool,
}

/// Adds a store (owner).
pub fn create_store(store: &mut Store, ctx: &OpCtx, input: &StoreInput) -> Result<StoreLocation> {
    ctx.actor.require(Role::Owner, "adding stores")?;
    store.write(|tx| create_store_in(tx, ctx, input))
}

pub(crate) fn create_store_in(tx: &Connection, ctx: &OpCtx, input: &StoreInput) -> Result<StoreLocation> {
    if input.name.trim().is_empty() {
        return Err(Refusal::invalid("needsName", "a store needs a name").into());
    }
    let number = next_number(tx, SectionKey::StoreCounter)?;
    let s = StoreLocation {
        id: RecordId::Text(format!("store-{number}")),
        number: Some(number),
        name: input.name.trim().to_string(),
        address: input.address.clone(),
        phone: input.phone.clone(),
        allow_negative_stock: input.allow_negative_stock,
        archived: false,
        created_at: Some(ctx.timestamp()),
        extra: Extra::new(),
    };
    insert(tx, Table::Stores, &s)?;
    log(
        tx,
        ctx,
        "store_create",
        format!("store #{number} {} added", s.name),
        Params::new().number("number", number).text("store", &s.name),
        Extra::new(),
    )?;
    Ok(s)
}

/// Changes a store (owner).
pub fn edit_store(store: &mut Store, ctx: &OpCtx, id: &str, input: &StoreInput) -> Result<StoreLocation> {
    ctx.actor.require(Role::Owner, "editing stores")?;
    store.write(|tx| {
        let mut s: StoreLocation = load(tx, Table::Stores, id, "store")?;
        if input.name.trim().is_empty() {
            return Err(Refusal::invalid("needsName", "a store needs a name").into());
        }
        s.name = input.name.trim().to_string();
        s.address = input.address.clone();
        s.phone = input.phone.clone();
        s.allow_negative_stock = input.allow_negative_stock;
        save(tx, Table::Stores, &s)?;
        log(
            tx,
            ctx,
            "store_edit",
            format!("store {} changed", s.name),
            Params::new().text("store", &s.name),
            Extra::new(),
        )?;
        Ok(s)
    })
}

/// All stores, in number order.
pub fn stores(store: &Store) -> Result<Vec<StoreLocation>> {
    let mut out = Vec::new();
    store::for_each_record(store.conn(), Table::Stores, |_, body| {
        out.push(super::parse(body, Table::Stores)?);
        Ok(())
    })?;
    Ok(out)
}
