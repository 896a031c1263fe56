//! `sonic_services` (repair tickets) and `sonic_debts` (what customers owe).

use super::common::{each, non_negative, not_blank, positive, Currency, Extra, Rate, RecordId, Timestamp};
use super::{FieldProblem, Record};
use serde::{Deserialize, Serialize};

/// Where a repair stands. The flow is received → diagnosing → waiting for
/// parts → ready → delivered, or cancelled from any open state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Received,
    Diagnosing,
    WaitingForParts,
    Ready,
    Delivered,
    Cancelled,
}

/// A repair ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTicket {
    pub id: RecordId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<RecordId>,
    pub device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    pub status: ServiceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ServiceStatusChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<ServicePart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One step of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatusChange {
    pub status: ServiceStatus,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A part taken from stock for a repair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePart {
    pub item_id: RecordId,
    pub qty: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<i64>,
    /// The store the part was taken from (where a cancellation puts it
    /// back). Parts recorded before this field existed have none: their
    /// store is that of their stock movement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for ServiceTicket {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        not_blank("device", &self.device)?;
        non_negative("estimate", self.estimate)?;
        non_negative("deposit", self.deposit)?;
        each("parts", &self.parts, |part| {
            positive("qty", part.qty)?;
            non_negative("unitPrice", part.unit_price)
        })
    }
}

/// A debt a customer owes the shop, and what was paid against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Debt {
    pub id: RecordId,
    pub customer_id: RecordId,
    pub currency: Currency,
    /// Amount owed at the start, in minor units of `currency`.
    pub amount: i64,
    /// Where it came from: `sale`, `service` or `manual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Id of the invoice or ticket it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<DebtPayment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A payment against a debt, possibly in the other currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebtPayment {
    /// Amount in minor units of `currency` (the debt's if absent).
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Rate used when paid in the other currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// The amount credited to the debt, in the debt's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credited: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Debt {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        non_negative("amount", Some(self.amount))?;
        each("payments", &self.payments, |p| {
            positive("amount", p.amount)?;
            non_negative("credited", p.credited)
        })
    }
}
