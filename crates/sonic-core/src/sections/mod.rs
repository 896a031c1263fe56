//! The 16 data sections of Sonic POS: their stable keys, their kinds and the
//! typed records that make them up.
//!
//! The keys are the old POS's localStorage keys. They are the names of the
//! export format, of the PostgreSQL backup and of the restore, and they never
//! change. [`SectionKey::ALL`] is the table order of DESIGN.md and the order in
//! which an export file lists them.
//!
//! Records are validated through typed structs (one module per section family)
//! but *stored* as the canonical JSON of the object that was validated, so a
//! field this code does not know, or an explicit `null`, survives an import
//! followed by an export.

mod activity;
mod common;
mod sales;
mod security;
mod service;
mod shop;
mod store;

pub use activity::{ActivityEntry, InventoryRecord, ItemActivity};
pub use common::{kind_of as kind_of_value, Currency, Extra, Rate, RecordId, Timestamp};
pub use sales::{Invoice, InvoiceLine, ReturnLine, ReturnSale, Tender, Transfer, TransferDirection};
pub use security::{Role, User};
pub use service::{Debt, DebtPayment, ServicePart, ServiceStatus, ServiceStatusChange, ServiceTicket};
pub use shop::{Customer, Item, ShopTransaction};
pub use store::StoreLocation;

use serde_json::Value;
use std::fmt;

/// One of the 16 sections, by its stable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKey {
    ShopData,
    Invoices,
    InvoiceCounter,
    Returns,
    ReturnCounter,
    Transfers,
    IqdRate,
    IqdPerUsd,
    ActivityData,
    ItemsData,
    InventoryData,
    Services,
    Debts,
    Stores,
    StoreCounter,
    SecurityState,
}

/// What shape a section's value has in the export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// A JSON array of records, stored row by row in one table.
    Collection(Table),
    /// A JSON object whose named members are collections; any other member is
    /// kept verbatim.
    Object(&'static [(&'static str, Table)]),
    /// A non-negative integer (last number issued).
    Counter,
    /// A positive decimal exchange rate.
    Rate,
}

/// The SQLite tables that hold records, one per record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Items,
    Customers,
    ShopTransactions,
    Invoices,
    Returns,
    Transfers,
    Activity,
    ItemActivity,
    Inventory,
    Services,
    Debts,
    Stores,
    Users,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Table; 13] = [
        Table::Items,
        Table::Customers,
        Table::ShopTransactions,
        Table::Invoices,
        Table::Returns,
        Table::Transfers,
        Table::Activity,
        Table::ItemActivity,
        Table::Inventory,
        Table::Services,
        Table::Debts,
        Table::Stores,
        Table::Users,
    ];

    /// The SQL table name.
    pub fn sql_name(self) -> &'static str {
        match self {
            Table::Items => "items",
            Table::Customers => "customers",
            Table::ShopTransactions => "shop_transactions",
            Table::Invoices => "invoices",
            Table::Returns => "returns",
            Table::Transfers => "transfers",
            Table::Activity => "activity",
            Table::ItemActivity => "item_activity",
            Table::Inventory => "inventory",
            Table::Services => "services",
            Table::Debts => "debts",
            Table::Stores => "stores",
            Table::Users => "users",
        }
    }

    /// Whether every record of this table must carry an `id`. Log-like tables
    /// (activity, per-item activity, stock movements) accept records without
    /// one, as the old POS wrote them.
    pub fn requires_id(self) -> bool {
        !matches!(self, Table::Activity | Table::ItemActivity | Table::Inventory)
    }

    /// Validates one record of this table, returning its id and number.
    pub fn validate(self, record: &Value) -> Result<Validated, FieldProblem> {
        fn check<T: Record>(record: &Value) -> Result<Validated, FieldProblem> {
            let typed: T = common::from_value(record)?;
            typed.check()?;
            Ok(Validated {
                id: typed.id().cloned(),
                number: typed.number(),
            })
        }
        let validated = match self {
            Table::Items => check::<Item>(record),
            Table::Customers => check::<Customer>(record),
            Table::ShopTransactions => check::<ShopTransaction>(record),
            Table::Invoices => check::<Invoice>(record),
            Table::Returns => check::<ReturnSale>(record),
            Table::Transfers => check::<Transfer>(record),
            Table::Activity => check::<ActivityEntry>(record),
            Table::ItemActivity => check::<ItemActivity>(record),
            Table::Inventory => check::<InventoryRecord>(record),
            Table::Services => check::<ServiceTicket>(record),
            Table::Debts => check::<Debt>(record),
            Table::Stores => check::<StoreLocation>(record),
            Table::Users => check::<User>(record),
        }?;
        if validated.id.is_none() && self.requires_id() {
            return Err(FieldProblem::new(
                "id",
                "is missing; every record of this kind needs an id",
            ));
        }
        Ok(validated)
    }
}

/// What validation learns of a record that cross-record checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub id: Option<RecordId>,
    /// The invoice, return or store number, where the record has one.
    pub number: Option<u64>,
}

/// A problem with one field of one record: the field's path inside the record
/// (`lines[2].qty`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The same problem, one level deeper (`lines[2]` + `qty`).
    pub(crate) fn inside(self, parent: &str) -> Self {
        let field = if self.field.is_empty() {
            parent.to_string()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        FieldProblem {
            field,
            problem: self.problem,
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}` {}", self.field, self.problem)
    }
}

/// A typed record of one table.
pub trait Record: serde::de::DeserializeOwned + serde::Serialize {
    /// The record's id, if it has one.
    fn id(&self) -> Option<&RecordId>;
    /// Business-rule checks beyond what the types already guarantee.
    fn check(&self) -> Result<(), FieldProblem>;
    /// The number issued from the section's counter, if any.
    fn number(&self) -> Option<u64> {
        None
    }
}

impl SectionKey {
    /// The 16 sections in the order of DESIGN.md's table, which is also the
    /// order of an export file.
    pub const ALL: [SectionKey; 16] = [
        SectionKey::ShopData,
        SectionKey::Invoices,
        SectionKey::InvoiceCounter,
        SectionKey::Returns,
        SectionKey::ReturnCounter,
        SectionKey::Transfers,
        SectionKey::IqdRate,
        SectionKey::IqdPerUsd,
        SectionKey::ActivityData,
        SectionKey::ItemsData,
        SectionKey::InventoryData,
        SectionKey::Services,
        SectionKey::Debts,
        SectionKey::Stores,
        SectionKey::StoreCounter,
        SectionKey::SecurityState,
    ];

    /// The stable key, e.g. `sonic_invoices`.
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKey::ShopData => "sonic_shop_data",
            SectionKey::Invoices => "sonic_invoices",
            SectionKey::InvoiceCounter => "sonic_invoice_counter",
            SectionKey::Returns => "sonic_returns",
            SectionKey::ReturnCounter => "sonic_return_counter",
            SectionKey::Transfers => "sonic_transfers",
            SectionKey::IqdRate => "sonic_iqd_rate",
            SectionKey::IqdPerUsd => "sonic_iqd_per_usd",
            SectionKey::ActivityData => "sonic_activity_data",
            SectionKey::ItemsData => "sonic_items_data",
            SectionKey::InventoryData => "sonic_inventory_data",
            SectionKey::Services => "sonic_services",
            SectionKey::Debts => "sonic_debts",
            SectionKey::Stores => "sonic_stores",
            SectionKey::StoreCounter => "sonic_store_counter",
            SectionKey::SecurityState => "sonic_security_state",
        }
    }

    /// Looks a key up by its stable name.
    pub fn from_key(key: &str) -> Option<SectionKey> {
        SectionKey::ALL.into_iter().find(|k| k.as_str() == key)
    }

    /// The section's shape.
    pub fn kind(self) -> SectionKind {
        match self {
            SectionKey::ShopData => SectionKind::Object(&[
                ("items", Table::Items),
                ("customers", Table::Customers),
                ("transactions", Table::ShopTransactions),
            ]),
            SectionKey::Invoices => SectionKind::Collection(Table::Invoices),
            SectionKey::Returns => SectionKind::Collection(Table::Returns),
            SectionKey::Transfers => SectionKind::Collection(Table::Transfers),
            SectionKey::ActivityData => SectionKind::Collection(Table::Activity),
            SectionKey::ItemsData => SectionKind::Collection(Table::ItemActivity),
            SectionKey::InventoryData => SectionKind::Collection(Table::Inventory),
            SectionKey::Services => SectionKind::Collection(Table::Services),
            SectionKey::Debts => SectionKind::Collection(Table::Debts),
            SectionKey::Stores => SectionKind::Collection(Table::Stores),
            SectionKey::SecurityState => SectionKind::Object(&[("users", Table::Users)]),
            SectionKey::InvoiceCounter | SectionKey::ReturnCounter | SectionKey::StoreCounter => SectionKind::Counter,
            SectionKey::IqdRate | SectionKey::IqdPerUsd => SectionKind::Rate,
        }
    }

    /// The value a section has in a brand-new store.
    pub fn empty_value(self) -> Value {
        match self.kind() {
            SectionKind::Collection(_) => Value::Array(Vec::new()),
            SectionKind::Object(parts) => Value::Object(
                parts
                    .iter()
                    .map(|(name, _)| (name.to_string(), Value::Array(Vec::new())))
                    .collect(),
            ),
            SectionKind::Counter => Value::from(0),
            // No rate set yet: the owner sets one before the first sale.
            SectionKind::Rate => Value::Null,
        }
    }
}

impl fmt::Display for SectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The records numbered from a counter section: (table, its section, the
/// counter, what a number names in messages). Their numbers are unique and
/// never above the counter.
pub(crate) const NUMBERED_BY_COUNTERS: [(Table, SectionKey, SectionKey, &str); 3] = [
    (
        Table::Invoices,
        SectionKey::Invoices,
        SectionKey::InvoiceCounter,
        "invoice",
    ),
    (Table::Returns, SectionKey::Returns, SectionKey::ReturnCounter, "return"),
    (Table::Stores, SectionKey::Stores, SectionKey::StoreCounter, "store"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_sixteen_of_the_old_pos_in_table_order() {
        let keys: Vec<_> = SectionKey::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(keys.len(), 16);
        assert_eq!(keys[0], "sonic_shop_data");
        assert_eq!(keys[15], "sonic_security_state");
        for key in SectionKey::ALL {
            assert_eq!(
                SectionKey::from_key(key.as_str()),
                Some(key),
                "{key} must look itself up"
            );
        }
        assert_eq!(SectionKey::from_key("sonic_unknown"), None);
    }

    #[test]
    fn every_table_belongs_to_exactly_one_section() {
        let mut seen = Vec::new();
        for key in SectionKey::ALL {
            match key.kind() {
                SectionKind::Collection(t) => seen.push(t),
                SectionKind::Object(parts) => seen.extend(parts.iter().map(|(_, t)| *t)),
                _ => {}
            }
        }
        seen.sort();
        assert_eq!(seen, Table::ALL.to_vec());
    }
}
