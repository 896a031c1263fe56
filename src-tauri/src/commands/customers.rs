//! Customers and what they owe: the Customers and Debts screens, and the
//! Sale screen's customer pick.

use serde::Serialize;
use sonic_core::ops::catalog::{self, CustomerInput};
use sonic_core::ops::{debt, sale, Page};
use sonic_core::sections::{Currency, Customer, Debt, Invoice};
use sonic_core::Store;
use tauri::State;

use super::sale::Approval;
use super::{as_user, as_user_or_approver, id_arg};
use crate::error::UiError;
use crate::AppState;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CustomerRow {
    customer: Customer,
    balance: debt::Balance,
}

/// A debt with what is left to pay on it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DebtRow {
    debt: Debt,
    customer_name: Option<String>,
    remaining: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CustomerDetail {
    customer: Customer,
    balance: debt::Balance,
    debts: Vec<DebtRow>,
    invoices: Vec<Invoice>,
}

fn debt_row(debt: Debt, customer_name: Option<String>) -> DebtRow {
    DebtRow {
        remaining: debt::remaining(&debt),
        debt,
        customer_name,
    }
}

/// A debt row with its customer's name looked up.
fn named(store: &Store, debt: Debt) -> sonic_core::Result<DebtRow> {
    let name = catalog::customer(store, &debt.customer_id.key())?.map(|c| c.name);
    Ok(debt_row(debt, name))
}

#[tauri::command]
pub(crate) async fn search_customers(
    state: State<'_, AppState>,
    text: String,
    page: Page,
) -> Result<Vec<CustomerRow>, UiError> {
    as_user(&state, move |store, _| {
        catalog::search_customers(store, &text, page)?
            .into_iter()
            .map(|customer| {
                let balance = debt::balance(store, &customer.id.key())?;
                Ok(CustomerRow { customer, balance })
            })
            .collect()
    })
    .await
}

/// A customer with balance, debts and their newest 50 invoices.
#[tauri::command]
pub(crate) async fn customer_detail(state: State<'_, AppState>, id: String) -> Result<CustomerDetail, UiError> {
    id_arg("the customer", &id)?;
    as_user(&state, move |store, _| {
        let customer = catalog::customer(store, &id)?.ok_or(sonic_core::Error::NotFound {
            what: "customer",
            id: id.clone(),
        })?;
        let debts = debt::customer_debts(store, &id)?
            .into_iter()
            .map(|d| debt_row(d, Some(customer.name.clone())))
            .collect();
        Ok(CustomerDetail {
            balance: debt::balance(store, &id)?,
            invoices: sale::invoices_of_customer(store, &id, Page::FIRST)?,
            debts,
            customer,
        })
    })
    .await
}

#[tauri::command]
pub(crate) async fn create_customer(
    state: State<'_, AppState>,
    input: CustomerInput,
    approval: Option<Approval>,
) -> Result<Customer, UiError> {
    as_user_or_approver(&state, approval, "approving a credit limit", move |store, ctx| {
        catalog::create_customer(store, ctx, &input)
    })
    .await
}

#[tauri::command]
pub(crate) async fn edit_customer(
    state: State<'_, AppState>,
    id: String,
    input: CustomerInput,
    approval: Option<Approval>,
) -> Result<Customer, UiError> {
    id_arg("the customer", &id)?;
    as_user_or_approver(&state, approval, "approving a credit limit", move |store, ctx| {
        catalog::edit_customer(store, ctx, &id, &input)
    })
    .await
}

#[tauri::command]
pub(crate) async fn archive_customer(
    state: State<'_, AppState>,
    id: String,
    approval: Option<Approval>,
) -> Result<(), UiError> {
    id_arg("the customer", &id)?;
    as_user_or_approver(&state, approval, "approving archiving a customer", move |store, ctx| {
        catalog::archive_customer(store, ctx, &id)
    })
    .await
}

/// Debts with something left to pay, newest first.
#[tauri::command]
pub(crate) async fn open_debts(state: State<'_, AppState>, page: Page) -> Result<Vec<DebtRow>, UiError> {
    as_user(&state, move |store, _| {
        debt::open_debts(store, page)?
            .into_iter()
            .map(|d| named(store, d))
            .collect()
    })
    .await
}

/// A payment against a debt, in either currency.
#[tauri::command]
pub(crate) async fn pay_debt(
    state: State<'_, AppState>,
    debt_id: String,
    currency: Currency,
    amount: i64,
) -> Result<DebtRow, UiError> {
    id_arg("the debt", &debt_id)?;
    as_user(&state, move |store, ctx| {
        let d = debt::pay(store, ctx, &debt_id, currency, amount)?;
        named(store, d)
    })
    .await
}

/// Records the payment of everything left on a debt, in its own currency, which closes it
/// (core `debt::settle`: a manager; a cashier's settle carries a manager's
/// name and PIN in `approval`).
#[tauri::command]
pub(crate) async fn settle_debt(
    state: State<'_, AppState>,
    debt_id: String,
    approval: Option<Approval>,
) -> Result<DebtRow, UiError> {
    id_arg("the debt", &debt_id)?;
    as_user_or_approver(&state, approval, "approving settling a debt", move |store, ctx| {
        let d = debt::settle(store, ctx, &debt_id)?;
        named(store, d)
    })
    .await
}
