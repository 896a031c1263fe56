//! Items, stock and stores: the Items, Inventory and Stores screens, and the
//! Sale screen's item search and scanner.

use serde::Serialize;
use sonic_core::ops::catalog::{self, ItemInput};
use sonic_core::ops::stores::{self, StoreInput};
use sonic_core::ops::{stock, Page};
use sonic_core::sections::{Item, StoreLocation};
use sonic_core::Store;
use tauri::{AppHandle, State};

use super::sale::Approval;
use super::{as_user, as_user_or_approver, id_arg, session};
use crate::error::UiError;
use crate::AppState;

/// An item with its stock in the till's store.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ItemRow {
    item: Item,
    stock: i64,
}

/// Stock of an item in one store.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Level {
    store_id: String,
    store_name: String,
    qty: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ItemDetail {
    item: Item,
    levels: Vec<Level>,
}

fn with_stock(store: &Store, till: &str, items: Vec<Item>) -> sonic_core::Result<Vec<ItemRow>> {
    items
        .into_iter()
        .map(|item| {
            let stock = stock::level(store, &item.id.key(), till)?;
            Ok(ItemRow { item, stock })
        })
        .collect()
}

/// Items matching `text` (exact barcode first, then name or barcode), a page at a time.
#[tauri::command]
pub(crate) async fn search_items(
    state: State<'_, AppState>,
    text: String,
    page: Page,
) -> Result<Vec<ItemRow>, UiError> {
    as_user(&state, move |store, ctx| {
        let found = catalog::search_items(store, &text, page)?;
        with_stock(store, &ctx.store_id, found)
    })
    .await
}

/// The item whose barcode is exactly `barcode` (what a scanner typed), if any.
#[tauri::command]
pub(crate) async fn item_by_barcode(state: State<'_, AppState>, barcode: String) -> Result<Option<ItemRow>, UiError> {
    let code = barcode.trim().to_string();
    if code.is_empty() {
        return Ok(None);
    }
    as_user(&state, move |store, ctx| {
        let found = catalog::search_items(store, &code, Page { offset: 0, limit: 1 })?
            .into_iter()
            .find(|i| i.barcode.as_deref() == Some(code.as_str()));
        Ok(with_stock(store, &ctx.store_id, found.into_iter().collect())?.pop())
    })
    .await
}

/// An item and its stock in every store.
#[tauri::command]
pub(crate) async fn item_detail(state: State<'_, AppState>, id: String) -> Result<ItemDetail, UiError> {
    id_arg("the item", &id)?;
    as_user(&state, move |store, _| {
        let item = catalog::item(store, &id)?.ok_or(sonic_core::Error::NotFound {
            what: "item",
            id: id.clone(),
        })?;
        let names = stores::stores(store)?;
        let by_store = stock::levels(store, &id)?;
        let levels = names
            .iter()
            .filter(|s| !s.archived)
            .map(|s| Level {
                store_id: s.id.key(),
                store_name: s.name.clone(),
                qty: by_store
                    .iter()
                    .find(|(sid, _)| *sid == s.id.key())
                    .map_or(0, |(_, q)| *q),
            })
            .collect();
        Ok(ItemDetail { item, levels })
    })
    .await
}

#[tauri::command]
pub(crate) async fn create_item(
    state: State<'_, AppState>,
    input: ItemInput,
    approval: Option<Approval>,
) -> Result<Item, UiError> {
    as_user_or_approver(&state, approval, "approving adding an item", move |store, ctx| {
        catalog::create_item(store, ctx, &input)
    })
    .await
}

#[tauri::command]
pub(crate) async fn edit_item(
    state: State<'_, AppState>,
    id: String,
    input: ItemInput,
    approval: Option<Approval>,
) -> Result<Item, UiError> {
    id_arg("the item", &id)?;
    as_user_or_approver(&state, approval, "approving editing an item", move |store, ctx| {
        catalog::edit_item(store, ctx, &id, &input)
    })
    .await
}

#[tauri::command]
pub(crate) async fn archive_item(
    state: State<'_, AppState>,
    id: String,
    approval: Option<Approval>,
) -> Result<(), UiError> {
    id_arg("the item", &id)?;
    as_user_or_approver(&state, approval, "approving archiving an item", move |store, ctx| {
        catalog::archive_item(store, ctx, &id)
    })
    .await
}

/// Goods in to the till's store at `unit_cost` (minor units of the item's currency).
#[tauri::command]
pub(crate) async fn receive_stock(
    state: State<'_, AppState>,
    item_id: String,
    qty: i64,
    unit_cost: i64,
) -> Result<i64, UiError> {
    id_arg("the item", &item_id)?;
    as_user(&state, move |store, ctx| {
        stock::receive(store, ctx, &item_id, qty, unit_cost)?;
        stock::level(store, &item_id, &ctx.store_id)
    })
    .await
}

/// A correction (+ or −) in the till's store, with a reason.
#[tauri::command]
pub(crate) async fn adjust_stock(
    state: State<'_, AppState>,
    item_id: String,
    delta: i64,
    reason: String,
) -> Result<i64, UiError> {
    id_arg("the item", &item_id)?;
    as_user(&state, move |store, ctx| {
        stock::adjust(store, ctx, &item_id, delta, &reason)?;
        stock::level(store, &item_id, &ctx.store_id)
    })
    .await
}

/// Moves stock from one store to another.
#[tauri::command]
pub(crate) async fn transfer_stock(
    state: State<'_, AppState>,
    item_id: String,
    from_store: String,
    to_store: String,
    qty: i64,
) -> Result<(), UiError> {
    id_arg("the item", &item_id)?;
    id_arg("the store to move from", &from_store)?;
    id_arg("the store to move to", &to_store)?;
    as_user(&state, move |store, ctx| {
        stock::transfer(store, ctx, &item_id, &from_store, &to_store, qty)
    })
    .await
}

/// Books a count in the till's store; returns the difference booked.
#[tauri::command]
pub(crate) async fn count_stock(state: State<'_, AppState>, item_id: String, counted: i64) -> Result<i64, UiError> {
    id_arg("the item", &item_id)?;
    as_user(&state, move |store, ctx| stock::count(store, ctx, &item_id, counted)).await
}

#[tauri::command]
pub(crate) async fn stores(state: State<'_, AppState>) -> Result<Vec<StoreLocation>, UiError> {
    as_user(&state, |store, _| stores::stores(store)).await
}

#[tauri::command]
pub(crate) async fn create_store(
    app: AppHandle,
    state: State<'_, AppState>,
    input: StoreInput,
) -> Result<StoreLocation, UiError> {
    let made = as_user(&state, move |store, ctx| stores::create_store(store, ctx, &input)).await?;
    session::announce(&app, &state).await;
    Ok(made)
}

#[tauri::command]
pub(crate) async fn edit_store(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    input: StoreInput,
) -> Result<StoreLocation, UiError> {
    id_arg("the store", &id)?;
    let edited = as_user(&state, move |store, ctx| stores::edit_store(store, ctx, &id, &input)).await?;
    session::announce(&app, &state).await;
    Ok(edited)
}
