//! The logs: `sonic_activity_data` (who did what), `sonic_items_data` (what
//! happened to each item) and `sonic_inventory_data` (stock levels and
//! movements). Log records may come without an id from the old POS.

use super::common::{non_negative, Extra, RecordId, Timestamp};
use super::{FieldProblem, Record};
use serde::{Deserialize, Serialize};

/// One line of the activity log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RecordId>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// What happened as named parameters of `action` (amounts as
    /// `{"minor": 33700, "currency": "USD"}`, names rather than ids), for the
    /// UI to word in the user's language. `details` keeps an English text
    /// for readers that predate this field; old entries have no `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Extra>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for ActivityEntry {
    fn id(&self) -> Option<&RecordId> {
        self.id.as_ref()
    }
    fn check(&self) -> Result<(), FieldProblem> {
        Ok(())
    }
}

/// Something that happened to one item: sold, returned, restocked, adjusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemActivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RecordId>,
    pub item_id: RecordId,
    /// `sold`, `returned`, `restocked`, `adjusted`, …
    pub kind: String,
    /// Signed change in quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<i64>,
    /// The invoice, return or movement this came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for ItemActivity {
    fn id(&self) -> Option<&RecordId> {
        self.id.as_ref()
    }
    fn check(&self) -> Result<(), FieldProblem> {
        Ok(())
    }
}

/// A stock record: a movement (`delta`, signed) or, from the old POS, a level
/// (`quantity`, never negative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RecordId>,
    pub item_id: RecordId,
    pub store_id: RecordId,
    /// Signed change of stock (a movement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<i64>,
    /// Stock level (a level record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// `receive`, `sale`, `return`, `adjust`, `transfer_in`, `transfer_out`, `count`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unit cost of received stock, in IQD dinars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for InventoryRecord {
    fn id(&self) -> Option<&RecordId> {
        self.id.as_ref()
    }
    fn check(&self) -> Result<(), FieldProblem> {
        match (self.delta, self.quantity) {
            (None, None) => {
                return Err(FieldProblem::new(
                    "delta",
                    "is missing (a stock record needs `delta` or `quantity`)",
                ))
            }
            (Some(0), _) => return Err(FieldProblem::new("delta", "must not be zero")),
            _ => {}
        }
        non_negative("quantity", self.quantity)?;
        non_negative("unitCost", self.unit_cost)
    }
}
