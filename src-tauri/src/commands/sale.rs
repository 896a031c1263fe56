//! The Sale and Return Sale screens.

use serde::{Deserialize, Serialize};
use sonic_core::ops::receipt::{self, PrintedSale};
use sonic_core::ops::returns::{self, ReturnInput};
use sonic_core::ops::sale::{self, Quote, SaleInput};
use sonic_core::ops::{security, Actor, Page};
use sonic_core::sections::{Invoice, ReturnSale};
use sonic_core::Store;
use std::collections::BTreeMap;
use tauri::State;

use super::{as_user, id_arg};
use crate::error::UiError;
use crate::AppState;

/// An invoice with what the Return screen needs beside it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvoiceView {
    invoice: Invoice,
    /// Quantity already returned per item id.
    returned: BTreeMap<String, i64>,
    item_names: BTreeMap<String, String>,
}

/// Installation setting: the cart being rung up on this till, as the Sale
/// screen left it (JSON it alone reads). Kept in the till's database rather
/// than the webview's storage so it survives a restart, belongs to this data
/// directory (not to every shop the webview ever opened) and is never in a
/// backup, like the till's store.
const SALE_DRAFT: &str = "till.sale_draft";
/// A cart of a few hundred lines fits many times over.
const SALE_DRAFT_MAX: usize = 256 * 1024;

/// The cart this till left unfinished, if any.
#[tauri::command]
pub(crate) async fn sale_draft(state: State<'_, AppState>) -> Result<Option<serde_json::Value>, UiError> {
    as_user(&state, move |store, _| {
        // A draft that no longer parses is dropped, not an error at the till.
        Ok(store
            .setting(SALE_DRAFT)?
            .and_then(|text| serde_json::from_str(&text).ok())
            .filter(|v: &serde_json::Value| !v.is_null()))
    })
    .await
}

/// Keeps (or, with `null`, forgets) the cart of this till.
#[tauri::command]
pub(crate) async fn set_sale_draft(state: State<'_, AppState>, draft: serde_json::Value) -> Result<(), UiError> {
    let text = draft.to_string();
    if text.len() > SALE_DRAFT_MAX {
        return Err(UiError::new(
            crate::error::Code::Validation,
            format!("the cart is too large to keep ({} bytes)", text.len()),
        )
        .with("reason", "cartTooLarge"));
    }
    as_user(&state, move |store, _| store.set_setting(SALE_DRAFT, &text)).await
}

/// Prices a cart without writing anything.
#[tauri::command]
pub(crate) async fn quote_sale(state: State<'_, AppState>, input: SaleInput) -> Result<Quote, UiError> {
    as_user(&state, move |store, _| sale::quote(store, &input)).await
}

/// Rings up a sale: one transaction, on disk when this returns. The
/// receipt is read in the sale's transaction and cannot fail it, so an error
/// here always means the sale was not written (see `ops::receipt`).
#[tauri::command]
/// A cashier's discounts above the shop's share need a manager's name and
/// PIN in `approval` (like a large return).
pub(crate) async fn sell(
    state: State<'_, AppState>,
    input: SaleInput,
    approval: Option<Approval>,
) -> Result<PrintedSale, UiError> {
    let printed = as_user(&state, move |store, ctx| {
        let approver = Approval::approver(approval.as_ref(), store, "approving a discount")?;
        receipt::sell_printed(store, ctx, &input, approver.as_ref())
    })
    .await?;
    tracing::info!(
        number = printed.sold.invoice.number,
        total = printed.sold.invoice.total,
        "sale"
    );
    Ok(printed)
}

#[tauri::command]
pub(crate) async fn invoice_by_number(state: State<'_, AppState>, number: u64) -> Result<Option<InvoiceView>, UiError> {
    as_user(&state, move |store, _| {
        let Some(invoice) = sale::invoice_by_number(store, number)? else {
            return Ok(None);
        };
        let returned = returns::returned(store, &invoice.id.key())?;
        let item_names = receipt::item_names(store, &invoice)?;
        Ok(Some(InvoiceView {
            invoice,
            returned,
            item_names,
        }))
    })
    .await
}

/// An invoice in a list, with its customer's name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvoiceRow {
    #[serde(flatten)]
    invoice: Invoice,
    customer_name: Option<String>,
}

/// Invoices, newest first, a page at a time; with `find`, those of a
/// customer, with an item, or within a time range (the Return Sale screen).
#[tauri::command]
pub(crate) async fn recent_invoices(
    state: State<'_, AppState>,
    page: Page,
    find: Option<sale::InvoiceFind>,
) -> Result<Vec<InvoiceRow>, UiError> {
    as_user(&state, move |store, _| {
        let list = match &find {
            Some(find) => sale::find_invoices(store, find, chrono::Utc::now().timestamp_millis(), page)?,
            None => sale::invoices(store, page)?,
        };
        list.into_iter()
            .map(|invoice| {
                let customer_name = match &invoice.customer_id {
                    Some(id) => sonic_core::ops::catalog::customer(store, &id.key())?.map(|c| c.name),
                    None => None,
                };
                Ok(InvoiceRow { invoice, customer_name })
            })
            .collect()
    })
    .await
}

/// A manager's name and PIN, typed at the till to approve one action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Approval {
    pub name: String,
    pub pin: String,
}

impl Approval {
    /// The manager (or owner) these name and PIN belong to, approving `action`.
    pub(crate) fn approver_for(&self, store: &mut Store, action: &'static str) -> sonic_core::Result<Actor> {
        security::approve(store, &self.name, &self.pin, chrono::Utc::now(), action)
    }

    /// The manager who approves `action`, when the till sent an approval.
    fn approver(
        approval: Option<&Approval>,
        store: &mut Store,
        action: &'static str,
    ) -> sonic_core::Result<Option<Actor>> {
        approval
            .map(|a| security::approve(store, &a.name, &a.pin, chrono::Utc::now(), action))
            .transpose()
    }
}

/// Takes items back; above the shop's threshold a manager approves with their PIN.
#[tauri::command]
pub(crate) async fn return_sale(
    state: State<'_, AppState>,
    input: ReturnInput,
    approval: Option<Approval>,
) -> Result<ReturnSale, UiError> {
    id_arg("the invoice", &input.invoice_id)?;
    as_user(&state, move |store, ctx| {
        let approver = Approval::approver(approval.as_ref(), store, "approving a return")?;
        returns::return_sale(store, ctx, &input, approver.as_ref())
    })
    .await
}
