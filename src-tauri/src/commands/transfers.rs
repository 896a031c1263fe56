//! Money transfers: the Transfer screen.

use sonic_core::ops::transfer::{self, TransferInput, TransferTotals};
use sonic_core::ops::Page;
use sonic_core::sections::Transfer;
use tauri::State;

use super::as_user;
use crate::error::UiError;
use crate::AppState;

#[tauri::command]
pub(crate) async fn record_transfer(state: State<'_, AppState>, input: TransferInput) -> Result<Transfer, UiError> {
    as_user(&state, move |store, ctx| transfer::record_transfer(store, ctx, &input)).await
}

#[tauri::command]
pub(crate) async fn transfers(state: State<'_, AppState>, page: Page) -> Result<Vec<Transfer>, UiError> {
    as_user(&state, move |store, _| transfer::transfers(store, page)).await
}

/// Totals of today (local day of this computer).
#[tauri::command]
pub(crate) async fn transfer_totals(state: State<'_, AppState>) -> Result<TransferTotals, UiError> {
    let (from, to) = super::settings::local_today();
    as_user(&state, move |store, _| transfer::totals(store, from, to)).await
}
