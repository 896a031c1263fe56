//! `sonic_stores`: the shop's store locations.

use super::common::{not_blank, Extra, RecordId, Timestamp};
use super::{FieldProblem, Record};
use serde::{Deserialize, Serialize};

/// A store location (named `StoreLocation` so it is not confused with the
/// SQLite [`crate::Store`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreLocation {
    pub id: RecordId,
    /// Number from `sonic_store_counter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Whether a sale may take stock below zero in this store.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_negative_stock: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Record for StoreLocation {
    fn id(&self) -> Option<&RecordId> {
        Some(&self.id)
    }
    fn number(&self) -> Option<u64> {
        self.number
    }
    fn check(&self) -> Result<(), FieldProblem> {
        not_blank("name", &self.name)
    }
}
