//! Repair tickets: the Services screen.

use sonic_core::ops::service::{self, Delivery, TicketInput};
use sonic_core::ops::Page;
use sonic_core::sections::{ServiceStatus, ServiceTicket};
use tauri::State;

use super::{as_user, id_arg};
use crate::error::UiError;
use crate::AppState;

#[tauri::command]
pub(crate) async fn open_ticket(state: State<'_, AppState>, input: TicketInput) -> Result<ServiceTicket, UiError> {
    as_user(&state, move |store, ctx| service::open_ticket(store, ctx, &input)).await
}

/// Tickets in one status, newest first.
#[tauri::command]
pub(crate) async fn tickets(
    state: State<'_, AppState>,
    status: ServiceStatus,
    page: Page,
) -> Result<Vec<ServiceTicket>, UiError> {
    as_user(&state, move |store, _| service::tickets(store, status, page)).await
}

#[tauri::command]
pub(crate) async fn advance_ticket(
    state: State<'_, AppState>,
    id: String,
    to: ServiceStatus,
) -> Result<ServiceTicket, UiError> {
    id_arg("the ticket", &id)?;
    as_user(&state, move |store, ctx| service::advance(store, ctx, &id, to)).await
}

/// Takes a part from the till's stock for a repair.
#[tauri::command]
pub(crate) async fn use_part(
    state: State<'_, AppState>,
    ticket_id: String,
    item_id: String,
    qty: i64,
) -> Result<ServiceTicket, UiError> {
    id_arg("the ticket", &ticket_id)?;
    id_arg("the part", &item_id)?;
    as_user(&state, move |store, ctx| {
        service::use_part(store, ctx, &ticket_id, &item_id, qty)
    })
    .await
}

/// Hands the device back; what is not paid becomes a debt.
#[tauri::command]
pub(crate) async fn deliver_ticket(
    state: State<'_, AppState>,
    id: String,
    charge: Option<i64>,
    paid: i64,
) -> Result<Delivery, UiError> {
    id_arg("the ticket", &id)?;
    as_user(&state, move |store, ctx| {
        service::deliver(store, ctx, &id, charge, paid)
    })
    .await
}
