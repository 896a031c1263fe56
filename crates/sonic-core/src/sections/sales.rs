//! `sonic_invoices`, `sonic_returns` and `sonic_transfers`: the money that
//! moves over the counter. Every one of them stores the rate it used.

use super::common::{each, non_negative, not_blank, positive, Currency, Extra, Rate, RecordId, Timestamp};
use super::{FieldProblem, Record};
use serde::{Deserialize, Serialize};

/// A sale invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    pub id: RecordId,
    /// Number from `sonic_invoice_counter`: unique, never reused.
    pub number: u64,
    /// Currency of the invoice totals.
    pub currency: Currency,
    /// IQD per 1 USD (`sonic_iqd_per_usd`) at the time of the sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    pub lines: Vec<InvoiceLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<i64>,
    /// Invoice-level discount in minor units of `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<i64>,
    pub total: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<i64>,
    /// Change given, in minor units of `changeCurrency` (the invoice's if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_currency: Option<Currency>,
    /// Cash handed over, per currency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<Tender>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cashier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Cash handed over in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tender {
    pub currency: Currency,
    /// Minor units of `currency`.
    pub amount: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    pub item_id: RecordId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub qty: i64,
    /// Currency the item is priced in (may differ from the invoice's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Unit price in minor units of the line's currency.
    pub unit_price: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<i64>,
    /// Line total in minor units of the invoice's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// The item's unit cost at the time of sale, minor units of the line's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Invoice {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn number(&self) -> Option<u64> {
        Some(self.number)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        if self.number == 0 {
            return Err(FieldProblem::new("number", "must be 1 or more"));
        }
        if self.lines.is_empty() {
            return Err(FieldProblem::new("lines", "must hold at least one line"));
        }
        each("lines", &self.lines, |line| {
            positive("qty", line.qty)?;
            non_negative("unitPrice", Some(line.unit_price))?;
            non_negative("discount", line.discount)
        })?;
        non_negative("subtotal", self.subtotal)?;
        non_negative("discount", self.discount)?;
        non_negative("total", Some(self.total))?;
        non_negative("paid", self.paid)?;
        non_negative("change", self.change)?;
        each("payments", &self.payments, |t| non_negative("amount", Some(t.amount)))
    }
}

/// A return against an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnSale {
    pub id: RecordId,
    /// Number from `sonic_return_counter`.
    pub number: u64,
    pub invoice_id: RecordId,
    pub currency: Currency,
    /// The rate stored on the original invoice, used for the refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    pub lines: Vec<ReturnLine>,
    /// Refund in minor units of `currency`.
    pub refund: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cashier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One returned line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnLine {
    pub item_id: RecordId,
    pub qty: i64,
    /// Refund for this line in minor units of the return's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for ReturnSale {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn number(&self) -> Option<u64> {
        Some(self.number)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        if self.number == 0 {
            return Err(FieldProblem::new("number", "must be 1 or more"));
        }
        if self.lines.is_empty() {
            return Err(FieldProblem::new("lines", "must hold at least one line"));
        }
        each("lines", &self.lines, |line| {
            positive("qty", line.qty)?;
            non_negative("amount", line.amount)
        })?;
        non_negative("refund", Some(self.refund))
    }
}

/// Which way a money transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferDirection {
    Send,
    Receive,
}

/// A money transfer sent or received for a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub id: RecordId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    pub direction: TransferDirection,
    pub currency: Currency,
    /// Amount in minor units of `currency`.
    pub amount: i64,
    /// Fee in minor units of `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<i64>,
    /// `sonic_iqd_rate` at the time of the transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    pub party: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cashier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Transfer {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        positive("amount", self.amount)?;
        non_negative("fee", self.fee)?;
        not_blank("party", &self.party)
    }
}
