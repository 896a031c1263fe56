//! The Sale and Return Sale screens.

use serde::{Deserialize, Serialize};
use sonic_core::ops::returns::{self, ReturnInput};
use sonic_core::ops::sale::{self, Quote, SaleInput, SaleReceipt};
use sonic_core::ops::{catalog, security, settings, stores, Page};
use sonic_core::sections::{Currency, Invoice, ReturnSale};
use sonic_core::Store;
use std::collections::BTreeMap;
use tauri::State;

use super::{as_user, id_arg};
use crate::error::UiError;
use crate::AppState;

/// What the receipt prints besides the invoice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceiptExtras {
    shop_name: String,
    receipt_header: String,
    store_name: Option<String>,
    item_names: BTreeMap<String, String>,
    /// The total in the other currency at the invoice's rate.
    other_total: Option<(Currency, i64)>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SoldDto {
    #[serde(flatten)]
    sold: SaleReceipt,
    receipt: ReceiptExtras,
}

/// An invoice with what the Return screen needs beside it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvoiceView {
    invoice: Invoice,
    /// Quantity already returned per item id.
    returned: BTreeMap<String, i64>,
    item_names: BTreeMap<String, String>,
}

fn item_names(store: &Store, invoice: &Invoice) -> sonic_core::Result<BTreeMap<String, String>> {
    let mut names = BTreeMap::new();
    for line in &invoice.lines {
        let id = line.item_id.key();
        if let Some(item) = catalog::item(store, &id)? {
            names.insert(id, item.name);
        }
    }
    Ok(names)
}

/// Prices a cart without writing anything.
#[tauri::command]
pub(crate) async fn quote_sale(state: State<'_, AppState>, input: SaleInput) -> Result<Quote, UiError> {
    as_user(&state, move |store, _| sale::quote(store, &input)).await
}

/// Rings up a sale: one transaction, on disk when this returns.
#[tauri::command]
pub(crate) async fn sell(state: State<'_, AppState>, input: SaleInput) -> Result<SoldDto, UiError> {
    let sold = as_user(&state, move |store, ctx| {
        let sold = sale::sell(store, ctx, &input)?;
        let shop = settings::shop_settings(store)?;
        let store_name = stores::stores(store)?
            .into_iter()
            .find(|s| s.id.key() == ctx.store_id)
            .map(|s| s.name);
        let invoice = &sold.invoice;
        let other_total = invoice.rate.and_then(|rate| {
            sonic_core::money::in_other_currency(invoice.total, invoice.currency, rate, shop.iqd_step)
        });
        let receipt = ReceiptExtras {
            shop_name: shop.shop_name,
            receipt_header: shop.receipt_header,
            store_name,
            item_names: item_names(store, &sold.invoice)?,
            other_total,
        };
        Ok(SoldDto { sold, receipt })
    })
    .await?;
    tracing::info!(
        number = sold.sold.invoice.number,
        total = sold.sold.invoice.total,
        "sale"
    );
    Ok(sold)
}

#[tauri::command]
pub(crate) async fn invoice_by_number(state: State<'_, AppState>, number: u64) -> Result<Option<InvoiceView>, UiError> {
    as_user(&state, move |store, _| {
        let Some(invoice) = sale::invoice_by_number(store, number)? else {
            return Ok(None);
        };
        let returned = returns::returned(store, &invoice.id.key())?;
        let item_names = item_names(store, &invoice)?;
        Ok(Some(InvoiceView {
            invoice,
            returned,
            item_names,
        }))
    })
    .await
}

#[tauri::command]
pub(crate) async fn recent_invoices(state: State<'_, AppState>, page: Page) -> Result<Vec<Invoice>, UiError> {
    as_user(&state, move |store, _| sale::invoices(store, page)).await
}

/// A manager's name and PIN, typed at the till to approve one action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Approval {
    pub name: String,
    pub pin: String,
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
        let approver = match &approval {
            Some(a) => Some(security::approve(
                store,
                &a.name,
                &a.pin,
                chrono::Utc::now(),
                "approving a return",
            )?),
            None => None,
        };
        returns::return_sale(store, ctx, &input, approver.as_ref())
    })
    .await
}
