//! `sonic_shop_data`: the items the shop sells, its customers and its cash
//! transactions.

use super::common::{non_negative, not_blank, Currency, Extra, RecordId, Timestamp};
use super::{FieldProblem, Record};
use serde::{Deserialize, Serialize};

/// Something the shop sells (a phone, a cable, a repair part).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: RecordId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Currency of `price` and `cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Selling price in minor units of `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// Purchase cost in minor units of `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Item {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        not_blank("name", &self.name)?;
        non_negative("price", self.price)?;
        non_negative("cost", self.cost)?;
        if let Some(code) = &self.barcode {
            if code.chars().any(char::is_control) {
                return Err(FieldProblem::new("barcode", "must not contain control characters"));
            }
        }
        Ok(())
    }
}

/// A customer of the shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: RecordId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Most the customer may owe, in IQD dinars; none means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for Customer {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        not_blank("name", &self.name)?;
        non_negative("creditLimit", self.credit_limit)
    }
}

/// Cash in or out of the drawer that is not a sale (expenses, owner draws).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopTransaction {
    pub id: RecordId,
    /// What kind of transaction (`expense`, `deposit`, …).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub currency: Currency,
    /// Signed amount in minor units: positive into the drawer, negative out.
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for ShopTransaction {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn check(&self) -> Result<(), FieldProblem> {
        Ok(())
    }
}
